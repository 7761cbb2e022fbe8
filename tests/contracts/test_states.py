"""The contract and deposit state machines, every pair (pure: no app)."""

import itertools

import pytest

from ops.contracts.models import CONTRACT_STATES, DEPOSIT_STATES
from ops.contracts.states import TransitionError, check_contract_transition, check_deposit_transition

CONTRACT_LEGAL = {
    ("draft", "pending_signature"),
    ("pending_signature", "active"),
    ("pending_signature", "draft"),
    ("active", "expired"),
    ("active", "terminated"),
    ("draft", "cancelled"),
    ("pending_signature", "cancelled"),
}
DEPOSIT_LEGAL = {
    ("due", "received"),
    ("received", "applied"),
    ("received", "refunded"),
    ("received", "forfeited"),
    ("received", "partly_applied"),  # an offset smaller than the deposit
    ("partly_applied", "refunded"),  # the remainder refunded
    ("due", "partial"),  # a first receipt below the agreed deposit
    ("partial", "partial"),  # another receipt, still short
    ("partial", "received"),  # the last receipt, or a manager waives the rest
    ("partial", "refunded"),  # a cancelled contract gives back what was received
}


@pytest.mark.parametrize("current,target", list(itertools.product(CONTRACT_STATES, CONTRACT_STATES)))
def test_contract_transitions(current, target):
    if (current, target) in CONTRACT_LEGAL:
        check_contract_transition(current, target)
    else:
        with pytest.raises(TransitionError, match="不能改为"):
            check_contract_transition(current, target)


@pytest.mark.parametrize("current,target", list(itertools.product(DEPOSIT_STATES, DEPOSIT_STATES)))
def test_deposit_transitions(current, target):
    if (current, target) in DEPOSIT_LEGAL:
        check_deposit_transition(current, target)
    else:
        with pytest.raises(TransitionError, match="定金当前状态"):
            check_deposit_transition(current, target)
