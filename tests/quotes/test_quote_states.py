"""The quote state machine, on every pair of states (pure: no app)."""

import itertools

import pytest

from ops.quotes.states import STATES, QuoteTransitionError, can_transition, check_transition

LEGAL = {
    ("draft", "sent"),
    ("sent", "accepted"),
    ("sent", "rejected"),
    ("sent", "expired"),
    ("draft", "superseded"),
    ("sent", "superseded"),
    ("rejected", "superseded"),
    ("expired", "superseded"),
    ("draft", "withdrawn"),
    ("sent", "withdrawn"),
}
ILLEGAL = sorted(set(itertools.product(STATES, STATES)) - LEGAL)


@pytest.mark.parametrize("current,target", sorted(LEGAL))
def test_legal_transitions_pass(current, target):
    check_transition(current, target)
    assert can_transition(current, target)


@pytest.mark.parametrize("current,target", ILLEGAL)
def test_illegal_transitions_raise_a_chinese_message(current, target):
    with pytest.raises(QuoteTransitionError) as info:
        check_transition(current, target)
    assert isinstance(info.value, ValueError)
    assert "报价单" in str(info.value)
    assert not can_transition(current, target)


def test_every_pair_is_covered():
    assert len(LEGAL) + len(ILLEGAL) == 49  # 7 states × 7


def test_messages_read_naturally():
    with pytest.raises(QuoteTransitionError, match="报价单已接受，不能再改为已拒绝"):
        check_transition("accepted", "rejected")
    with pytest.raises(QuoteTransitionError, match="报价单还是草稿，不能直接改为已接受"):
        check_transition("draft", "accepted")
    with pytest.raises(QuoteTransitionError, match="已经是“已发送”状态"):
        check_transition("sent", "sent")


def test_unknown_states_are_refused():
    with pytest.raises(QuoteTransitionError, match="未知的报价状态"):
        check_transition("draft", "paid")
    with pytest.raises(QuoteTransitionError, match="未知的报价状态"):
        check_transition("void", "sent")
