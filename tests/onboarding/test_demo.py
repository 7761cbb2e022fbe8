"""The go-live demo data: every agent status and every checklist state."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ops.demo.onboarding import load_onboarding_demo
from ops.onboarding.models import Assignment, ChecklistItem, Credential, PlatformRule
from ops.timeutil import today
from tests.onboarding.helpers import make_contract


@pytest.mark.slow
def test_demo_covers_every_state(db, make_user):
    users = {"trainer": make_user("trainer"), "manager": make_user("manager")}
    contracts = [make_contract(db, start_on=today() - timedelta(days=90)) for _ in range(2)]
    contracts.append(make_contract(db, status="pending_signature", start_on=today() + timedelta(days=10)))
    agents = load_onboarding_demo(contracts, users)
    db.session.commit()
    assert len(agents) == 25
    assert {a.status for a in agents} == {"recruiting", "training", "ready", "live", "left"}
    states = set(db.session.scalars(sa.select(ChecklistItem.state)))
    assert states == {"todo", "done", "verified", "blocked", "na"}
    assignments = db.session.scalars(sa.select(Assignment)).all()
    assert any(a.override_reason for a in assignments)
    assert any(a.end_on for a in assignments)
    assert any(a.go_live_on is None and a.planned_go_live_on < today() for a in assignments)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Credential)) >= 5
    assert all("demo" not in c.password_ciphertext for c in db.session.scalars(sa.select(Credential)))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlatformRule)) == 12
