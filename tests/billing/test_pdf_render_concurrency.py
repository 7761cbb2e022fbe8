"""Two consumers rendering the same invoices at once (a duplicated task, the sweep racing the queue) store
each PDF once, and the stored bytes hash to the stored SHA-256 (SQLite file or PostgreSQL).

Each worker process builds its own app on the test database, waits at a barrier before every render and
calls the task's service, as a consumer does."""

import hashlib
import multiprocessing

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing.models import Invoice
from ops.billing.services import issuing
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.billing.test_invoices_concurrency import _config

TIMEOUT = 120


def _worker(config: dict, invoice_ids: list[int], barrier, results) -> None:
    from ops import create_app
    from ops.billing.services import store_invoice_pdf
    from ops.extensions import db

    app = create_app(config)
    try:
        with app.app_context():
            for invoice_id in invoice_ids:
                barrier.wait(timeout=TIMEOUT)
                results.put((invoice_id, store_invoice_pdf(invoice_id)))
                db.session.remove()
            db.engine.dispose()
    except BaseException as exc:  # report it to the test instead of dying silently
        results.put(("error", repr(exc)))
        raise


def test_two_processes_rendering_the_same_invoices_store_each_once(app, db, monkeypatch):
    monkeypatch.setattr(issuing, "enqueue_invoice_pdf", lambda invoice_id: None)  # no consumer yet
    ids = []
    for i in range(4):
        client = make_billing_client(db, name=f"渲染店铺{i}", legal_name=f"渲染商贸有限公司{i}", tax_id=None)
        ids.append(issued_for(db, make_contract(db, client, seats=1 + i)).id)
    db.session.commit()
    db.session.remove()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(_config(app), ids, barrier, results)) for _ in range(2)]
    for w in workers:
        w.start()
    got = []
    while len(got) < 2 * len(ids) and not any(r[0] == "error" for r in got):
        got.append(results.get(timeout=TIMEOUT))
    for w in workers:
        w.join(timeout=TIMEOUT)
    assert not [r for r in got if r[0] == "error"], got
    assert [w.exitcode for w in workers] == [0, 0]

    # For each invoice exactly one of the two renders stored it; the other found it stored.
    for invoice_id in ids:
        assert sorted(stored for i, stored in got if i == invoice_id) == [False, True], invoice_id
    for invoice in db.session.scalars(sa.select(Invoice).where(Invoice.id.in_(ids))):
        assert invoice.pdf.startswith(b"%PDF")
        assert hashlib.sha256(invoice.pdf).hexdigest() == invoice.pdf_sha256
    entries = db.session.execute(
        sa.select(AuditEntry.object_id, sa.func.count())
        .where(AuditEntry.action == "invoice.pdf_stored")
        .group_by(AuditEntry.object_id)
    ).all()
    assert sorted(entries) == sorted((invoice_id, 1) for invoice_id in ids)
