"""Issued PDFs rendered by a real consumer (``flask ops worker`` on a SqliteHuey file): the issue enqueues,
the consumer stores each PDF with its hash; a consumer SIGKILLed mid-way and started again, after the sweep,
leaves every PDF stored exactly once."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.models import Invoice
from ops.tasks.queue import configure
from tests.billing.helpers import issued_for, make_billing_client, make_contract

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90


@pytest.fixture
def real_queue(app, tmp_path):
    """The suite's app pointed at a SqliteHuey file (enqueue, not run), and a way to start consumers."""
    saved = {k: app.config.get(k) for k in ("QUEUE_IMMEDIATE", "QUEUE_FILE")}
    app.config.update(QUEUE_IMMEDIATE=False, QUEUE_FILE=str(tmp_path / "queue.db"))
    configure(app)
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "OPS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "OPS_QUEUE_FILE": str(tmp_path / "queue.db"),
        "OPS_SECRET_KEY": app.config["SECRET_KEY"],
        "OPS_VAULT_KEY": app.config["VAULT_KEY"] or "",
        "OPS_UPLOAD_DIR": str(tmp_path / "uploads"),
        "OPS_PDF_FONT": app.config.get("PDF_FONT") or "",
        "OPS_AUTO_MIGRATE": "0",
    }
    env.pop("OPS_REDIS_URL", None)
    env.pop("OPS_QUEUE_IMMEDIATE", None)
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        flask = str(Path(sys.executable).parent / "flask")
        process = subprocess.Popen(
            [flask, "ops", "worker", "--workers", "2", "--no-periodic"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    app.config.update(saved)
    configure(app)


def _stored(db, ids: list[int]) -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count(Invoice.id)).where(Invoice.id.in_(ids), Invoice.pdf_sha256.is_not(None))
    )


def _wait(db, ids: list[int], at_least: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while _stored(db, ids) < at_least:
        assert time.monotonic() < deadline, f"{_stored(db, ids)} of {at_least} PDFs stored"
        db.session.commit()
        time.sleep(0.1)


def _issue(db, n: int) -> list[int]:
    ids = []
    for i in range(n):
        client = make_billing_client(db, name=f"队列店铺{i}", legal_name=f"队列商贸有限公司{i}", tax_id=None)
        ids.append(issued_for(db, make_contract(db, client, seats=1 + i % 3)).id)
    db.session.commit()
    return ids


def _check_each_stored_once(db, ids: list[int]) -> None:
    for invoice in db.session.scalars(sa.select(Invoice).where(Invoice.id.in_(ids))):
        assert hashlib.sha256(invoice.pdf).hexdigest() == invoice.pdf_sha256, invoice.number
    counts = dict(
        db.session.execute(
            sa.select(AuditEntry.object_id, sa.func.count())
            .where(AuditEntry.action == "invoice.pdf_stored", AuditEntry.object_id.in_(ids))
            .group_by(AuditEntry.object_id)
        ).all()
    )
    assert counts == {invoice_id: 1 for invoice_id in ids}


def test_the_consumer_renders_what_issuing_enqueued(db, real_queue):
    ids = _issue(db, 3)
    assert _stored(db, ids) == 0  # enqueued, not rendered: nobody is consuming yet
    assert services.pending_pdf_count() == 3
    real_queue()
    _wait(db, ids, 3)
    _check_each_stored_once(db, ids)


def test_a_consumer_killed_mid_way_leaves_nothing_missing_after_the_sweep(db, real_queue):
    ids = _issue(db, 8)
    consumer = real_queue()
    _wait(db, ids, 1)
    os.killpg(consumer.pid, signal.SIGKILL)  # the tasks it had taken are lost with it
    consumer.wait()
    assert services.render_missing_pdfs() == 8 - _stored(db, ids)
    real_queue()
    _wait(db, ids, 8)
    _check_each_stored_once(db, ids)
