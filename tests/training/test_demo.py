from pathlib import Path

import sqlalchemy as sa

from ops.demo.training import load_training_demo
from ops.onboarding import checklist_sync
from ops.training.models import ExamAttempt, Material, MaterialVersion, SessionInvite, TrainingSession
from ops.uploads import detect_matches
from tests.factories import make_client
from tests.training.helpers import make_agent


def test_demo_makes_materials_sessions_and_results(app, db, make_user, monkeypatch):
    monkeypatch.setattr(checklist_sync, "apply_training_facts", lambda agent_id: 0)
    trainer = make_user("trainer", username="trainer")
    clients = [make_client(db), make_client(db, name="沐颜美妆官方旗舰店")]
    agents = [make_agent(db, name=f"客服{i}", employee_no=f"KF{i:04d}") for i in range(8)]
    summary = load_training_demo(clients, agents, {"trainer": trainer})
    db.session.commit()
    assert summary == {"培训资料": 7, "资料版本": 10, "培训场次": 5}
    versions = db.session.scalars(sa.select(MaterialVersion)).all()
    assert {v.mimetype for v in versions} >= {"application/pdf", "text/plain", "text/csv", "image/png"}
    assert sum(1 for v in versions if v.from_client and v.seen_at is None) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Material).where(Material.client_id.is_(None))
        )
        == 2
    )
    statuses = sorted(db.session.scalars(sa.select(TrainingSession.status)))
    assert statuses == ["cancelled", "done", "scheduled", "scheduled", "scheduled"]
    scores = {}
    for attempt in db.session.scalars(sa.select(ExamAttempt).order_by(ExamAttempt.attempt_no)):
        scores.setdefault(attempt.agent_id, []).append((attempt.score, attempt.passed))
    assert sorted(scores.values()) == sorted(
        [[(92, True)], [(70, False), (85, True)], [(60, False), (65, False), (72, False)], [(88, True)]]
    )
    absent = db.session.scalars(sa.select(SessionInvite).where(SessionInvite.attended.is_(False))).all()
    assert len(absent) == 1
    # Every stored file is what its extension says.
    for v in versions:
        data = (Path(app.config["UPLOAD_DIR"]) / v.stored_file).read_bytes()
        assert detect_matches(data, Path(v.stored_file).suffix)
