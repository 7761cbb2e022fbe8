"""Training rules as plain functions: exam attempts, passing, and an agent's training facts.

Pure: no Flask, no database. Values in, values out.
"""

from collections.abc import Iterable
from typing import Any

# Why an exam attempt may not be recorded (the service turns these into messages).
NO_EXAM = "no_exam"
NOT_ATTENDED = "not_attended"
ALREADY_PASSED = "already_passed"
NO_ATTEMPTS_LEFT = "no_attempts_left"
SCORE_OUT_OF_RANGE = "score_out_of_range"


def attempts_left(max_attempts: int, attempts_so_far: int) -> int:
    """How many exam attempts remain (never negative)."""
    return max(0, max_attempts - attempts_so_far)


def has_passed(scores: Iterable[int], pass_mark: int) -> bool:
    """True when any score (0–100) reaches the pass mark (0–100)."""
    return any(score >= pass_mark for score in scores)


def exam_refusal(
    *, has_exam: bool, attended: bool | None, scores: list[int], pass_mark: int, max_attempts: int, score: int
) -> str | None:
    """The reason a new attempt with ``score`` cannot be recorded, or None when it can.

    ``scores`` are the agent's earlier scores in this session, oldest first.
    """
    if not has_exam:
        return NO_EXAM
    if not 0 <= score <= 100:
        return SCORE_OUT_OF_RANGE
    if attended is not True:
        return NOT_ATTENDED
    if has_passed(scores, pass_mark):
        return ALREADY_PASSED
    if attempts_left(max_attempts, len(scores)) == 0:
        return NO_ATTEMPTS_LEFT
    return None


def _flag(item: Any, attribute: str) -> bool:
    value = getattr(item, attribute, item)
    return value is True


def agent_training_facts(invites: Iterable[Any], attempts: Iterable[Any]) -> tuple[bool, bool]:
    """(attended_any, passed_exam) for one agent, from that agent's records for one client.

    ``invites``: the agent's ``SessionInvite`` rows of the client's sessions that were not
    cancelled — or just their ``attended`` values (True / False / None = not recorded).
    ``attempts``: the agent's ``ExamAttempt`` rows of those sessions — or their ``passed`` values.
    The caller chooses the sessions (e.g. ``ops.training.services.agent_facts(agent_id, client_id)``);
    this function only combines: attended when any invite says attended, passed when any attempt passed.
    """
    attended_any = any(_flag(invite, "attended") for invite in invites)
    passed_exam = any(_flag(attempt, "passed") for attempt in attempts)
    return attended_any, passed_exam
