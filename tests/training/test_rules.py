from types import SimpleNamespace

from ops.training import rules


def test_attempts_left_never_negative():
    assert rules.attempts_left(3, 0) == 3
    assert rules.attempts_left(3, 2) == 1
    assert rules.attempts_left(3, 3) == 0
    assert rules.attempts_left(3, 5) == 0


def test_has_passed_when_any_score_reaches_the_mark():
    assert rules.has_passed([60, 80], 80)
    assert not rules.has_passed([60, 79], 80)
    assert not rules.has_passed([], 0)


def _refusal(**overrides):
    values = dict(has_exam=True, attended=True, scores=[], pass_mark=80, max_attempts=3, score=75)
    values.update(overrides)
    return rules.exam_refusal(**values)


def test_exam_refusals():
    assert _refusal() is None
    assert _refusal(has_exam=False) == rules.NO_EXAM
    assert _refusal(attended=None) == rules.NOT_ATTENDED
    assert _refusal(attended=False) == rules.NOT_ATTENDED
    assert _refusal(scores=[85]) == rules.ALREADY_PASSED
    assert _refusal(scores=[50, 60, 70]) == rules.NO_ATTEMPTS_LEFT
    assert _refusal(scores=[50, 60]) is None
    assert _refusal(score=101) == rules.SCORE_OUT_OF_RANGE
    assert _refusal(score=-1) == rules.SCORE_OUT_OF_RANGE


def test_agent_training_facts_from_values_or_rows():
    assert rules.agent_training_facts([], []) == (False, False)
    assert rules.agent_training_facts([None, False], [False]) == (False, False)
    assert rules.agent_training_facts([False, True], [False, True]) == (True, True)
    invites = [SimpleNamespace(attended=None), SimpleNamespace(attended=True)]
    attempts = [SimpleNamespace(passed=False)]
    assert rules.agent_training_facts(invites, attempts) == (True, False)
