"""Contract and deposit state machines. Pure: no Flask, no database."""

from ops.errors import ServiceError
from ops.i18n import N_

CONTRACT_LABELS = {
    "draft": N_("草稿"),
    "pending_signature": N_("待签署"),
    "active": N_("生效中"),
    "expired": N_("已到期"),
    "terminated": N_("已终止"),
}
CONTRACT_TRANSITIONS = {
    "draft": {"pending_signature"},
    "pending_signature": {"active", "draft"},
    "active": {"expired", "terminated"},
    "expired": set(),
    "terminated": set(),
}

DEPOSIT_LABELS = {
    "none": N_("无定金"),
    "due": N_("待收"),
    "received": N_("已收"),
    "applied": N_("已抵扣"),
    "refunded": N_("已退还"),
    "forfeited": N_("已没收"),
}
DEPOSIT_TRANSITIONS = {
    "none": set(),
    "due": {"received"},
    "received": {"applied", "refunded", "forfeited"},
    "applied": set(),
    "refunded": set(),
    "forfeited": set(),
}


class TransitionError(ServiceError):
    """A refused state change; the message is for the user."""


def check_contract_transition(current: str, target: str) -> None:
    if target not in CONTRACT_TRANSITIONS.get(current, set()):
        raise TransitionError(
            f"合同当前状态为“{CONTRACT_LABELS.get(current, current)}”，不能改为“{CONTRACT_LABELS.get(target, target)}”。"
        )


def check_deposit_transition(current: str, target: str) -> None:
    if target not in DEPOSIT_TRANSITIONS.get(current, set()):
        raise TransitionError(
            f"定金当前状态为“{DEPOSIT_LABELS.get(current, current)}”，不能改为“{DEPOSIT_LABELS.get(target, target)}”。"
        )
