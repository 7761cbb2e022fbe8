"""An invoice's states and their labels (registered as ``label("invoice_state", code)``).

Pure: no Flask, no database. draft → issued → paid, or void; "overdue" is not stored (an issued
invoice past its due date) but has a label of its own.
"""

from ops.vocab import N_, register

INVOICE_STATES = ("draft", "issued", "paid", "void")
STATUS_LABELS = register(
    "invoice_state",
    {
        "draft": N_("草稿"),
        "issued": N_("已开具"),
        "paid": N_("已结清"),
        "void": N_("已作废"),
        "overdue": N_("已逾期"),
    },
)
