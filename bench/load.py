"""Load check: gunicorn with four workers on the default SQLite database, concurrent users and API batches.

    .venv/bin/python bench/load.py [--duration 60] [--clients 8] [--short] [--keep]

Makes a fresh instance under a temporary folder (migrations and the demo data), an API token, and
starts ``gunicorn -w 4`` on a free 127.0.0.1 port. Each client thread uses a staff session
(admin or manager) and the portal's client user's session (each user logs in once through the
login form, CSRF token included) and, until the time is up, mixes page loads
(dashboard, lists, an invoice and its PDF, onboarding, portal pages) with ``POST /api/v1/usage``
batches: new (client, day, platform) keys, unique across threads, plus re-posts of the thread's
own earlier keys with new values. Half-way through, ``flask ops backup`` copies the live database.

Then it reports requests, errors (any 5xx, connection error, unexpected status or a body saying
"database is locked"), p50/p95/p99 latency, checks that every posted usage row is stored exactly
once with the values posted last, and restores the backup into a new instance (bench/backup_check.py).
Exits 1 when any check fails. ``--short`` (about 20 s) is the CI version.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (  # noqa: E402
    CheckFailed,
    HttpClient,
    Instance,
    Server,
    percentile,
    sha256,
)

PLATFORMS = ("taobao", "tmall", "jd", "pdd", "kuaishou", "douyin")
FIRST_DAY = date(2019, 1, 1)  # far before the demo's usage (the last three months), so keys never collide
LAST_DAY = date(2025, 12, 31)
NEW_ROWS, REPOSTED_ROWS = 40, 10  # per batch
MAX_ITERATIONS = 100_000  # per thread: the loop is bounded even if the clock misbehaves
STAFF_USERS = ("admin", "manager")
PORTAL_USER = "client"
VALUE_FIELDS = (
    "consults",
    "valid_consults",
    "served_gmv_fen",
    "refunds_fen",
    "first_response_ms",
    "avg_response_ms",
    "reply_3min_bp",
    "inquiry_conversion_bp",
    "satisfaction_bp",
    "dispute_refund_bp",
)


@dataclass
class Sample:
    kind: str  # page / portal / pdf / api
    path: str
    seconds: float
    error: str | None = None


@dataclass
class Targets:
    """What the pages link to, read from the database before the load starts."""

    client_ids: list[int]
    contract_ids: list[int]
    invoices: dict[int, str]  # issued invoice id -> pdf_sha256
    portal_invoices: dict[int, str]
    staff_pages: list[str] = field(default_factory=list)
    portal_pages: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, instance: Instance) -> Targets:
        with instance.connect() as conn:
            client_ids = [r[0] for r in conn.execute("SELECT id FROM clients ORDER BY id")]
            contract_ids = [r[0] for r in conn.execute("SELECT id FROM contracts ORDER BY id")]
            invoices = dict(conn.execute("SELECT id, pdf_sha256 FROM invoices WHERE number IS NOT NULL"))
            portal_client = conn.execute(
                "SELECT client_id FROM users WHERE username = ?", (PORTAL_USER,)
            ).fetchone()[0]
            portal_invoices = dict(
                conn.execute(
                    "SELECT id, pdf_sha256 FROM invoices WHERE number IS NOT NULL AND status != 'void' AND client_id = ?",
                    (portal_client,),
                )
            )
        targets = cls(client_ids, contract_ids, invoices, portal_invoices)
        targets.staff_pages = [
            "/",
            "/clients/",
            "/contracts/",
            "/billing/invoices",
            "/onboarding/",
            "/usage/",
            "/quotes/",
            *(f"/clients/{i}" for i in client_ids[:4]),
            *(f"/contracts/{i}" for i in contract_ids[:4]),
            *(f"/billing/invoices/{i}" for i in list(invoices)[:6]),
        ]
        targets.portal_pages = [
            "/portal/",
            "/portal/invoices",
            "/portal/contracts",
            "/portal/quotes",
            *(f"/portal/invoices/{i}" for i in portal_invoices),
        ]
        if not invoices or not portal_invoices:
            raise CheckFailed("the demo data has no issued invoices to load")
        return targets


class KeySource:
    """Distinct (client, day, platform) keys for all threads: the k-th key walks clients, platforms, days."""

    def __init__(self, client_ids: list[int]):
        self.client_ids = client_ids
        self.next = 0
        self.lock = threading.Lock()

    def take(self, n: int) -> list[tuple[int, str, str]]:
        with self.lock:
            start, self.next = self.next, self.next + n
        keys = []
        per_day = len(self.client_ids) * len(PLATFORMS)
        for k in range(start, start + n):
            day = FIRST_DAY + timedelta(days=k // per_day)
            if day > LAST_DAY:
                break
            platform = PLATFORMS[(k // len(self.client_ids)) % len(PLATFORMS)]
            keys.append((self.client_ids[k % len(self.client_ids)], day.isoformat(), platform))
        return keys


def usage_row(key: tuple[int, str, str], rng: random.Random) -> tuple[dict, tuple]:
    """A JSON row for the API and the values the database must then hold (ms, basis points, fen)."""
    client_id, day, platform = key
    consults = rng.randint(50, 5000)
    valid = rng.randint(0, consults)
    gmv, refunds = rng.randint(0, 10**9), rng.randint(0, 10**6)
    first_ds, avg_ds = rng.randint(10, 900), rng.randint(10, 900)  # tenths of a second
    rates = [rng.randint(0, 1000) for _ in range(4)]  # tenths of a percent
    row = {
        "client_id": client_id,
        "date": day,
        "platform": platform,
        "consults": consults,
        "valid_consults": valid,
        "served_gmv_fen": gmv,
        "refunds_fen": refunds,
        "first_response_seconds": f"{first_ds / 10:.1f}",
        "avg_response_seconds": f"{avg_ds / 10:.1f}",
        "reply_3min_rate": f"{rates[0] / 10:.1f}",
        "inquiry_conversion": f"{rates[1] / 10:.1f}",
        "satisfaction": f"{rates[2] / 10:.1f}",
        "dispute_refund_rate": f"{rates[3] / 10:.1f}",
    }
    # 12.5 s = 12,500 ms; 92.5 % = 9,250 bp
    stored = (consults, valid, gmv, refunds, first_ds * 100, avg_ds * 100, *(r * 10 for r in rates))
    return row, stored


class ClientThread(threading.Thread):
    """One simulated user: a staff session, a portal session and API batches, until the deadline."""

    def __init__(
        self,
        index: int,
        port: int,
        token: str,
        targets: Targets,
        keys: KeySource,
        sessions: dict,
        deadline: float,
    ):
        super().__init__(name=f"client-{index}", daemon=True)
        self.index, self.port, self.token, self.targets, self.keys = index, port, token, targets, keys
        self.sessions, self.deadline = sessions, deadline
        self.rng = random.Random(index)
        self.samples: list[Sample] = []
        self.posted: dict[tuple, tuple] = {}  # this thread's keys -> the values posted last
        self.batches = 0
        self.failure: str | None = None

    def run(self) -> None:
        try:
            staff, portal, api = HttpClient(self.port), HttpClient(self.port), HttpClient(self.port)
            staff.cookies = dict(self.sessions[STAFF_USERS[self.index % len(STAFF_USERS)]])
            portal.cookies = dict(self.sessions[PORTAL_USER])
            for _ in range(MAX_ITERATIONS):
                if time.monotonic() >= self.deadline:
                    break
                roll = self.rng.random()
                if roll < 0.25:
                    self.post_batch(api)
                elif roll < 0.65:
                    self.page(staff, "page", self.rng.choice(self.targets.staff_pages))
                elif roll < 0.75:
                    self.pdf(staff, "/billing/invoices/{}/pdf", self.targets.invoices)
                elif roll < 0.95:
                    self.page(portal, "portal", self.rng.choice(self.targets.portal_pages))
                else:
                    self.pdf(portal, "/portal/invoices/{}/pdf", self.targets.portal_invoices)
        except Exception as exc:  # a crash of the thread itself is a failed check, never silent
            self.failure = f"{type(exc).__name__}: {exc}"

    def timed(self, kind: str, path: str, client: HttpClient, method="GET", body=None, headers=None):
        started = time.perf_counter()
        try:
            response = client.request(method, path, body, headers)
        except OSError as exc:
            self.samples.append(Sample(kind, path, time.perf_counter() - started, f"connection: {exc}"))
            return None
        error = None
        if response.status >= 500:
            error = f"status {response.status}"
        elif b"database is locked" in response.body:
            error = "database is locked"
        elif response.status != 200:
            error = f"unexpected status {response.status} {response.location}"
        self.samples.append(Sample(kind, path, response.seconds, error))
        return response if error is None else None

    def page(self, client: HttpClient, kind: str, path: str) -> None:
        self.timed(kind, path, client)

    def pdf(self, client: HttpClient, pattern: str, invoices: dict[int, str]) -> None:
        invoice_id = self.rng.choice(list(invoices))
        response = self.timed("pdf", pattern.format(invoice_id), client)
        if response is not None and sha256(response.body) != invoices[invoice_id]:
            self.samples[-1].error = f"PDF of invoice {invoice_id} does not match its SHA-256"

    def post_batch(self, api: HttpClient) -> None:
        new_keys = self.keys.take(NEW_ROWS)
        again = self.rng.sample(sorted(self.posted), min(REPOSTED_ROWS, len(self.posted)))
        if not new_keys and not again:
            return
        rows, stored = [], {}
        for key in new_keys + again:
            row, values = usage_row(key, self.rng)
            if key in self.posted and values == self.posted[key]:
                row["consults"] += 1  # a re-post always changes something, so it counts as updated
                values = (values[0] + 1, *values[1:])
            rows.append(row)
            stored[key] = values
        body = json.dumps({"rows": rows}).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        response = self.timed("api", "/api/v1/usage", api, "POST", body, headers)
        if response is None:
            return
        answer = json.loads(response.body)
        expected = {"inserted": len(new_keys), "updated": len(again), "unchanged": 0}
        if answer != expected:
            self.samples[-1].error = f"API answered {answer}, expected {expected}"
        self.posted.update(stored)
        self.batches += 1


def table_counts(conn) -> dict[str, int]:
    tables = (
        "users",
        "clients",
        "contracts",
        "invoices",
        "invoice_lines",
        "usage_daily",
        "usage_imports",
        "audit_entries",
    )
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608


@dataclass
class LoadResult:
    samples: list[Sample]
    posted: dict[tuple, tuple]
    batches: int
    thread_failures: list[str]
    seconds: float


def run_load(
    server: Server, instance: Instance, token: str, duration: float, clients: int, during=None
) -> LoadResult:
    """Run the client threads for ``duration`` seconds; ``during()`` runs in this thread half-way through."""
    targets = Targets.read(instance)
    keys = KeySource(targets.client_ids)
    # One login per user, its session cookie shared by the threads (a signed cookie: nothing is stored
    # server-side). Logins hash passwords with scrypt on purpose; they are not the load being measured.
    sessions = {}
    for username in (*STAFF_USERS, PORTAL_USER):
        browser = HttpClient(server.port)
        browser.login(username)
        sessions[username] = browser.cookies
    started = time.monotonic()
    deadline = started + duration
    threads = [ClientThread(i, server.port, token, targets, keys, sessions, deadline) for i in range(clients)]
    for thread in threads:
        thread.start()
    if during is not None:
        time.sleep(duration / 2)
        during()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 120)
    stuck = [t.name for t in threads if t.is_alive()]
    posted: dict[tuple, tuple] = {}
    for thread in threads:
        posted.update(thread.posted)
    return LoadResult(
        samples=[s for t in threads for s in t.samples],
        posted=posted,
        batches=sum(t.batches for t in threads),
        thread_failures=[f"{t.name}: {t.failure}" for t in threads if t.failure]
        + [f"{n} did not stop" for n in stuck],
        seconds=time.monotonic() - started,
    )


def verify_usage(instance: Instance, posted: dict[tuple, tuple], usage_before: int) -> list[str]:
    """Every posted key stored exactly once with the values posted last; nothing else added."""
    failures = []
    with instance.connect() as conn:
        duplicates = conn.execute(
            "SELECT client_id, day, platform, count(*) FROM usage_daily "
            "GROUP BY client_id, day, platform HAVING count(*) > 1"
        ).fetchall()
        rows = {
            (r[0], r[1], r[2]): tuple(r[3:])
            for r in conn.execute(
                f"SELECT client_id, day, platform, {', '.join(VALUE_FIELDS)} FROM usage_daily WHERE day <= ?",  # noqa: S608
                (LAST_DAY.isoformat(),),
            )
        }
        total = conn.execute("SELECT count(*) FROM usage_daily").fetchone()[0]
    if duplicates:
        failures.append(
            f"{len(duplicates)} (client, day, platform) keys stored more than once, e.g. {duplicates[0]}"
        )
    missing = [k for k in posted if k not in rows]
    wrong = [k for k in posted if k in rows and rows[k] != posted[k]]
    if missing:
        failures.append(f"{len(missing)} posted rows missing, e.g. {missing[0]}")
    if wrong:
        failures.append(
            f"{len(wrong)} rows hold other values than posted, e.g. {wrong[0]}: "
            f"{rows[wrong[0]]} != {posted[wrong[0]]}"
        )
    if total != usage_before + len(posted):
        failures.append(f"usage_daily has {total} rows, expected {usage_before} + {len(posted)} posted")
    return failures


def latency_line(samples: list[Sample]) -> str:
    values = sorted(s.seconds * 1000 for s in samples)
    if not values:
        return "-"
    return (
        f"p50 {percentile(values, 50):7.1f}  p95 {percentile(values, 95):7.1f}  "
        f"p99 {percentile(values, 99):7.1f}  max {values[-1]:7.1f} ms"
    )


def report(result: LoadResult, clients: int, workers: int) -> list[str]:
    """Print the figures; returns the failures among them."""
    samples = result.samples
    errors = [s for s in samples if s.error]
    print(f"load: {clients} clients for {result.seconds:.1f} s against gunicorn -w {workers} on SQLite (WAL)")
    print(
        f"  requests {len(samples)} ({len(samples) / max(result.seconds, 0.001):.0f}/s), errors {len(errors)}, "
        f"usage batches {result.batches} ({len(result.posted)} distinct rows)"
    )
    print(f"  all     {latency_line(samples)}")
    for kind in ("page", "portal", "pdf", "api"):
        some = [s for s in samples if s.kind == kind]
        print(f"  {kind:<7} {latency_line(some)}  ({len(some)} requests)")
    failures = []
    if errors:
        reasons = Counter(f"{s.error} [{s.path}]" for s in errors)
        failures.append(
            f"{len(errors)} request errors: "
            + "; ".join(f"{n}× {reason}" for reason, n in reasons.most_common(5))
        )
    failures += result.thread_failures
    if not samples:
        failures.append("no requests were made")
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument(
        "--short", action="store_true", help="the CI version: 10 s of load, about 20 s in all"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    args = parser.parse_args(argv)
    if args.short:
        args.duration = 10

    from backup_check import verify_backup

    work = Path(tempfile.mkdtemp(prefix="ops-load-"))
    instance = Instance(work / "instance")
    failures: list[str] = []
    started = time.monotonic()
    try:
        token = instance.prepare()
        with instance.connect() as conn:
            before = table_counts(conn)
        print(
            f"setup: fresh instance with the demo data and an API token in {time.monotonic() - started:.1f} s"
        )
        backup_path = work / "backup" / "ops-backup.tar.gz"
        backup_info: dict = {}

        def take_backup():
            t0 = time.monotonic()
            try:
                instance.flask("ops", "backup", str(backup_path), timeout=max(args.duration, 30))
            except Exception as exc:  # noqa: BLE001 - reported as a failed check
                backup_info["error"] = str(exc)[:500]
            backup_info["seconds"] = time.monotonic() - t0

        with Server(instance, workers=args.workers) as server:
            result = run_load(server, instance, token, args.duration, args.clients, during=take_backup)
            server.stop()
            failures += report(result, args.clients, args.workers)
            problems = server.log_problems()
            print(f"  server log: {len(problems)} tracebacks or lock errors")
            if problems:
                failures.append(f"server log: {problems[:3]}")

        usage_failures = verify_usage(instance, result.posted, before["usage_daily"])
        print(
            f"usage rows: {len(result.posted)} posted, "
            + ("all stored exactly once with the posted values" if not usage_failures else "MISMATCH")
        )
        failures += usage_failures

        with instance.connect() as conn:
            after = table_counts(conn)
        if "error" in backup_info:
            failures.append(f"flask ops backup failed: {backup_info['error']}")
        else:
            print(
                f"backup: flask ops backup took {backup_info['seconds']:.2f} s during the load "
                f"({backup_path.stat().st_size:,} bytes)"
            )
            backup_failures, notes = verify_backup(instance, backup_path, before, after, work / "restored")
            for note in notes:
                print(f"  {note}")
            failures += backup_failures
    except CheckFailed as exc:
        failures.append(str(exc))
    finally:
        if not failures and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"total {time.monotonic() - started:.1f} s")
    if failures:
        print(f"FAILED ({len(failures)}); instance kept in {work}")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
