"""Codes and labels for the client pages and forms.

Not pure: the labels are lazy translations (``flask_babel``) so forms and pages show them in the
user's language; no app or database is needed to import it. Platforms, scopes and shifts are the
shared vocabulary's (``ops.vocab``), translated here; the pure modules use ``ops.vocab`` itself.
"""

from flask_babel import lazy_gettext as _l

from ops import vocab
from ops.vocab import N_


def _translated(labels: dict) -> dict:
    return {code: _l(msgid) for code, msgid in labels.items()}


PLATFORMS = _translated(vocab.PLATFORMS)

# Where a client stands; later stages (contracts, go-live) move it forward. Templates read the
# labels as ``label("client_stage", code)``.
STAGE_MSGIDS = vocab.register(
    "client_stage",
    {
        "lead": N_("潜在客户"),
        "negotiating": N_("洽谈中"),
        "contracted": N_("已签约"),
        "onboarding": N_("培训上线中"),
        "live": N_("服务中"),
        "paused": N_("暂停"),
        "churned": N_("已流失"),
    },
)
STAGE_CODES = tuple(STAGE_MSGIDS)
STAGES = _translated(STAGE_MSGIDS)
STAGE_ORDER = ("lead", "negotiating", "contracted", "onboarding", "live")

SCOPES = _translated(vocab.NEEDS_SCOPES)  # a client's needs may ask for both
SHIFTS = _translated(vocab.SHIFTS)

# The six phases of the pipeline (docs/domain.md, "The pipeline with each client").
PHASES = {
    1: _l("计划与需求"),
    2: _l("报价"),
    3: _l("合同"),
    4: _l("培训"),
    5: _l("上线"),
    6: _l("结算"),
}

CATEGORIES = (
    "服饰鞋包",
    "美妆个护",
    "食品生鲜",
    "母婴玩具",
    "家居家纺",
    "3C数码",
    "家用电器",
    "运动户外",
    "珠宝配饰",
    "医药保健",
)

# Badge colours (Bootstrap) for each stage.
STAGE_BADGES = {
    "lead": "bg-secondary",
    "negotiating": "bg-info text-dark",
    "contracted": "bg-primary",
    "onboarding": "bg-warning text-dark",
    "live": "bg-success",
    "paused": "bg-dark",
    "churned": "bg-danger",
}
# Stages only a manager or admin sets by hand (with a reason); forward moves come from later stages.
HALT_STAGES = ("paused", "churned")

# Product complexity 1-5 (商品复杂度), with what each level means for the agents.
COMPLEXITY_LEVELS = {
    1: _l("1 - 极简：标品、SKU 少，咨询以发货、物流为主"),
    2: _l("2 - 简单：常规商品，尺码/规格问题为主，话术可覆盖大部分咨询"),
    3: _l("3 - 一般：需要了解材质、用法与搭配，有一定售后判断"),
    4: _l("4 - 较复杂：参数多、需专业讲解（如 3C、家电、美妆成分）"),
    5: _l("5 - 复杂：高度专业或定制类，需深入培训与考试后上岗"),
}

# Plan items: a key concern (关注点) or a key work item (工作项) of a phase.
PLAN_KINDS = {"concern": _l("重点关注"), "work": _l("重点工作")}
# What ticked a plan item by itself (ops.clients.plan.PLAN_EVENTS).
PLAN_EVENT_LABELS = {
    "needs_recorded": _l("已记录需求"),
    "quote_sent": _l("报价已发送"),
    "quote_accepted": _l("客户已接受报价"),
    "contract_signed": _l("合同已签署生效"),
    "deposit_received": _l("定金已到账"),
    "materials_uploaded": _l("已收到培训资料"),
    "training_done": _l("客服已完成培训"),
    "agents_live": _l("客服已上线"),
    "invoice_issued": _l("已开具账单"),
}

# Labels of the needs fields, in form order (used by the needs history diff).
NEEDS_FIELDS = {
    "platform": _l("平台"),
    "scope": _l("服务范围"),
    "shifts": _l("班次"),
    "avg_daily_consults": _l("日均咨询量"),
    "peak_daily_consults": _l("高峰日咨询量"),
    "peak_hour_share_bp": _l("高峰小时占比"),
    "aht_seconds": _l("平均处理时长（秒）"),
    "concurrency": _l("人均同时接待数"),
    "sl_target_bp": _l("服务水平目标"),
    "sl_answer_seconds": _l("应答时限（秒）"),
    "avg_order_value_fen": _l("客单价"),
    "inquiry_conversion_bp": _l("预期询单转化率"),
    "category": _l("类目"),
    "complexity": _l("商品复杂度"),
    "sku_count": _l("SKU 数量"),
    "special_requirements": _l("特殊要求"),
}
