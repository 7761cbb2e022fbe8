"""The quote state machine (报价单状态). Pure: no app, no database.

    draft ──send──> sent ──> accepted | rejected | expired
    draft | sent | rejected | expired ──revise──> superseded   (a new version takes over)

``accepted`` and ``superseded`` are final.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ops.errors import ServiceError

STATES = ("draft", "sent", "accepted", "rejected", "expired", "superseded")

STATE_LABELS = {
    "draft": _l("草稿"),
    "sent": _l("已发送"),
    "accepted": _l("已接受"),
    "rejected": _l("已拒绝"),
    "expired": _l("已过期"),
    "superseded": _l("已被新版本取代"),
}

# Bootstrap badge colour per state.
STATE_BADGES = {
    "draft": "secondary",
    "sent": "primary",
    "accepted": "success",
    "rejected": "danger",
    "expired": "warning",
    "superseded": "light",
}

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"sent", "superseded"}),
    "sent": frozenset({"accepted", "rejected", "expired", "superseded"}),
    "rejected": frozenset({"superseded"}),
    "expired": frozenset({"superseded"}),
    "accepted": frozenset(),
    "superseded": frozenset(),
}

# States a client sees in the portal: everything that was sent to them and not replaced.
CLIENT_VISIBLE = ("sent", "accepted", "rejected", "expired")
# States a new version may be made from (a draft is simply edited).
REVISABLE = ("sent", "rejected", "expired")


class QuoteTransitionError(ServiceError):
    """A change of state the quote's life cycle does not allow (message in Chinese)."""


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    """Raise ``QuoteTransitionError`` unless ``current -> target`` is allowed."""
    if current not in TRANSITIONS:
        raise QuoteTransitionError(_("未知的报价状态：%(s)s", s=current))
    if target not in TRANSITIONS:
        raise QuoteTransitionError(_("未知的报价状态：%(s)s", s=target))
    if can_transition(current, target):
        return
    if current == target:
        raise QuoteTransitionError(_("报价单已经是“%(s)s”状态", s=STATE_LABELS[current]))
    if current == "draft":
        raise QuoteTransitionError(_("报价单还是草稿，不能直接改为%(t)s", t=STATE_LABELS[target]))
    raise QuoteTransitionError(
        _("报价单%(s)s，不能再改为%(t)s", s=STATE_LABELS[current], t=STATE_LABELS[target])
    )
