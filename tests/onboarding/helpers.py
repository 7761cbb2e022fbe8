"""Small factories for the onboarding tests: contracts, agents and assignments (committed)."""

from datetime import date, timedelta

from ops.contracts.models import Contract
from ops.onboarding import services
from ops.onboarding.models import Agent, Assignment
from ops.timeutil import today
from tests.factories import make_client

_counter = {"n": 0}


def make_contract(
    db,
    client=None,
    *,
    status="active",
    start_on: date | None = None,
    end_on: date | None = None,
    seats: list[tuple[str, str, int]] | None = None,
):
    """A contract running from 60 days ago to 300 days ahead unless told otherwise; ``seats`` are
    (scope, shift, headcount) rows at ¥3,000 a seat (none: the contract lists no seats, no bound)."""
    _counter["n"] += 1
    start_on = start_on or today() - timedelta(days=60)
    end_on = end_on or today() + timedelta(days=300)
    client = client or make_client(db, name=f"测试客户{_counter['n']}")
    contract = Contract(
        number=f"HT-2026-{_counter['n']:04d}",
        client_id=client.id,
        status=status,
        start_on=start_on,
        end_on=end_on,
        model="fixed_seat",
        terms={
            "model": "fixed_seat",
            "seats": [
                {"scope": scope, "shift": shift, "seats": n, "monthly_rate_fen": 300_000}
                for scope, shift, n in seats or []
            ],
        },
    )
    db.session.add(contract)
    db.session.commit()
    return contract


def make_agent(db, name="张晓雯", **fields) -> Agent:
    _counter["n"] += 1
    agent = Agent(
        name=name,
        employee_no=fields.pop("employee_no", f"T-{_counter['n']:05d}"),
        status=fields.pop("status", "recruiting"),
        **fields,
    )
    db.session.add(agent)
    db.session.commit()
    return agent


def make_assignment(db, contract=None, agent=None, *, planned: date | None = None, by=None) -> Assignment:
    contract = contract or make_contract(db)
    planned = planned or today() + timedelta(days=3)
    agent = agent or make_agent(db)
    assignment = services.create_assignment(
        agent, contract, scope="presales", shift="day", planned_go_live_on=planned, by=by
    )
    db.session.commit()
    return assignment


def complete_checklist(db, assignment, doer, checker) -> None:
    """Every required item done, verified by ``checker`` where it needs a second person."""
    for item in assignment.items:
        if item.required:
            services.mark_item_done(item, by=doer, evidence="ok")
            if item.needs_verification:
                services.mark_item_verified(item, by=checker)
    db.session.commit()
