"""Checklist items that follow from training records tick themselves (called by training services)."""

import sqlalchemy as sa

from ops.audit.services import record
from ops.extensions import db
from ops.onboarding import checklist
from ops.onboarding.models import Assignment, ChecklistItem
from ops.timeutil import utcnow


def _session_matches(session_cls, assignment: Assignment):
    """SQL: a training session for the assignment's client (by client, or by its contract)."""
    return sa.or_(
        session_cls.client_id == assignment.client_id, session_cls.contract_id == assignment.contract_id
    )


def _facts(agent_id: int, assignment: Assignment) -> dict[str, bool]:
    from ops.training.models import ExamAttempt, SessionInvite, TrainingSession

    attended = db.session.scalar(
        sa.select(
            sa.select(SessionInvite.id)
            .join(TrainingSession, TrainingSession.id == SessionInvite.session_id)
            .where(
                SessionInvite.agent_id == agent_id,
                SessionInvite.attended.is_(True),
                _session_matches(TrainingSession, assignment),
            )
            .exists()
        )
    )
    passed = db.session.scalar(
        sa.select(
            sa.select(ExamAttempt.id)
            .join(TrainingSession, TrainingSession.id == ExamAttempt.session_id)
            .where(
                ExamAttempt.agent_id == agent_id,
                ExamAttempt.passed.is_(True),
                _session_matches(TrainingSession, assignment),
            )
            .exists()
        )
    )
    return {checklist.AUTO_TRAINING_ATTENDED: bool(attended), checklist.AUTO_EXAM_PASSED: bool(passed)}


def _auto_ticked(item: ChecklistItem) -> bool:
    return item.done_by_id is None and item.evidence == checklist.AUTO_EVIDENCE


def apply_training_facts(agent_id: int) -> int:
    """Re-evaluate the agent's auto-ticking checklist items (training attended, exam passed).

    For each of the agent's assignments not live yet (and not ended or cancelled), an item whose rule's fact
    holds for a session of the assignment's client becomes "done" (done by nobody, evidence
    "培训记录自动勾选"); an auto-ticked item whose fact no longer holds goes back to "todo".
    Items a person handled are left alone. Audited; does not commit. Returns how many changed.
    """
    assignments = db.session.scalars(
        sa.select(Assignment).where(
            Assignment.agent_id == agent_id,
            Assignment.go_live_on.is_(None),
            Assignment.end_on.is_(None),
            Assignment.cancelled_at.is_(None),
        )
    ).all()
    changed = 0
    for assignment in assignments:
        auto_items = [item for item in assignment.items if item.auto_rule]
        if not auto_items:
            continue
        facts = _facts(agent_id, assignment)
        for item in auto_items:
            target = checklist.auto_tick_target(
                item.state, auto_ticked=_auto_ticked(item), fact_holds=facts.get(item.auto_rule, False)
            )
            if target is None:
                continue
            before = {"state": item.state, "evidence": item.evidence}
            item.state = target
            if target == checklist.DONE:
                item.evidence = checklist.AUTO_EVIDENCE
                item.done_by_id = None
                item.done_at = utcnow()
            else:
                item.evidence = ""
                item.done_at = None
            record(
                "checklist_item.auto_ticked" if target == checklist.DONE else "checklist_item.auto_unticked",
                item,
                summary=f"{assignment.agent.name}: {item.title}",
                before=before,
                after={"state": item.state, "evidence": item.evidence},
            )
            changed += 1
    return changed
