"""Seats against gunicorn (several workers): two trainers cannot take a contract's last seat twice."""

from datetime import timedelta

import sqlalchemy as sa

from ops.onboarding.models import Assignment
from ops.timeutil import today
from tests.live import browsers, parallel
from tests.onboarding.helpers import make_agent, make_contract


def test_parallel_assignments_take_the_last_seat_once(db, make_user, live_server):
    contract = make_contract(db, seats=[("aftersales", "day", 1)])  # one seat, free
    contract_id = contract.id
    agents = [make_agent(db, name=f"并发{i}").id for i in range(4)]
    clients, tokens = browsers(live_server, make_user, "trainer", "trn", 4, "/onboarding/assignments/new")
    planned = (today() + timedelta(days=3)).isoformat()

    def assign(i):
        response = clients[i].post_form(
            "/onboarding/assignments/new",
            {
                "csrf_token": tokens[i],
                "agent_id": str(agents[i]),
                "contract_id": str(contract_id),
                "scope": "aftersales",
                "shift": "day",
                "planned_go_live_on": planned,
            },
        )
        return response.status, "席位已满" in response.text

    statuses = parallel(4, assign)
    # One took the seat (redirected to its page); the others got the form back with the refusal.
    assert sorted(statuses) == [(200, True), (200, True), (200, True), (302, False)], statuses
    held = db.session.scalars(sa.select(Assignment).where(Assignment.contract_id == contract_id)).all()
    assert len(held) == 1
