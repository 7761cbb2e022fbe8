"""Labels for training codes (the codes themselves live in models.py)."""

from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "product_manual": _l("产品手册"),
    "scripts": _l("话术"),
    "faq": _l("FAQ"),
    "aftersales_policy": _l("售后政策·补偿标准"),
    "logistics": _l("物流信息"),
    "quick_replies": _l("快捷短语库"),
    "platform_rules": _l("平台规则"),
}
MODE_LABELS = {"onsite": _l("现场"), "online": _l("线上")}
STATUS_LABELS = {"scheduled": _l("已安排"), "done": _l("已完成"), "cancelled": _l("已取消")}
STATUS_BADGES = {"scheduled": "bg-primary", "done": "bg-success", "cancelled": "bg-secondary"}
