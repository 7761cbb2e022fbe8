"""The periodic tasks are registered with Huey on the schedule the README states (UTC crontabs;
Beijing = UTC+8), and each one does its work when it runs."""

from datetime import datetime, timedelta

import pytest

from ops.tasks import schedule
from ops.tasks.queue import huey


def _due(at: datetime) -> set[str]:
    """The periodic tasks Huey's scheduler enqueues at ``at`` (UTC), besides the core's every-minute ones."""
    return {task.name for task in huey.read_periodic(at)} - {
        "heartbeat",
        "sweep",
        "dispatch_events_periodically",
        "retry_webhooks",
        "render_missing_pdfs_periodically",  # every five minutes
    }


@pytest.mark.parametrize(
    "utc, expected",
    [
        (datetime(2026, 12, 1, 16, 5), {"expire_quotes_and_contracts"}),  # 00:05 Beijing, Dec 2
        (datetime(2026, 12, 1, 16, 15), {"accrue_late_fees"}),  # 00:15 Beijing
        (datetime(2026, 12, 1, 1, 0), {"announce_expiring_contracts", "announce_golives_soon"}),  # 09:00
        (datetime(2026, 12, 1, 1, 30), {"dunning"}),  # 09:30 Beijing
        (datetime(2026, 12, 1, 1, 31), set()),
        (datetime(2026, 12, 1, 16, 6), set()),
    ],
)
def test_each_task_fires_at_its_time(app, utc, expected):
    assert _due(utc) == expected


def test_each_daily_task_fires_once_a_day_and_the_heartbeat_every_minute(app):
    start = datetime(2026, 12, 1, 0, 0)
    fired: dict[str, int] = {}
    for minute in range(24 * 60):
        for task in huey.read_periodic(start + timedelta(minutes=minute)):
            fired[task.name] = fired.get(task.name, 0) + 1
    assert fired["heartbeat"] == 24 * 60
    assert fired["retry_webhooks"] == 24 * 60  # webhook retries and the failing-for-days check
    assert {name: fired[name] for name in schedule.SCHEDULE} == dict.fromkeys(schedule.SCHEDULE, 1)


def test_the_schedule_module_is_imported_by_the_app_and_the_consumers():
    from ops.tasks.runtime import TASK_MODULES

    assert "ops.tasks.schedule" in TASK_MODULES


def test_the_tasks_do_their_work_when_they_run(db, monkeypatch):
    """In immediate mode (the tests) calling a task runs it inline, as a consumer would."""
    from datetime import date

    from ops.billing.models import DunningReminder
    from ops.billing.services import dunning
    from ops.contracts.models import Contract
    from ops.timeutil import today
    from tests.billing.helpers import issued_for, make_contract
    from tests.event_rows import events_of

    # September's invoice, due 2026-10-05: on Nov 30 the final level (Oct 20) is the one due.
    monkeypatch.setattr(dunning, "today", lambda: date(2026, 11, 30))
    contract = make_contract(db)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    ended = make_contract(db, client=contract.client, start_on=today() - timedelta(days=400))
    ended.end_on = today() - timedelta(days=1)
    ending = make_contract(db, client=contract.client, start_on=today() - timedelta(days=100))
    ending.end_on = today() + timedelta(days=20)
    db.session.commit()

    schedule.expire_quotes_and_contracts()
    schedule.announce_expiring_contracts()
    schedule.dunning()
    schedule.dunning()  # twice: nothing twice
    db.session.expire_all()
    assert db.session.get(Contract, ended.id).status == "expired"
    assert [e.payload["contract_id"] for e in events_of("contract.expiring")] == [ending.id]
    levels = [r.level for r in db.session.query(DunningReminder).filter_by(invoice_id=invoice.id)]
    assert levels == [4]
