"""Contract and deposit state machines. Pure: no Flask, no database.

The labels are registered in ``ops.vocab`` (``label("contract_state", code)``,
``label("deposit_state", code)`` in templates); they and the refusals are Chinese msgids.
"""

from ops.errors import ServiceError
from ops.i18n import N_, _l
from ops.vocab import register

CONTRACT_LABELS = register(
    "contract_state",
    {
        "draft": N_("草稿"),
        "pending_signature": N_("待签署"),
        "active": N_("生效中"),
        "expired": N_("已到期"),
        "terminated": N_("已终止"),
        "cancelled": N_("已取消"),
    },
)
# A draft or pending contract may be cancelled (made in error, or the deal fell through): it is
# kept, and its quote is free for a new contract. An active one is terminated instead.
CONTRACT_TRANSITIONS = {
    "draft": {"pending_signature", "cancelled"},
    "pending_signature": {"active", "draft", "cancelled"},
    "active": {"expired", "terminated"},
    "expired": set(),
    "terminated": set(),
    "cancelled": set(),
}

DEPOSIT_LABELS = register(
    "deposit_state",
    {
        "none": N_("无定金"),
        "due": N_("待收"),
        "partial": N_("部分到账"),
        "received": N_("已收"),
        "partly_applied": N_("部分抵扣"),
        "applied": N_("已抵扣"),
        "refunded": N_("已退还"),
        "forfeited": N_("已没收"),
    },
)
DEPOSIT_TRANSITIONS = {
    "none": set(),
    "due": {"received", "partial"},
    # Received in several amounts: each receipt adds to the sum; the last one (or a manager's waiver
    # of the rest) completes it.
    "partial": {"partial", "received", "refunded"},
    "received": {"applied", "partly_applied", "refunded", "forfeited"},
    # Offset on an invoice smaller than the deposit: the remainder is refunded (-> refunded).
    "partly_applied": {"refunded"},
    "applied": set(),
    "refunded": set(),
    "forfeited": set(),
}


class TransitionError(ServiceError):
    """A refused state change; the message is for the user."""


def _check(
    transitions: dict[str, set[str]], labels: dict[str, str], message: str, current: str, target: str
) -> None:
    if target not in transitions.get(current, set()):
        raise TransitionError(
            _l(message, current=_l(labels.get(current, current)), target=_l(labels.get(target, target)))
        )


def check_contract_transition(current: str, target: str) -> None:
    """Raise ``TransitionError`` unless the contract may go from ``current`` to ``target``."""
    _check(
        CONTRACT_TRANSITIONS,
        CONTRACT_LABELS,
        N_("合同当前状态为“%(current)s”，不能改为“%(target)s”。"),
        current,
        target,
    )


def check_deposit_transition(current: str, target: str) -> None:
    """Raise ``TransitionError`` unless the deposit may go from ``current`` to ``target``."""
    _check(
        DEPOSIT_TRANSITIONS,
        DEPOSIT_LABELS,
        N_("定金当前状态为“%(current)s”，不能改为“%(target)s”。"),
        current,
        target,
    )
