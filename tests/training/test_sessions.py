from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.onboarding import checklist_sync
from ops.training import services
from ops.training.models import ExamAttempt, SessionInvite, TrainingSession
from ops.training.services import SessionInput, TrainingError
from tests.factories import make_client
from tests.training.helpers import make_agent, make_session


@pytest.fixture
def synced(monkeypatch):
    """Record the agent ids passed to the onboarding hook."""
    calls = []
    monkeypatch.setattr(checklist_sync, "apply_training_facts", lambda agent_id: calls.append(agent_id) or 0)
    return calls


@pytest.fixture
def trainer(make_user):
    return make_user("trainer", display_name="陈培训")


def test_session_form_converts_shanghai_time_to_utc(app, db, client, login_as, make_user):
    login_as("manager")
    teacher = make_user("trainer", display_name="陈培训")
    shop = make_client(db)
    agent = make_agent(db)
    make_agent(db, name="王离职", status="left", employee_no="KF99999")
    page = client.get("/training/sessions/new").get_data(as_text=True)
    assert "张小雨" in page and "王离职" not in page
    response = client.post(
        "/training/sessions/new",
        data={
            "title": "售前岗前培训",
            "client_id": str(shop.id),
            "contract_id": "0",
            "mode": "onsite",
            "trainer_id": str(teacher.id),
            "starts_at": "2026-07-01T09:30",
            "ends_at": "2026-07-01T17:30",
            "place": "杭州总部 3 楼",
            "meeting_link": "",
            "agent_ids": [str(agent.id)],
            "has_exam": "y",
            "exam_pass_mark": "80",
            "exam_max_attempts": "3",
            "notes": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session = db.session.scalar(sa.select(TrainingSession))
    # 09:30 in Asia/Shanghai (UTC+8) is 01:30 UTC.
    assert session.starts_at == datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
    assert session.ends_at == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    assert [i.agent_id for i in session.invitations] == [agent.id]
    detail = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "2026-07-01 09:30–17:30" in detail
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "training_session.scheduled"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "onsite", "place": ""}, "培训地点"),
        ({"mode": "online", "meeting_link": ""}, "会议链接"),
        ({"mode": "online", "meeting_link": "javascript:alert(1)"}, "会议链接须以"),
        ({"ends_at_offset": -1}, "结束时间必须晚于开始时间"),
    ],
)
def test_schedule_session_checks(db, trainer, fields, message):
    start = datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
    offset = fields.pop("ends_at_offset", 3)
    values = dict(
        title="培训",
        mode="onsite",
        trainer_id=trainer.id,
        starts_at=start,
        ends_at=start + timedelta(hours=offset),
        place="培训室",
    )
    values.update(fields)
    with pytest.raises(TrainingError, match=message):
        services.schedule_session(SessionInput(**values), trainer)


def test_trainer_must_be_a_trainer_and_agents_must_not_have_left(db, make_user, trainer):
    sales = make_user("sales")
    start = datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
    base = dict(
        title="培训", mode="onsite", place="培训室", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    with pytest.raises(TrainingError, match="培训师"):
        services.schedule_session(SessionInput(trainer_id=sales.id, **base), trainer)
    gone = make_agent(db, name="王离职", status="left")
    with pytest.raises(TrainingError, match="已离职"):
        services.schedule_session(SessionInput(trainer_id=trainer.id, agent_ids=[gone.id], **base), trainer)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 0


def test_attendance_is_recorded_and_synced(db, trainer, synced):
    a, b = make_agent(db, name="甲"), make_agent(db, name="乙")
    session = make_session(db, trainer, [a, b])
    changed = services.record_attendance(session, {a.id: True, b.id: False}, trainer)
    db.session.commit()
    assert changed == 2
    assert {i.agent_id: i.attended for i in session.invitations} == {a.id: True, b.id: False}
    assert sorted(synced) == sorted([a.id, b.id])
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "training_session.attendance_recorded")
    )
    assert entry.after == {str(a.id): True, str(b.id): False}


def test_attendance_before_the_session_starts_is_refused(db, trainer, synced):
    a = make_agent(db)
    session = make_session(db, trainer, [a], started=False)
    with pytest.raises(TrainingError, match="尚未开始"):
        services.record_attendance(session, {a.id: True}, trainer)
    assert synced == []


def test_exam_attempts_are_limited(db, trainer, synced):
    a = make_agent(db)
    session = make_session(db, trainer, [a], exam_max_attempts=3, exam_pass_mark=80)
    services.record_attendance(session, {a.id: True}, trainer)
    synced.clear()
    results = [services.record_exam_attempt(session, a, score, trainer) for score in (50, 60, 79)]
    db.session.commit()
    assert [(r.attempt_no, r.score, r.passed) for r in results] == [
        (1, 50, False),
        (2, 60, False),
        (3, 79, False),
    ]
    with pytest.raises(TrainingError, match="已用完全部 3 次"):
        services.record_exam_attempt(session, a, 95, trainer)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAttempt)) == 3
    assert synced == [a.id, a.id, a.id]


def test_no_attempts_after_passing(db, trainer, synced):
    a = make_agent(db)
    session = make_session(db, trainer, [a])
    services.record_attendance(session, {a.id: True}, trainer)
    first = services.record_exam_attempt(session, a, 70, trainer)
    second = services.record_exam_attempt(session, a, 80, trainer)  # exactly the pass mark passes
    assert (first.passed, second.passed, second.attempt_no) == (False, True, 2)
    with pytest.raises(TrainingError, match="已通过考试"):
        services.record_exam_attempt(session, a, 100, trainer)


def test_exam_needs_attendance(db, trainer, synced):
    a, b = make_agent(db, name="甲"), make_agent(db, name="乙")
    session = make_session(db, trainer, [a, b])
    with pytest.raises(TrainingError, match="未记录出勤"):
        services.record_exam_attempt(session, a, 90, trainer)
    services.record_attendance(session, {a.id: True, b.id: False}, trainer)
    with pytest.raises(TrainingError, match="未记录出勤"):
        services.record_exam_attempt(session, b, 90, trainer)
    outsider = make_agent(db, name="丙")
    with pytest.raises(TrainingError, match="未受邀"):
        services.record_exam_attempt(session, outsider, 90, trainer)
    services.record_exam_attempt(session, a, 90, trainer)
    with pytest.raises(TrainingError, match="不能记为缺席"):
        services.record_attendance(session, {a.id: False}, trainer)


def test_session_without_exam_refuses_scores(db, trainer, synced):
    a = make_agent(db)
    session = make_session(db, trainer, [a], has_exam=False)
    services.record_attendance(session, {a.id: True}, trainer)
    with pytest.raises(TrainingError, match="没有考试"):
        services.record_exam_attempt(session, a, 90, trainer)


def test_pages_record_attendance_and_exams(app, db, client, login_as, synced):
    user = login_as("trainer")
    a, b = make_agent(db, name="甲"), make_agent(db, name="乙")
    session = make_session(db, user, [a, b], exam_max_attempts=2)
    response = client.post(f"/training/sessions/{session.id}/attendance", data={"attended": [str(a.id)]})
    assert response.status_code == 302
    invites = {i.agent_id: i.attended for i in db.session.scalars(sa.select(SessionInvite))}
    assert invites == {a.id: True, b.id: False}
    client.post(f"/training/sessions/{session.id}/exam", data={"agent_id": str(a.id), "score": "65"})
    client.post(f"/training/sessions/{session.id}/exam", data={"agent_id": str(a.id), "score": "70"})
    response = client.post(
        f"/training/sessions/{session.id}/exam",
        data={"agent_id": str(a.id), "score": "99"},
        follow_redirects=True,
    )
    assert "已用完全部 2 次考试机会" in response.get_data(as_text=True)
    response = client.post(
        f"/training/sessions/{session.id}/exam",
        data={"agent_id": str(a.id), "score": "130"},
        follow_redirects=True,
    )
    assert "分数须在 0 到 100 之间" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExamAttempt)) == 2
    html = client.get(f"/training/sessions/{session.id}").get_data(as_text=True)
    assert "次数已用完" in html and "第 2 次 70 分" in html
    assert a.id in synced and b.id in synced


def test_complete_and_cancel(db, client, login_as, synced):
    user = login_as("trainer")
    a = make_agent(db)
    past = make_session(db, user, [a])
    future = make_session(db, user, [a], started=False)
    assert client.post(f"/training/sessions/{future.id}/complete").status_code == 302
    assert db.session.get(TrainingSession, future.id).status == "scheduled"  # not started yet
    client.post(f"/training/sessions/{past.id}/complete")
    client.post(f"/training/sessions/{future.id}/cancel")
    db.session.expire_all()
    assert db.session.get(TrainingSession, past.id).status == "done"
    assert db.session.get(TrainingSession, future.id).status == "cancelled"
    response = client.post(f"/training/sessions/{future.id}/cancel", follow_redirects=True)
    assert "只有“已安排”的培训可以取消" in response.get_data(as_text=True)
    assert client.get(f"/training/sessions/{past.id}/edit").status_code == 302  # done sessions are frozen


def test_session_with_records_cannot_be_cancelled_or_uninvited(db, trainer, synced):
    a, b = make_agent(db, name="甲"), make_agent(db, name="乙")
    session = make_session(db, trainer, [a, b])
    services.record_attendance(session, {a.id: True}, trainer)
    with pytest.raises(TrainingError, match="不能取消"):
        services.cancel_session(session, trainer)
    data = SessionInput(
        title=session.title,
        mode="onsite",
        trainer_id=trainer.id,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        place="培训室",
        agent_ids=[b.id],
    )
    with pytest.raises(TrainingError, match="不能取消邀请"):
        services.update_session(session, data, trainer)
    data.agent_ids = [a.id]
    services.update_session(session, data, trainer)  # b had no records: may be uninvited
    assert [i.agent_id for i in session.invitations] == [a.id]


def test_agent_facts_for_checklists(db, trainer, synced):
    shop, other = make_client(db), make_client(db, name="别家旗舰店", tax_id=None)
    a = make_agent(db)
    session = make_session(db, trainer, [a], client=shop)
    assert services.agent_facts(a.id, shop.id) == (False, False)
    services.record_attendance(session, {a.id: True}, trainer)
    assert services.agent_facts(a.id, shop.id) == (True, False)
    services.record_exam_attempt(session, a, 90, trainer)
    assert services.agent_facts(a.id, shop.id) == (True, True)
    assert services.agent_facts(a.id, other.id) == (False, False)
    assert services.agent_facts(a.id) == (True, True)
