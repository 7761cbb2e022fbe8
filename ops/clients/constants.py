"""Codes and labels for clients. Pure: no Flask app or database needed."""

from flask_babel import lazy_gettext as _l

PLATFORMS = {
    "taobao": _l("淘宝"),
    "tmall": _l("天猫"),
    "jd": _l("京东"),
    "pdd": _l("拼多多"),
    "kuaishou": _l("快手"),
    "douyin": _l("抖音"),
}

# Where a client stands; later stages (contracts, go-live) move it forward.
STAGES = {
    "lead": _l("潜在客户"),
    "negotiating": _l("洽谈中"),
    "contracted": _l("已签约"),
    "onboarding": _l("培训上线中"),
    "live": _l("服务中"),
    "paused": _l("暂停"),
    "churned": _l("已流失"),
}
STAGE_ORDER = ("lead", "negotiating", "contracted", "onboarding", "live")

SCOPES = {"presales": _l("售前"), "aftersales": _l("售后"), "both": _l("售前+售后")}
SHIFTS = {"day": _l("白班"), "evening": _l("晚班"), "night": _l("夜班"), "full": _l("24小时")}

# The six phases of the pipeline (DESIGN.md section 1).
PHASES = {
    1: _l("计划与需求"),
    2: _l("报价"),
    3: _l("合同"),
    4: _l("培训"),
    5: _l("上线"),
    6: _l("结算"),
}

CATEGORIES = ("服饰鞋包", "美妆个护", "食品生鲜", "母婴玩具", "家居家纺", "3C数码", "家用电器", "运动户外", "珠宝配饰", "医药保健")
