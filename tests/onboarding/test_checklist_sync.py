"""Training records tick "已参加培训" and "产品考试已通过" by themselves, and untick when corrected."""

from datetime import timedelta

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.onboarding.checklist import AUTO_EVIDENCE
from ops.onboarding.checklist_sync import apply_training_facts
from ops.timeutil import utcnow
from ops.training.models import ExamAttempt, SessionInvite, TrainingSession
from tests.factories import make_client
from tests.onboarding.helpers import make_agent, make_assignment, make_contract


def _session(db, client_id):
    start = utcnow() - timedelta(days=2)
    session = TrainingSession(
        client_id=client_id, title="产品培训", starts_at=start, ends_at=start + timedelta(hours=3)
    )
    db.session.add(session)
    db.session.commit()
    return session


def _items(assignment):
    return {item.auto_rule: item for item in assignment.items if item.auto_rule}


def test_attendance_and_a_passed_exam_tick_the_items(db, make_user):
    trainer = make_user("trainer")
    assignment = make_assignment(db, by=trainer)
    agent_id = assignment.agent_id
    session = _session(db, assignment.client_id)
    invite = SessionInvite(session_id=session.id, agent_id=agent_id, attended=True)
    db.session.add(invite)
    db.session.commit()

    assert apply_training_facts(agent_id) == 1
    db.session.commit()
    items = _items(assignment)
    assert items["training_attended"].state == "done"
    assert (
        items["training_attended"].done_by_id is None and items["training_attended"].evidence == AUTO_EVIDENCE
    )
    assert items["exam_passed"].state == "todo"

    db.session.add(
        ExamAttempt(session_id=session.id, agent_id=agent_id, attempt_no=1, score=60, passed=False)
    )
    db.session.commit()
    assert apply_training_facts(agent_id) == 0
    db.session.add(ExamAttempt(session_id=session.id, agent_id=agent_id, attempt_no=2, score=92, passed=True))
    db.session.commit()
    assert apply_training_facts(agent_id) == 1
    db.session.commit()
    assert _items(assignment)["exam_passed"].state == "done"
    assert apply_training_facts(agent_id) == 0  # idempotent

    # The attendance is corrected: the auto-ticked item goes back to todo.
    invite.attended = False
    db.session.commit()
    assert apply_training_facts(agent_id) == 1
    db.session.commit()
    item = _items(assignment)["training_attended"]
    assert item.state == "todo" and item.evidence == "" and item.done_at is None
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("checklist_item.auto%"))
    )
    assert sorted(actions) == [
        "checklist_item.auto_ticked",
        "checklist_item.auto_ticked",
        "checklist_item.auto_unticked",
    ]


def test_another_clients_training_does_not_count_and_hand_ticks_stay(db, make_user):
    from ops.onboarding import services

    trainer = make_user("trainer")
    assignment = make_assignment(db, by=trainer)
    other = make_client(db, name="上海优品数码")
    session = _session(db, other.id)
    db.session.add(SessionInvite(session_id=session.id, agent_id=assignment.agent_id, attended=True))
    db.session.commit()
    assert apply_training_facts(assignment.agent_id) == 0

    # A person ticked it by hand: a missing training record does not untick it.
    services.mark_item_done(_items(assignment)["training_attended"], by=trainer, evidence="线下培训签到表")
    db.session.commit()
    assert apply_training_facts(assignment.agent_id) == 0
    assert _items(assignment)["training_attended"].state == "done"


def test_training_done_before_the_assignment_counts_at_creation(db):
    contract = make_contract(db)
    agent = make_agent(db)
    session = _session(db, contract.client_id)
    db.session.add(SessionInvite(session_id=session.id, agent_id=agent.id, attended=True))
    db.session.commit()
    assignment = make_assignment(db, contract=contract, agent=agent)
    assert _items(assignment)["training_attended"].state == "done"
