"""Agent and assignment states and their labels. Pure: no Flask, no database.

Labels are Chinese msgids (``N_``) registered in ``ops.vocab``; templates show them translated with
``label("agent_state", code)`` / ``label("assignment_state", code)``.
"""

from __future__ import annotations

from datetime import date

from ops import vocab
from ops.i18n import N_

AGENT_STATES = ("recruiting", "training", "ready", "live", "left")
AGENT_STATUS_LABELS = vocab.register(
    "agent_state",
    {
        "recruiting": N_("招聘中"),
        "training": N_("培训中"),
        "ready": N_("待上线"),
        "live": N_("已上线"),
        "left": N_("已离职"),
    },
)
AGENT_STATUS_BADGES = {
    "recruiting": "bg-secondary",
    "training": "bg-warning text-dark",
    "ready": "bg-info text-dark",
    "live": "bg-success",
    "left": "bg-dark",
}
FUNNEL = ("recruiting", "training", "ready", "live")

# An assignment's state is derived from its dates: not live yet, serving, ended; or cancelled before
# it went live (``cancelled_at`` set: kept, with its checklist closed, and no longer taking a seat).
ASSIGNMENT_STATES = ("pending", "live", "ended", "cancelled")
ASSIGNMENT_STATE_LABELS = vocab.register(
    "assignment_state",
    {"pending": N_("待上线"), "live": N_("服务中"), "ended": N_("已结束"), "cancelled": N_("已取消")},
)


def assignment_state(*, cancelled: bool, go_live_on: date | None, end_on: date | None, on: date) -> str:
    """The state of an assignment on day ``on`` (the end day itself is no longer served)."""
    if cancelled:
        return "cancelled"
    if end_on is not None and end_on <= on:
        return "ended"
    return "live" if go_live_on is not None else "pending"
