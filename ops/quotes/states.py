"""The quote state machine (报价单状态). Pure: no app, no database.

    draft ──send──> sent ──> accepted | rejected | expired
    draft | sent | rejected | expired ──revise──> superseded   (a new version takes over)
    sent ──(the client accepts another of its quotes)──> superseded   (an alternative not chosen)
    draft | sent ──withdraw──> withdrawn                        (the vendor takes it back)

``accepted``, ``superseded`` and ``withdrawn`` are final.

Labels are msgids registered in ``ops.vocab`` (templates: ``label("quote_state", code)``). A refused
change raises ``QuoteTransitionError`` with a lazy message (``ops.i18n._l``): it is translated, state
names included, when it is shown — the idiom every state machine here uses (see contracts/states.py).
"""

from ops import vocab
from ops.errors import ServiceError
from ops.i18n import N_, _l

STATE_LABELS = vocab.register(
    "quote_state",
    {
        "draft": N_("草稿"),
        "sent": N_("已发送"),
        "accepted": N_("已接受"),
        "rejected": N_("已拒绝"),
        "expired": N_("已过期"),
        "superseded": N_("已被新版本取代"),
        "withdrawn": N_("已撤回"),
    },
)
STATES = tuple(STATE_LABELS)

# Bootstrap badge colour per state.
STATE_BADGES = {
    "draft": "secondary",
    "sent": "primary",
    "accepted": "success",
    "rejected": "danger",
    "expired": "warning",
    "superseded": "light",
    "withdrawn": "dark",
}

TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"sent", "superseded", "withdrawn"}),
    "sent": frozenset({"accepted", "rejected", "expired", "superseded", "withdrawn"}),
    "rejected": frozenset({"superseded"}),
    "expired": frozenset({"superseded"}),
    "accepted": frozenset(),
    "superseded": frozenset(),
    "withdrawn": frozenset(),
}

# States a client sees in the portal: everything that was sent to them and not replaced by a new
# version. A sent quote later withdrawn, or superseded by an alternative the client accepted, is
# visible too (``ops.quotes.services.client_visible`` says which).
CLIENT_VISIBLE = ("sent", "accepted", "rejected", "expired")
# States the vendor may withdraw a quote from (an answered quote is the client's decision).
WITHDRAWABLE = ("draft", "sent")
# States a new version may be made from (a draft is simply edited).
REVISABLE = ("sent", "rejected", "expired")


class QuoteTransitionError(ServiceError):
    """A change of state the quote's life cycle does not allow (message in Chinese).

    ``msgid`` is the untranslated message and ``states`` the state codes for its placeholders.
    """

    def __init__(self, msgid: str, **states: str):
        super().__init__(
            _l(msgid, **{name: _l(vocab.label_msgid("quote_state", code)) for name, code in states.items()})
        )
        self.msgid = msgid
        self.states = states


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    """Raise ``QuoteTransitionError`` unless ``current -> target`` is allowed."""
    if current not in TRANSITIONS:
        raise QuoteTransitionError(N_("未知的报价状态：%(s)s"), s=current)
    if target not in TRANSITIONS:
        raise QuoteTransitionError(N_("未知的报价状态：%(s)s"), s=target)
    if can_transition(current, target):
        return
    if current == target:
        raise QuoteTransitionError(N_("报价单已经是“%(s)s”状态"), s=current)
    if current == "draft":
        raise QuoteTransitionError(N_("报价单还是草稿，不能直接改为%(t)s"), t=target)
    raise QuoteTransitionError(N_("报价单%(s)s，不能再改为%(t)s"), s=current, t=target)
