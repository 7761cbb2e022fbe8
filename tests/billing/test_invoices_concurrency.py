"""Two processes issuing at once get unique, gapless numbers (SQLite file or PostgreSQL).

Each worker builds its own app on the test database's URL, waits at a barrier before every issue,
and disposes its engine at the end. The same invoice issued by both processes is issued once.
"""

import multiprocessing

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing.models import Invoice
from ops.timeutil import today
from tests.billing.helpers import draft_for, make_billing_client, make_contract

TIMEOUT = 120
CONTRACTS = 30  # enough for the two runs to meet on the same contracts (6 never deadlocked on PostgreSQL)


def _worker(config: dict, invoice_ids: list[int], barrier, results) -> None:
    from ops import create_app
    from ops.billing.services import issue_invoice
    from ops.extensions import db

    app = create_app(config)
    try:
        with app.app_context():
            for invoice_id in invoice_ids:
                barrier.wait(timeout=TIMEOUT)
                invoice = issue_invoice(invoice_id)
                results.put((invoice_id, invoice.number))
                db.session.remove()
            db.engine.dispose()
    except BaseException as exc:  # report it to the test instead of dying silently
        results.put(("error", repr(exc)))
        raise


def _config(app) -> dict:
    config = {
        k: v for k, v in app.config.items() if k.isupper() and isinstance(v, (str, int, bool, type(None)))
    }
    config["SQLALCHEMY_DATABASE_URI"] = app.config["SQLALCHEMY_DATABASE_URI"]
    return config


def test_two_processes_issue_unique_gapless_numbers(app, db):
    drafts = []
    for i in range(7):
        client = make_billing_client(db, name=f"测试店铺{i}", legal_name=f"测试商贸有限公司{i}", tax_id=None)
        drafts.append(draft_for(db, make_contract(db, client, seats=1)).id)
    shared = drafts.pop()
    db.session.commit()
    db.session.remove()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    jobs = [drafts[0::2] + [shared], drafts[1::2] + [shared]]  # 3 own invoices each, then the same one
    workers = [ctx.Process(target=_worker, args=(_config(app), ids, barrier, results)) for ids in jobs]
    for w in workers:
        w.start()
    got = []
    while len(got) < sum(len(ids) for ids in jobs) and not any(r[0] == "error" for r in got):
        got.append(results.get(timeout=TIMEOUT))
    for w in workers:
        w.join(timeout=TIMEOUT)
    assert not [r for r in got if r[0] == "error"], got
    assert [w.exitcode for w in workers] == [0, 0]

    year = today().year
    numbers = db.session.execute(sa.select(Invoice.id, Invoice.number).order_by(Invoice.number)).all()
    assert [n for _, n in numbers] == [f"INV-{year}-{k:05d}" for k in range(1, 8)]
    by_id = dict(numbers)
    # Both processes got the same number for the shared invoice; it was issued (and audited) once.
    assert {n for i, n in got if i == shared} == {by_id[shared]}
    issued_entries = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "invoice.issued", AuditEntry.object_id == shared)
    )
    assert issued_entries == 1
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Invoice).where(Invoice.status != "issued"))
        == 0
    )


def _run_worker(config: dict, barrier, results) -> None:
    from ops import create_app
    from ops.billing.services import run_billing
    from ops.extensions import db

    app = create_app(config)
    try:
        with app.app_context():
            barrier.wait(timeout=TIMEOUT)
            summary = run_billing("2026-09", issue=True)
            results.put(("summary", summary.errors, summary.created + summary.refreshed + summary.unchanged))
            db.session.remove()
            db.engine.dispose()
    except BaseException as exc:
        results.put(("error", repr(exc)))
        raise


def test_two_billing_runs_at_once_make_one_invoice_per_contract(app, db):
    # Found by bench/fault.py: the second run inserted the same (contract, period) draft and died on the
    # unique constraint. Each contract is now refreshed under the write lock, so the runs take turns.
    for i in range(CONTRACTS):
        client = make_billing_client(db, name=f"并发店铺{i}", legal_name=f"并发商贸有限公司{i}", tax_id=None)
        # Every other contract has a deposit to apply: issuing then writes the contract row too.
        deposit = (
            dict(deposit_fen=100_000, deposit_usage="first_invoice", deposit_status="received")
            if i % 2
            else {}
        )
        make_contract(db, client, seats=1, **deposit)
    db.session.commit()
    db.session.remove()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=_run_worker, args=(_config(app), barrier, results)) for _ in range(2)]
    for w in workers:
        w.start()
    got = [results.get(timeout=TIMEOUT) for _ in workers]
    for w in workers:
        w.join(timeout=TIMEOUT)
    assert got == [("summary", [], CONTRACTS), ("summary", [], CONTRACTS)]
    assert [w.exitcode for w in workers] == [0, 0]

    invoices = db.session.execute(sa.select(Invoice.contract_id, Invoice.period, Invoice.status)).all()
    assert len(invoices) == CONTRACTS
    assert len({(c, p) for c, p, _ in invoices}) == CONTRACTS
    assert {s for _, _, s in invoices} == {"issued"}
    year = today().year
    numbers = db.session.scalars(sa.select(Invoice.number).order_by(Invoice.number)).all()
    assert numbers == [f"INV-{year}-{k:05d}" for k in range(1, CONTRACTS + 1)]
