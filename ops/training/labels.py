"""Labels for training codes (the codes themselves live in models.py), registered in ``ops.vocab``.

Pure: Chinese msgids marked with ``N_``, translated where they are shown — in templates with
``label("training_category", code)``, ``label("training_mode", code)``, ``label("training_state", code)``.
"""

from ops.vocab import N_, register

CATEGORY_LABELS = register(
    "training_category",
    {
        "product_manual": N_("产品手册"),
        "scripts": N_("话术"),
        "faq": N_("FAQ"),
        "aftersales_policy": N_("售后政策·补偿标准"),
        "logistics": N_("物流信息"),
        "quick_replies": N_("快捷短语库"),
        "platform_rules": N_("平台规则"),
    },
)
MODE_LABELS = register("training_mode", {"onsite": N_("现场"), "online": N_("线上")})
STATUS_LABELS = register(
    "training_state", {"scheduled": N_("已安排"), "done": N_("已完成"), "cancelled": N_("已取消")}
)
STATUS_BADGES = {"scheduled": "bg-primary", "done": "bg-success", "cancelled": "bg-secondary"}
