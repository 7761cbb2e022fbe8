"""Contract and deposit state machines. Pure: no Flask, no database."""

CONTRACT_LABELS = {"draft": "草稿", "pending_signature": "待签署", "active": "生效中", "expired": "已到期",
                   "terminated": "已终止"}
CONTRACT_TRANSITIONS = {
    "draft": {"pending_signature"},
    "pending_signature": {"active", "draft"},
    "active": {"expired", "terminated"},
    "expired": set(),
    "terminated": set(),
}

DEPOSIT_LABELS = {"none": "无定金", "due": "待收", "received": "已收", "applied": "已抵扣", "refunded": "已退还",
                  "forfeited": "已没收"}
DEPOSIT_TRANSITIONS = {
    "none": set(),
    "due": {"received"},
    "received": {"applied", "refunded", "forfeited"},
    "applied": set(),
    "refunded": set(),
    "forfeited": set(),
}


class TransitionError(ValueError):
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
