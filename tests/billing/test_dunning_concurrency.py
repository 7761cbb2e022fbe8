"""Two consumers scanning for reminders at the same moment (SQLite file or PostgreSQL) record each
invoice's level once: the decision is taken under the invoice's lock, the unique key backs it."""

import multiprocessing
from datetime import date

import sqlalchemy as sa

from ops.billing.models import DunningReminder
from ops.events.models import Event
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.billing.test_invoices_concurrency import _config

TIMEOUT = 120
INVOICES = 12
ON = date(2026, 10, 7)  # September's invoices are due Oct 5: level 2 (+1 day) is due


def _scan_worker(config: dict, barrier, results) -> None:
    from ops import create_app
    from ops.billing.services import run_dunning
    from ops.extensions import db

    app = create_app(config)
    try:
        with app.app_context():
            barrier.wait(timeout=TIMEOUT)
            results.put(("recorded", run_dunning(ON)))
            db.session.remove()
            db.engine.dispose()
    except BaseException as exc:  # report it to the test instead of dying silently
        results.put(("error", repr(exc)))
        raise


def test_two_scans_at_once_record_each_level_once(app, db):
    ids = []
    for i in range(INVOICES):
        client = make_billing_client(db, name=f"催款店铺{i}", legal_name=f"催款商贸有限公司{i}", tax_id=None)
        ids.append(
            issued_for(db, make_contract(db, client, seats=1), "2026-09", issued_on=date(2026, 10, 2)).id
        )
    db.session.commit()
    db.session.remove()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=_scan_worker, args=(_config(app), barrier, results)) for _ in range(2)]
    for w in workers:
        w.start()
    got = [results.get(timeout=TIMEOUT) for _ in workers]
    for w in workers:
        w.join(timeout=TIMEOUT)
    assert not [r for r in got if r[0] == "error"], got
    assert [w.exitcode for w in workers] == [0, 0]
    assert sum(n for _, n in got) == INVOICES  # between them, one reminder per invoice

    rows = db.session.execute(sa.select(DunningReminder.invoice_id, DunningReminder.level)).all()
    assert sorted(rows) == [(invoice_id, 2) for invoice_id in ids]
    events = db.session.scalar(
        sa.select(sa.func.count()).select_from(Event).where(Event.kind == "invoice.dunning")
    )
    assert events == INVOICES
