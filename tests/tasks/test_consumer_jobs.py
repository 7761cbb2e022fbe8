"""Jobs against a real consumer: gunicorn serves the pages, ``flask ops worker`` (a subprocess) runs the
jobs from a real queue — a SqliteHuey file, and Redis (``OPS_REDIS_URL_TEST``, database 15 by default;
skipped when Redis is not there, unless ``OPS_REDIS_REQUIRED=1``, as in CI, makes that a failure).

The billing run is started from the page, its progress read from /jobs/<id>.json; the consumer is
SIGKILLed part-way through a run that issues 60 invoices, restarted, and the run ends with each
contract billed once, invoice numbers without a gap and every stored PDF matching its SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench._server import BIN, ROOT, Instance, Server
from ops.billing.models import Invoice
from ops.config import TestConfig
from ops.contracts.models import Contract
from ops.extensions import db
from ops.tasks.models import Job, JobItem
from ops.timeutil import today
from tests.billing.helpers import make_billing_client, make_contract
from tests.live import LiveClient

pytestmark = pytest.mark.slow

CONTRACTS = 60
LEASE_SECONDS = 3
REDIS_DEFAULT = "redis://127.0.0.1:6379/15"
YEAR = today().year


def _redis_url() -> str:
    url = os.environ.get("OPS_REDIS_URL_TEST") or REDIS_DEFAULT
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 — any failure to reach Redis means "not there"
        message = f"Redis is not reachable at {url} ({exc})"
        if os.environ.get("OPS_REDIS_REQUIRED") == "1":
            pytest.fail(message + "; OPS_REDIS_REQUIRED=1 is set, so this is a failure.", pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture(params=["sqlite", "redis"])
def queue_env(request, tmp_path) -> dict:
    """The queue's settings, the same for the web server and every consumer."""
    if request.param == "sqlite":
        return {"OPS_QUEUE_FILE": str(tmp_path / "queue.db")}
    url = _redis_url()
    import redis

    redis.Redis.from_url(url).flushdb()  # this test's own database: no task left from another run
    return {"OPS_REDIS_URL": url}


class QueueSite:
    """gunicorn on the test database plus consumers started and killed at will."""

    def __init__(self, app, tmp_path: Path, queue_env: dict):
        self.instance = Instance(tmp_path / "instance", db_file=tmp_path / "unused.db")
        self.instance.env.update(
            {
                "OPS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "OPS_SECRET_KEY": secrets.token_urlsafe(40),
                "OPS_VAULT_KEY": TestConfig.VAULT_KEY,
                "OPS_UPLOAD_DIR": app.config["UPLOAD_DIR"],
                "OPS_JOB_DIR": str(tmp_path / "jobs"),
                "OPS_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
                "OPS_AUTO_MIGRATE": "0",
                "OPS_ENV": "development",
                **queue_env,
            }
        )
        for name in ("FLASK_DEBUG", "OPS_QUEUE_IMMEDIATE", "OPS_TEST_QUEUE"):
            self.instance.env.pop(name, None)
        if "OPS_REDIS_URL" not in queue_env:
            self.instance.env.pop("OPS_REDIS_URL", None)
        self.server = Server(self.instance, workers=2)
        self.consumers: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self) -> QueueSite:
        self.server.start(wait=60)
        return self

    def client(self) -> LiveClient:
        return LiveClient(self.server.port, timeout=60)

    def start_consumer(self) -> subprocess.Popen:
        log_path = self.instance.folder / f"consumer{len(self.logs)}.log"
        self.logs.append(log_path)
        with open(log_path, "wb") as log:
            consumer = subprocess.Popen(
                [str(BIN / "flask"), "ops", "worker", "--workers", "1"],
                cwd=ROOT,
                env=self.instance.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.consumers.append(consumer)
        return consumer

    def kill(self, consumer: subprocess.Popen) -> None:
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait(timeout=10)

    def stop(self) -> None:
        for consumer in self.consumers:
            if consumer.poll() is None:
                os.killpg(consumer.pid, signal.SIGTERM)
                try:
                    consumer.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(consumer)
        self.server.stop()

    def consumer_log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs if p.exists())


@pytest.fixture
def site(app, db, tmp_path, queue_env):
    site = QueueSite(app, tmp_path, queue_env).start()
    try:
        yield site
    finally:
        site.stop()
        db.session.remove()


def _finance(site: QueueSite, make_user) -> LiveClient:
    make_user("finance", username="finance-q")
    db.session.remove()
    return site.client().login("finance-q")


def _start_run(browser: LiveClient, period: str, *, issue: bool = True) -> int:
    fields = {"period": period, "client_id": "0"}
    if issue:
        fields["issue"] = "y"
    answer = browser.post_with_csrf("/billing/runs", "/billing/runs", fields)
    assert answer.status == 302 and "/jobs/" in answer.location, (answer.status, answer.text[:500])
    return int(answer.location.rstrip("/").rsplit("/", 1)[1])


def _state(browser: LiveClient, job_id: int) -> dict:
    import json

    answer = browser.get(f"/jobs/{job_id}.json")
    assert answer.status == 200, answer.text[:300]
    return json.loads(answer.text)


def _wait(browser, job_id, until, site, seconds=180.0) -> tuple[dict, list[dict]]:
    """Poll the job's JSON until ``until(state)``; every state seen along the way."""
    seen = []
    deadline = time.monotonic() + seconds
    while True:
        state = _state(browser, job_id)
        seen.append(state)
        if until(state):
            return state, seen
        assert time.monotonic() < deadline, f"job {job_id} stuck at {state}\n{site.consumer_log()}"
        time.sleep(0.05)


def _contracts(n: int) -> list:
    client = make_billing_client(db)
    return [make_contract(db, client, seats=1, rate_fen=500_000 + i * 100) for i in range(n)]


def _numbers() -> list[str]:
    db.session.remove()
    numbers = db.session.scalars(sa.select(Invoice.number).where(Invoice.number.is_not(None))).all()
    db.session.remove()
    return sorted(numbers)


def _expected_numbers(n: int) -> list[str]:
    return [f"INV-{YEAR}-{i:05d}" for i in range(1, n + 1)]


def _wait_for_pdfs(site, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        db.session.remove()
        missing = db.session.scalar(
            sa.select(sa.func.count()).where(Invoice.number.is_not(None), Invoice.pdf_sha256.is_(None))
        )
        db.session.remove()
        if not missing:
            return
        assert time.monotonic() < deadline, f"{missing} PDFs never stored\n{site.consumer_log()}"
        time.sleep(0.2)


def test_a_run_from_the_page_survives_a_killed_consumer_and_is_billed_once(site, make_user):
    _contracts(CONTRACTS)
    browser = _finance(site, make_user)
    consumer = site.start_consumer()
    job_id = _start_run(browser, "2026-09")

    # Progress: the bar moves; kill the consumer part-way (SIGKILL: no clean-up of any kind).
    state, seen = _wait(browser, job_id, lambda s: s["done"] >= 5, site)
    assert state["status"] == "running" and state["total"] == CONTRACTS, state
    site.kill(consumer)
    stopped_at = _state(browser, job_id)
    assert stopped_at["status"] == "running" and stopped_at["done"] < CONTRACTS, (
        "the run ended before the kill"
    )

    # The lease runs out; a new consumer takes the job up again from the first item not done.
    time.sleep(LEASE_SECONDS + 1)
    site.start_consumer()
    state, more = _wait(browser, job_id, lambda s: s["status"] in ("done", "failed", "cancelled"), site)
    seen += more
    assert state["status"] == "done", f"{state}\n{site.consumer_log()}"
    assert (state["done"], state["total"]) == (CONTRACTS, CONTRACTS)
    assert state["result_url"] == "/billing/invoices?period=2026-09"
    assert any(0 < s["done"] < CONTRACTS for s in seen), "no progress was ever shown"

    # Each contract billed once, numbers without a gap, every stored PDF its SHA-256 (the renders the
    # killed consumer took with it are queued again by the restarted one).
    _wait_for_pdfs(site)
    db.session.remove()
    invoices = db.session.scalars(sa.select(Invoice).where(Invoice.period == "2026-09")).all()
    assert len(invoices) == CONTRACTS
    assert len({invoice.contract_id for invoice in invoices}) == CONTRACTS
    assert all(invoice.status == "issued" for invoice in invoices)
    assert _numbers() == _expected_numbers(CONTRACTS)
    db.session.remove()
    for invoice_id, pdf, digest in db.session.execute(
        sa.select(Invoice.id, Invoice.pdf, Invoice.pdf_sha256).where(Invoice.period == "2026-09")
    ):
        assert pdf is not None and hashlib.sha256(pdf).hexdigest() == digest, invoice_id
    job = db.session.get(Job, job_id)
    assert job.attempts >= 2 and job.result["counts"]["issued"] == CONTRACTS
    assert job.result["counts"]["created"] == CONTRACTS and job.result["counts"]["failed"] == 0
    db.session.remove()

    # The job page shows the result: the summary and the link to the period's invoices.
    page = browser.get(f"/jobs/{job_id}").text
    assert f"开具 {CONTRACTS}" in page and "/billing/invoices?period=2026-09" in page

    # Cancel a running run: it stops after its current contract, what it did stays whole.
    job_id = _start_run(browser, "2026-10")
    _wait(browser, job_id, lambda s: s["done"] >= 2, site)
    answer = browser.post_with_csrf(f"/jobs/{job_id}", f"/jobs/{job_id}/cancel", {})
    assert answer.status == 302
    state, _ = _wait(browser, job_id, lambda s: s["status"] in ("done", "failed", "cancelled"), site)
    assert state["status"] == "cancelled" and state["done"] < CONTRACTS, state
    db.session.remove()
    october = db.session.scalars(sa.select(Invoice).where(Invoice.period == "2026-10")).all()
    issued = [invoice for invoice in october if invoice.status == "issued"]
    assert len(issued) == len(october) == state["done"]  # the contract it was on is finished, not cut
    assert _numbers() == _expected_numbers(CONTRACTS + len(issued))
    db.session.remove()
    assert site.server.log_problems() == [], site.server.log_tail()


def test_a_cancelled_queued_job_never_runs_and_failed_items_are_retried(site, make_user):
    contracts = _contracts(3)
    broken = contracts[1]
    broken.terms = {"model": "fixed_seat", "seats": [], "extras": []}  # no price for its agent's seat
    db.session.commit()
    broken_id = broken.id
    db.session.remove()
    browser = _finance(site, make_user)

    # No consumer yet: the job waits in the queue; cancelled there, it never runs.
    waiting = _start_run(browser, "2026-08")
    assert _state(browser, waiting)["status"] == "queued"
    assert browser.post_with_csrf(f"/jobs/{waiting}", f"/jobs/{waiting}/cancel", {}).status == 302
    assert _state(browser, waiting)["status"] == "cancelled"
    site.start_consumer()

    job_id = _start_run(browser, "2026-09")
    state, _ = _wait(browser, job_id, lambda s: s["status"] in ("done", "failed"), site)
    assert state["status"] == "done" and state["done"] == 3
    db.session.remove()
    failed = db.session.scalars(
        sa.select(JobItem).where(JobItem.job_id == job_id, JobItem.status == "failed")
    ).all()
    assert [item.key for item in failed] == [str(broken_id)] and "没有对应的席位价格" in failed[0].message
    assert _numbers() == _expected_numbers(2)
    assert "没有对应的席位价格" in browser.get(f"/jobs/{job_id}").text

    # The terms are put right; Retry failed items bills that contract, and only it.
    db.session.execute(
        sa.update(Contract)
        .where(Contract.id == broken_id)
        .values(
            terms={
                "model": "fixed_seat",
                "seats": [{"scope": "presales", "shift": "day", "seats": 1, "monthly_rate_fen": 500_000}],
                "extras": [],
            }
        )
    )
    db.session.commit()
    db.session.remove()
    assert browser.post_with_csrf(f"/jobs/{job_id}", f"/jobs/{job_id}/retry", {}).status == 302
    state, _ = _wait(browser, job_id, lambda s: s["status"] in ("done", "failed"), site)
    db.session.remove()
    job = db.session.get(Job, job_id)
    assert job.status == "done" and job.result["counts"]["failed"] == 0, job.result
    assert _numbers() == _expected_numbers(3)
    db.session.remove()
    waiting_job = db.session.get(Job, waiting)
    assert waiting_job.status == "cancelled"
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Invoice).where(Invoice.period == "2026-08"))
        == 0
    )
    db.session.remove()
