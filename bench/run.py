r"""``make bench``: the benchmark at a large vendor's scale, written to bench/RESULTS.md and bench/results.json.

Builds (or reuses, keyed by bench/dataset.py's DATASET_VERSION and the migrations) the full and the
tenth-size data sets under tmp/bench/, copies both into PostgreSQL (bench/pgcopy.py), grows the full one
to 2× and 4× (bench/grow.py), then measures:

1. a month's billing run (BENCH_RUN) for every contract in one process, issuing with PDFs: invoices per
   second and per CPU-second;
2. issuing the same run with the PDFs rendered by the queue: 1 against 2 consumer processes
   (bench/issue_throughput.py), beside a control (plain processes rendering, no database);
3. invoice PDF rendering against plain ReportLab drawing the same content, and against Chromium
   printing the same invoice as HTML (bench/pdf_peer.py);
4. a 100,000-row usage CSV through the import service against plain sqlite3 and against psql's
   ``\\copy`` (bench/imports.py);
5. page and API latency under gunicorn (several workers) against /healthz, on SQLite and PostgreSQL,
   and the SQL queries each runs at full and at a tenth of the size;
6. 16 clients mixing pages and API writes for 60 s on gunicorn, on both databases (bench/load.py);
7. the cost of growth: the billing run and the heaviest pages at 1×, 2× and 4× the data set, with a
   chart (bench/growth.png).

Every measurement runs in its own process on a fresh copy of the data set, so a run never sees what an
earlier one wrote. Nothing here is a test: no figure fails the run.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import platform
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402

WORK = ROOT / "tmp" / "bench"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
RESULTS_JSON = ROOT / "bench" / "results.json"
NOTES = ROOT / "bench" / "NOTES.md"  # the hand-written profile notes (before/after), copied into RESULTS.md
GROWTH_PNG = ROOT / "bench" / "growth.png"
BILLING_RUNS = 1  # about two minutes at full size: one run (more would not fit make bench's 20 minutes)
PDF_ROUNDS = 5
PDF_SAMPLE = 40
PEER_SAMPLE = 20
IMPORT_ROWS = 100_000  # (fewer with BENCH_SCALE < 1: a small set's clients would reach future days)
IMPORT_RUNS = 3
PAGE_WARMUP = 5
PAGE_REQUESTS = 40
WORKERS = 4
LOAD_CLIENTS = 16
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
GROWTH = (2, 4)
# 1 = the full data set. A smaller BENCH_SCALE only checks that the harness runs (its figures mean nothing).
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
IMPORT_ROWS = int(IMPORT_ROWS * min(1.0, SCALE))
PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
TARGETS = {
    "build_seconds": 300,
    "billing_invoices_per_cpu_s": 50,
    "billing_4_cores_per_s": 100,
    "consumers_ratio": 1.7,
    "pdf_ratio": 0.5,
    "peer_ms_ratio": 3,
    "peer_bytes_ratio": 3,
    "import_rows_per_s": 50_000,
    "import_ratio": 0.75,
    "import_pg_ratio": 0.5,
    "page_ratio": 20,
    "bench_minutes": 20,
}


# --- data sets and copies ----------------------------------------------------------------------


def dataset_key() -> str:
    """What a cached data set must match: the builder's version and the schema's migrations."""
    migrations = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    return f"{dataset.DATASET_VERSION}:{','.join(migrations)}"


def ensure_dataset(scale: float) -> tuple[Path, dict]:
    """The data set for ``scale``, built unless a build with the same dataset_key() is there."""
    path = dataset.default_path(scale)
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == dataset_key():
            meta["reused"] = True
            return path, meta
    print(f"building the data set at scale {scale:g} …", flush=True)
    started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dataset.py"), "--scale", str(scale), "--out", str(path)],
        check=True,
        env=_env(),
        stdout=subprocess.DEVNULL if scale < 1 else None,
    )
    meta = _dataset_counts(path)
    meta.update(
        key=dataset_key(),
        version=dataset.DATASET_VERSION,
        scale=scale,
        build_seconds=round(time.perf_counter() - started, 1),
        build_cpu_seconds=round(_children_cpu() - (children.ru_utime + children.ru_stime), 1),
    )
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    meta["reused"] = False
    return path, meta


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _dataset_counts(path: Path) -> dict:
    with sqlite3.connect(path) as conn:

        def count(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        return {
            "clients": count("SELECT count(*) FROM clients"),
            "contracts": count("SELECT count(*) FROM contracts"),
            "agents": count("SELECT count(*) FROM agents"),
            "assignments": count("SELECT count(*) FROM assignments"),
            "checklist_items": count("SELECT count(*) FROM checklist_items"),
            "usage_rows": count("SELECT count(*) FROM usage_daily"),
            "invoices": count("SELECT count(*) FROM invoices"),
            "audit_entries": count("SELECT count(*) FROM audit_entries"),
            "megabytes": round(path.stat().st_size / 1e6, 1),
        }


def fresh_copy(src: Path, name: str) -> Path:
    dst = WORK / f"work-{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    uploads = src.parent / f"{src.stem}-uploads"
    target_uploads = dst.parent / f"{dst.stem}-uploads"
    if uploads.exists() and not target_uploads.exists():
        target_uploads.symlink_to(uploads)
    return dst


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def worker(kind: str, *args: str) -> dict:
    """Run ``kind`` in a fresh process and return the JSON it prints on its last line."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_worker", kind, *args],
        env=_env(),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"worker {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- 1. the billing run ------------------------------------------------------------------------


def _billing_worker(db_path: str) -> dict:
    app = dataset.make_app(Path(db_path), AUTO_MIGRATE=False)
    with app.app_context():
        import sqlalchemy as sa

        from ops.auth.models import User
        from ops.billing import services
        from ops.extensions import db

        finance = db.session.scalar(sa.select(User).where(User.username == "finance"))
        started, cpu = time.perf_counter(), time.process_time()
        summary = services.run_billing(dataset.BENCH_RUN, issue=True, by=finance)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        return {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "issued": summary.issued,
            "contracts": summary.contracts,
            "errors": len(summary.errors),
        }


def bench_billing(full: Path) -> dict:
    runs = []
    for i in range(BILLING_RUNS):
        runs.append(worker("billing", str(fresh_copy(full, f"billing-{i}"))))
        print(
            f"  billing run {i + 1}: {runs[-1]['issued']} invoices in {runs[-1]['seconds']:.1f} s "
            f"({runs[-1]['cpu_seconds']:.1f} s CPU)",
            flush=True,
        )
    rates = [r["issued"] / r["seconds"] for r in runs]
    cpu_rates = [r["issued"] / r["cpu_seconds"] for r in runs]
    return {
        "invoices": runs[0]["issued"],
        "contracts": runs[0]["contracts"],
        "errors": runs[0]["errors"],
        "seconds_median": round(statistics.median(r["seconds"] for r in runs), 2),
        "invoices_per_s": round(statistics.median(rates), 1),
        "runs": [round(r, 1) for r in rates],
        "invoices_per_cpu_s": round(statistics.median(cpu_rates), 1),
    }


# --- 2. PDF rendering against plain ReportLab ----------------------------------------------------


def plain_reportlab_invoice(data, font_path: str | None, qr_text: str) -> bytes:
    """The baseline: the same content drawn with ReportLab alone (the same font, a title, both
    parties, a table with the same rows, the totals, payment details, the same QR text, a running
    header and footer with the page number)."""
    from reportlab.graphics.barcode.qr import QrCode
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = "BaselineCJK" if font_path else "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(font, font_path) if font_path else UnicodeCIDFont(font))
    style = ParagraphStyle("b", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    title = ParagraphStyle("t", parent=style, fontSize=20, leading=28)
    parties = [["收款方", "付款方"]] + [
        [a, b]
        for a, b in zip(
            (
                data.vendor.name,
                data.vendor.tax_id,
                data.vendor.address,
                data.vendor.phone,
                data.vendor.bank_name,
                data.vendor.bank_account,
            ),
            (
                data.client.name,
                data.client.tax_id,
                data.client.address,
                data.client.phone,
                data.client.bank_name,
                data.client.bank_account,
            ),
            strict=True,
        )
    ]
    rows = [["项目/说明", "数量", "单位", "单价", "金额"]] + [
        [
            Paragraph(line.description, style),
            line.quantity,
            line.unit,
            str(line.unit_price_fen or ""),
            str(line.amount_fen),
        ]
        for line in data.lines
    ]
    totals = [
        [label, str(value)]
        for label, value in (
            ("服务费小计", data.service_fen),
            ("考核扣款", data.deductions_fen),
            ("调整", data.adjustments_fen),
            ("不含税金额", data.net_fen),
            ("税额", data.tax_fen),
            ("定金抵扣", data.deposit_offset_fen),
            ("应付总额", data.total_fen),
        )
    ]
    grid = TableStyle([("FONT", (0, 0), (-1, -1), font, 9.5), ("GRID", (0, 0), (-1, -1), 0.4, "#cbd2d9")])
    story = [Paragraph(f"服务费结算单 {data.number}", title), QrCode(qr_text, width=24 * mm, height=24 * mm)]
    for table_rows, widths in (
        (parties, [87 * mm] * 2),
        (rows, [80 * mm, 26 * mm, 12 * mm, 26 * mm, 30 * mm]),
        (totals, [60 * mm, 40 * mm]),
    ):
        table = Table(table_rows, colWidths=widths, repeatRows=1)
        table.setStyle(grid)
        story.append(table)
    story.append(
        Paragraph(
            f"户名：{data.vendor.name} 开户行：{data.vendor.bank_name} 账号：{data.vendor.bank_account}",
            style,
        )
    )

    def decorate(canvas, doc):
        canvas.setFont(font, 8.5)
        canvas.drawString(50, 810, data.vendor.name)
        canvas.drawRightString(545, 810, f"服务费结算单 {data.number}")
        canvas.drawString(50, 30, f"{data.vendor.name} {data.vendor.phone}")
        canvas.drawRightString(545, 30, f"第 {doc.page} 页")

    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title=data.number).build(
        story, onFirstPage=decorate, onLaterPages=decorate
    )
    return buf.getvalue()


def _pdf_worker(db_path: str) -> dict:
    app = dataset.make_app(Path(db_path), AUTO_MIGRATE=False)
    with app.app_context():
        import sqlalchemy as sa
        from sqlalchemy.orm import joinedload, selectinload

        from ops.billing import services
        from ops.billing.models import Invoice
        from ops.billing.pdf import qr_payload, render_invoice_pdf
        from ops.extensions import db

        invoices = db.session.scalars(
            sa.select(Invoice)
            .options(selectinload(Invoice.lines), joinedload(Invoice.contract), joinedload(Invoice.client))
            .where(Invoice.status != "draft")
            .order_by(Invoice.id.desc())
            .limit(PDF_SAMPLE)
        ).all()
        datas = [services.invoice_pdf_data(invoice) for invoice in invoices]
        payloads = [qr_payload(data) for data in datas]
        font = app.config.get("PDF_FONT")
        render_invoice_pdf(datas[0], ttf_path=font)  # fonts registered and styles built once, as in a worker
        plain_reportlab_invoice(datas[0], font, payloads[0])
        # CPU time of this process, the two interleaved invoice by invoice: other work on the machine
        # then slows neither side more than the other.
        app_times, plain_times = [], []
        for _round in range(PDF_ROUNDS):
            app_cpu = plain_cpu = 0.0
            for data, payload in zip(datas, payloads, strict=True):
                started = time.process_time()
                render_invoice_pdf(data, ttf_path=font)
                app_cpu += time.process_time() - started
                started = time.process_time()
                plain_reportlab_invoice(data, font, payload)
                plain_cpu += time.process_time() - started
            app_times.append(app_cpu / len(datas))
            plain_times.append(plain_cpu / len(datas))
        return {
            "app_ms": statistics.median(app_times) * 1000,
            "plain_ms": statistics.median(plain_times) * 1000,
            "lines_mean": round(statistics.mean(len(d.lines) for d in datas), 1),
            "font": font or "STSong-Light",
        }


def bench_pdf(full: Path) -> dict:
    result = worker("pdf", str(full))
    result["ratio"] = round(result["plain_ms"] / result["app_ms"], 2)
    result["app_ms"], result["plain_ms"] = round(result["app_ms"], 2), round(result["plain_ms"], 2)
    result["app_per_s"] = round(1000 / result["app_ms"], 1)
    return result


# --- 2. issuing with the PDFs rendered by the queue: 1 against 2 consumers ----------------------


def _drafts_worker(db_path: str) -> dict:
    """The run's drafts only (no issue): what bench/issue_throughput.py issues and the consumers render."""
    app = dataset.make_app(Path(db_path), AUTO_MIGRATE=False)
    with app.app_context():
        import sqlalchemy as sa

        from ops.auth.models import User
        from ops.billing import services
        from ops.extensions import db

        finance = db.session.scalar(sa.select(User).where(User.username == "finance"))
        summary = services.run_billing(dataset.BENCH_RUN, by=finance)
        db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
        return {"drafts": len(summary.invoice_ids)}


def _consumers_worker(template: str, consumers: str) -> dict:
    from bench import issue_throughput

    return issue_throughput.measure(
        Path(template), int(consumers), "backlog", database_url=None, issued_on=date(2026, 1, 3)
    )


def _control_worker() -> dict:
    from bench import issue_throughput

    return issue_throughput.control()


def bench_consumers(full: Path) -> dict:
    """Issue every draft of BENCH_RUN with no consumer running, then start 1 (or 2) consumer processes
    and time them until the last PDF is stored: the consumers' own throughput on the full data set."""
    template = fresh_copy(full, "consumers-template")
    drafts = worker("drafts", str(template))["drafts"]
    rounds = {}
    for n in (1, 2):
        rounds[n] = worker("consumers", str(template), str(n))
        print(
            f"  {n} consumer(s): {rounds[n]['invoices']} invoices, render phase "
            f"{rounds[n]['render_phase_per_s']} PDFs/s, {rounds[n]['consumer_cpu_ms_per_pdf']} ms CPU per PDF",
            flush=True,
        )
    control = worker("control")
    one, two = rounds[1], rounds[2]
    return {
        "drafts": drafts,
        "rounds": {str(k): v for k, v in rounds.items()},
        "ratio_render_phase": round(two["render_phase_per_s"] / one["render_phase_per_s"], 2),
        "ratio_wall": round(two["invoices_per_s"] / one["invoices_per_s"], 2),
        "control": control,
        "correct": all(
            r["pdf_mismatches"] == 0 and r["numbers_gapless"] and r["stored_more_than_once"] == 0
            for r in rounds.values()
        ),
    }


# --- 3b. the headless-browser peer ------------------------------------------------------------------


def _peer_worker(db_path: str) -> dict:
    from bench import pdf_peer

    return pdf_peer.measure(Path(db_path), sample=PEER_SAMPLE, rounds=2)


# --- 4. usage import (bench/imports.py) -----------------------------------------------------------


def bench_import(full: Path, pg_full: str) -> dict:
    from bench import imports

    return {
        "sqlite": imports.measure_sqlite(full, rows=IMPORT_ROWS, runs=IMPORT_RUNS),
        "postgresql": imports.measure_postgres(pg_full, rows=IMPORT_ROWS, runs=IMPORT_RUNS),
    }


# --- PostgreSQL copies ------------------------------------------------------------------------------


def ensure_postgres() -> None:
    """Start the local PostgreSQL cluster when it does not answer (CI machines, a fresh boot)."""
    import psycopg

    try:
        psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres connect_timeout=3").close()
        return
    except psycopg.OperationalError:
        pass
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*"))
    if not versions:
        raise RuntimeError("PostgreSQL does not answer on 127.0.0.1:5432 and is not installed here")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)
    for _ in range(30):
        try:
            psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres connect_timeout=3").close()
            return
        except psycopg.OperationalError:
            time.sleep(1)
    raise RuntimeError("PostgreSQL did not start")


def pg_copy(sqlite_path: Path, name: str) -> tuple[str, dict]:
    from bench import pgcopy

    url = f"{PG_SERVER}/{name}"
    started = time.perf_counter()
    result = pgcopy.copy_to_postgres(sqlite_path, url)
    return url, {"seconds": round(time.perf_counter() - started, 1), "rows": result.get("rows")}


# --- 5. pages and API ------------------------------------------------------------------------------


def page_paths(db_path: Path) -> dict[str, tuple[str, str]]:
    """{name: (user, path)} of the pages measured; the invoice is the first contract's last history one.
    User "" is anonymous, "api" a bearer token with the read scope."""
    with sqlite3.connect(db_path) as conn:
        invoice_id = conn.execute(
            "SELECT id FROM invoices WHERE contract_id = (SELECT min(id) FROM contracts) AND status != 'draft'"
            " ORDER BY period_start DESC LIMIT 1"
        ).fetchone()[0]
    return {
        "trivial (/healthz)": ("", "/healthz"),
        "dashboard": ("admin", "/"),
        "client list": ("admin", "/clients/"),
        "contract list": ("admin", "/contracts/"),
        "invoice list": ("admin", "/billing/invoices"),
        "an invoice": ("admin", f"/billing/invoices/{invoice_id}"),
        "onboarding dashboard": ("admin", "/onboarding/"),
        "portal invoice list": ("client", "/portal/invoices"),
        "API: invoices": ("api", "/api/v1/invoices?limit=50"),
        "API: an invoice": ("api", f"/api/v1/invoices/{invoice_id}"),
        "API: clients": ("api", "/api/v1/clients?limit=50"),
        "API: usage rows": ("api", "/api/v1/usage/daily?limit=200"),
    }


class Browser:
    """One keep-alive HTTP/1.1 connection with a cookie jar: enough to log in and fetch pages."""

    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = token

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response.status, data

    def login(self, username: str) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        body = urlencode(
            {"csrf_token": token.group(1).decode(), "username": username, "password": dataset.PASSWORD}
        )
        status, _ = self.request("POST", "/login", body)
        if status != 302:
            raise RuntimeError(f"login as {username} failed ({status})")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _app_for(db: str, sqlite_path: str):
    """An app on ``db`` (a SQLite file or a PostgreSQL URL); uploads beside the SQLite data set."""
    if db.startswith("postgresql"):
        return dataset.make_app(
            Path(sqlite_path), AUTO_MIGRATE=False, WTF_CSRF_ENABLED=False, SQLALCHEMY_DATABASE_URI=db
        )
    return dataset.make_app(Path(db), AUTO_MIGRATE=False, WTF_CSRF_ENABLED=False)


def _token_worker(db: str, sqlite_path: str) -> dict:
    """An API token with the read scope on ``db`` (the secret, shown once)."""
    app = _app_for(db, sqlite_path)
    with app.app_context():
        from ops.auth.tokens import create_token
        from ops.extensions import db as _db

        _token, secret = create_token("bench", None, scopes=["read"])
        _db.session.commit()
        return {"secret": secret}


def bench_pages(db: str, sqlite_path: Path, names: list[str] | None = None, label: str = "") -> dict:
    """Median and p95 of each page (or of ``names``) under gunicorn on ``db``, after warm-up."""
    port = _free_port()
    token = worker("token", db, str(sqlite_path))["secret"]
    env = _env(
        OPS_DATABASE_URL=db if db.startswith("postgresql") else f"sqlite:///{db}",
        OPS_SECRET_KEY="bench-secret-key",
        OPS_VAULT_KEY="n0Jq2m4m0o8bq6QpM4Jg5z0mVvJx3h1QeYx2m6cQnV8=",
        OPS_AUTO_MIGRATE="0",
        OPS_UPLOAD_DIR=str(WORK / "uploads-pages"),
        OPS_QUEUE_FILE=str(WORK / f"work-pages-queue-{port}.db"),
        OPS_API_RATE_LIMIT="1000000 per minute",  # the benchmark's one token is not a tenant
    )
    # gthread workers with one thread each: like the default sync workers one request at a time per
    # worker, but they keep connections alive (sync workers close every connection).
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(150):
            try:
                if Browser(port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        time.sleep(5)  # the other workers finish booting (on 2 cores they would slow the first pages)
        browsers: dict[str, Browser] = {"": Browser(port), "api": Browser(port, token)}
        results = {}
        for name, (user, path) in page_paths(sqlite_path).items():
            if names is not None and name not in names and not name.startswith("trivial"):
                continue
            if user not in browsers:
                browsers[user] = Browser(port)
                browsers[user].login(user)
            browser = browsers[user]
            # Several workers answer: warm each one up (templates compiled, fonts and caches loaded).
            for _ in range(PAGE_WARMUP * WORKERS):
                status, _body = browser.request("GET", path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
            times = []
            for _ in range(PAGE_REQUESTS):
                started = time.perf_counter()
                browser.request("GET", path)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results[name] = {
                "path": path,
                "median_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            }
        trivial = results["trivial (/healthz)"]["median_ms"]
        for entry in results.values():
            entry["ratio"] = round(entry["median_ms"] / trivial, 1)
        if label:
            print(f"  pages on {label}: " + ", ".join(f"{k} {v['median_ms']} ms" for k, v in results.items()))
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def _queries_worker(db: str, sqlite_path: str) -> dict:
    from sqlalchemy import event

    app = _app_for(db, sqlite_path)
    counts = {}
    with app.app_context():
        from ops.auth.tokens import create_token
        from ops.extensions import db as _db

        _token, secret = create_token("bench-queries", None, scopes=["read"])
        _db.session.commit()
        seen = {"n": 0}

        @event.listens_for(_db.engine, "before_cursor_execute")
        def _count(*_args):
            seen["n"] += 1

        clients: dict = {}
        for name, (user, path) in page_paths(Path(sqlite_path)).items():
            if user not in clients:
                clients[user] = app.test_client()
                if user and user != "api":
                    response = clients[user].post(
                        "/login", data={"username": user, "password": dataset.PASSWORD}
                    )
                    assert response.status_code == 302, response.status_code
            headers = {"Authorization": f"Bearer {secret}"} if user == "api" else {}
            clients[user].get(path, headers=headers)  # the first request may load what later ones reuse
            # Each request from an empty session, as in production: the requests share this worker's app
            # context, and what the last one left in the (weak) identity map, the logged-in user say,
            # would spare a query or not depending on the garbage collector.
            _db.session.remove()
            seen["n"] = 0
            response = clients[user].get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
            counts[name] = seen["n"]
    return counts


def bench_queries(full: str, full_sqlite: Path, tenth: str, tenth_sqlite: Path) -> dict:
    at_full = worker("queries", full, str(full_sqlite))
    at_tenth = worker("queries", tenth, str(tenth_sqlite))
    return {
        name: {"full": at_full[name], "tenth": at_tenth[name], "same": at_full[name] == at_tenth[name]}
        for name in at_full
    }


# --- 6. concurrent load (bench/load.py) ----------------------------------------------------------


def bench_load(database_url: str | None) -> dict:
    out = WORK / f"work-load-{'pg' if database_url else 'sqlite'}.json"
    command = [
        sys.executable,
        str(ROOT / "bench" / "load.py"),
        "--clients",
        str(LOAD_CLIENTS),
        "--duration",
        str(LOAD_SECONDS),
        "--json",
        str(out),
    ]
    if database_url:
        command += ["--database-url", database_url]
    done = subprocess.run(command, env=_env(), capture_output=True, text=True)
    if not out.exists():
        raise RuntimeError(f"load.py wrote no result:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(out.read_text())


# --- 7. the cost of growth -------------------------------------------------------------------------

GROWTH_PAGES = ("invoice list", "onboarding dashboard", "dashboard", "client list")


def _billing_queued_worker(db_path: str) -> dict:
    """The billing run as the product runs it since the queue: bill and issue every contract, each PDF
    handed to the queue (no consumer runs here, so the run's own time is measured without them)."""
    path = Path(db_path)
    app = dataset.make_app(
        path, AUTO_MIGRATE=False, QUEUE_IMMEDIATE=False, QUEUE_FILE=str(dataset.queue_path(path))
    )
    with app.app_context():
        import sqlalchemy as sa

        from ops.auth.models import User
        from ops.billing import services
        from ops.extensions import db

        finance = db.session.scalar(sa.select(User).where(User.username == "finance"))
        started, cpu = time.perf_counter(), time.process_time()
        summary = services.run_billing(dataset.BENCH_RUN, issue=True, by=finance)
        return {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu,
            "issued": summary.issued,
            "errors": len(summary.errors),
        }


def bench_growth(full: Path, pages_1x: dict) -> dict:
    from bench import grow

    sizes: dict = {}
    for k in (1, *GROWTH):
        if k == 1:
            path, made = full, {}
        else:
            path = WORK / f"ops-grown-{k}x.db"
            made = grow.grow(full, path, k)
        run = worker("billing_queued", str(fresh_copy(path, f"growth-{k}")))
        pages = (
            pages_1x
            if k == 1
            else bench_pages(str(fresh_copy(path, f"growth-pages-{k}")), path, list(GROWTH_PAGES), f"{k}×")
        )
        sizes[str(k)] = {
            "grow_seconds": (made.get("seconds") or {}).get("total"),
            "billing_seconds": round(run["seconds"], 2),
            "billing_cpu_seconds": round(run["cpu_seconds"], 2),
            "invoices": run["issued"],
            "errors": run["errors"],
            "pages": {n: pages[n]["median_ms"] for n in GROWTH_PAGES},
        }
        print(f"  {k}×: billing {run['issued']} invoices in {run['seconds']:.1f} s", flush=True)
        if k != 1:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.rmtree(path.parent / f"{path.stem}-uploads", ignore_errors=True)
    base = sizes["1"]
    for entry in sizes.values():
        entry["billing_per_invoice_ms"] = round(1000 * entry["billing_seconds"] / entry["invoices"], 1)
        entry["billing_x"] = round(entry["billing_seconds"] / base["billing_seconds"], 2)
        entry["pages_x"] = {n: round(entry["pages"][n] / base["pages"][n], 2) for n in GROWTH_PAGES}
    _growth_chart(sizes)
    return sizes


def _growth_chart(sizes: dict) -> None:
    """bench/growth.png: each cost at k× divided by its cost at 1×, against k (the line y = k is linear)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = sorted(int(k) for k in sizes)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    ax.plot(ks, ks, linestyle="--", color="grey", label="linear (cost ∝ size)")
    ax.plot(
        ks,
        [sizes[str(k)]["billing_x"] for k in ks],
        marker="o",
        label="billing run (bill + issue, PDFs to the queue)",
    )
    for name in GROWTH_PAGES:
        ax.plot(ks, [sizes[str(k)]["pages_x"][name] for k in ks], marker=".", label=f"page: {name}")
    ax.set_xlabel("data set size (× the full data set)")
    ax.set_ylabel("cost ÷ cost at 1×")
    ax.set_xticks(ks)
    ax.set_title("Cost of growth (SQLite, make bench)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(
        GROWTH_PNG, metadata={"Software": None}
    )  # no version string: the file changes only with the figures
    plt.close(fig)


# --- the report ----------------------------------------------------------------------------------


def machine() -> dict:
    memory = next(
        (
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        None,
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import psycopg
    import reportlab
    import sqlalchemy

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "load_start": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_mb": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "sqlalchemy": sqlalchemy.__version__,
        "reportlab": reportlab.Version,
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "platform": platform.platform(),
    }


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _pages_table(pages: dict, queries: dict) -> list[str]:
    lines = [
        "| page | path | median ms | p95 ms | × /healthz | queries full | queries tenth | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in pages.items():
        q = queries.get(name, {"full": "", "tenth": "", "same": True})
        # The 20× target is the pages'; the API's reads are reported with their query counts.
        ok = (name.startswith("API") or entry["ratio"] <= TARGETS["page_ratio"]) and q["same"]
        lines.append(
            f"| {name} | `{entry['path']}` | {entry['median_ms']} | {entry['p95_ms']} | {entry['ratio']} | "
            f"{q['full']} | {q['tenth']} | {_mark(ok)} |"
        )
    return lines


def write_report(results: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    m, b, c, p, peer = (results[k] for k in ("machine", "billing", "consumers", "pdf", "peer"))
    i_s, i_p = results["import"]["sqlite"], results["import"]["postgresql"]
    full_meta = results["datasets"]["full"]
    one, two = c["rounds"]["1"], c["rounds"]["2"]
    per_cpu = b["invoices_per_cpu_s"]
    four_cores = round(per_cpu * 4, 1)
    four_cores_scaled = round(per_cpu * 4 * c["ratio_render_phase"] / 2, 1)
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (bench/run.py) on {m['date']}: {m['cores']} cores ({m['cpu']}), "
        f"{m['memory_mb']:,} MB memory, Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql']}, "
        f"SQLAlchemy {m['sqlalchemy']}, ReportLab {m['reportlab']} (with rl_accel), {m['platform']}. "
        f"Total time {results['total_seconds']:.0f} s ({results['total_seconds'] / 60:.1f} min; data sets built "
        f"{'in this run' if not full_meta.get('reused') else 'earlier and reused'}). Load average (1 min) at the "
        f"start of the measurements {m['load_start']}, at the end {results['load_end']}. Wall-clock figures "
        "carry whatever else the machine did; PDF ratios use CPU time, rendered interleaved; billing and import "
        "are given in both.",
        "",
        "## Data sets",
        "",
        "| | clients | contracts | agents | assignments | checklist items | usage rows | invoices | audit entries | MB "
        "| build s (CPU s) | into PostgreSQL s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, meta in (("full", full_meta), ("tenth", results["datasets"]["tenth"])):
        lines.append(
            f"| {label} | {meta['clients']:,} | {meta['contracts']:,} | {meta['agents']:,} | "
            f"{meta['assignments']:,} | {meta['checklist_items']:,} | {meta['usage_rows']:,} | "
            f"{meta['invoices']:,} | {meta['audit_entries']:,} | {meta['megabytes']} | "
            f"{meta['build_seconds']} ({meta.get('build_cpu_seconds', '?')}){' reused' if meta.get('reused') else ''} | "
            f"{results['pgcopy'][label]['seconds']} |"
        )
    lines += [
        "",
        "The full set is built through the services with the queue's parallel path: two consumer processes render "
        "the history's PDFs and deliver its events while the builder bills and issues (bench/dataset.py).",
        "",
        "## Figures and targets",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        f"| data-set build, full size | {full_meta['build_seconds']} s ({full_meta.get('build_cpu_seconds', '?')} CPU-s "
        "over the builder and its consumers) | < 300 s | "
        f"{_mark(full_meta['build_seconds'] < TARGETS['build_seconds'])} |",
        f"| billing run {dataset.BENCH_RUN} in one process, issue + PDF inline ({b['invoices']} invoices, "
        f"{b['contracts']} contracts) | {b['invoices_per_s']} invoices/s ({b['seconds_median']} s; runs {b['runs']}); "
        f"**{per_cpu} per CPU-second** (plain ReportLab drawing the same PDF alone, no database: "
        f"{1000 / p['plain_ms']:.0f} per CPU-second on this machine) | ≥ 50 per CPU-second | "
        f"{_mark(per_cpu >= TARGETS['billing_invoices_per_cpu_s'])} |",
        f"| issuing {c['drafts']} drafts, PDFs by the queue: 1 → 2 consumer processes (render phase) | "
        f"{one['render_phase_per_s']} → {two['render_phase_per_s']} PDFs/s = **{c['ratio_render_phase']}×** "
        f"(end to end incl. consumer start-up: {one['invoices_per_s']} → {two['invoices_per_s']} = {c['ratio_wall']}×); "
        f"consumer CPU per PDF {one['consumer_cpu_ms_per_pdf']} / {two['consumer_cpu_ms_per_pdf']} ms; "
        f"control (plain processes, no database) {c['control'].get('control_ratio', '?')}× | ≥ 1.7× | "
        f"{_mark(c['ratio_render_phase'] >= TARGETS['consumers_ratio'])} |",
        f"| 4-core machine, extrapolated (not measured) | {per_cpu} invoices per CPU-second × 4 cores = {four_cores}/s; "
        f"scaled by the measured 2-consumer efficiency ({c['ratio_render_phase']} ÷ 2): {four_cores_scaled}/s | "
        f"≥ 100/s | {_mark(four_cores_scaled >= TARGETS['billing_4_cores_per_s'])} |",
        f"| invoice PDF vs plain ReportLab ({p['lines_mean']} lines on average, font {Path(p['font']).name}) | "
        f"{p['app_ms']} ms CPU ({p['app_per_s']}/s) vs {p['plain_ms']} ms → ratio {p['ratio']} | ≥ 0.5 | "
        f"{_mark(p['ratio'] >= TARGETS['pdf_ratio'])} |",
        f"| invoice PDF vs Chromium printing the same invoice as HTML (warm page; {peer['invoices']} invoices × "
        f"{peer['rounds']}) — speed | ours {peer['ours_ms']} ms vs Chromium {peer['peer_ms']} ms (wall) → "
        f"**{peer['ms_ratio']}× faster** | ≥ 3× | {_mark(peer['ms_ratio'] >= TARGETS['peer_ms_ratio'])} |",
        f"| — size | ours {peer['ours_bytes_median'] / 1024:.1f} KiB vs Chromium {peer['peer_bytes_median'] / 1024:.1f} KiB "
        f"(medians) → **{peer['bytes_ratio']}× smaller** with the embedded font subset"
        + (
            f"; with the built-in CID font (not embedded, no PDF_FONT configured) ours is "
            f"{peer['ours_cid_bytes_median'] / 1024:.1f} KiB → {peer['cid_bytes_ratio']}× smaller"
            if "cid_bytes_ratio" in peer
            else ""
        )
        + f" | ≥ 3× | {_mark(peer['bytes_ratio'] >= TARGETS['peer_bytes_ratio'])} (embedded font) |",
        f"| usage import on SQLite, {i_s['rows']:,} rows via `import_usage_file` | "
        f"{i_s['service_rows_per_s']:,} rows/s vs plain sqlite3 {i_s['baseline_rows_per_s']:,} rows/s → "
        f"ratio {i_s['ratio']} (CPU ratio {i_s.get('cpu_ratio', '—')})"
        + (
            " (50,000/s is above plain sqlite3's own rate on this machine)"
            if i_s["baseline_rows_per_s"] < TARGETS["import_rows_per_s"]
            else ""
        )
        + " | ≥ 50,000/s and ≥ 0.75× | "
        f"{_mark(i_s['service_rows_per_s'] >= TARGETS['import_rows_per_s'] and i_s['ratio'] >= TARGETS['import_ratio'])} |",
        f"| usage import on PostgreSQL (COPY into a staging table, one INSERT … ON CONFLICT) | "
        f"{i_p['service_rows_per_s']:,} rows/s vs psql `\\copy` {i_p['baseline_rows_per_s']:,} rows/s → "
        f"ratio {i_p['ratio']} | ≥ 0.5× | {_mark(i_p['ratio'] >= TARGETS['import_pg_ratio'])} |",
    ]
    for db_label in ("sqlite", "postgresql"):
        load = results["load"][db_label]
        a = load["all"]
        lines.append(
            f"| concurrent load on {'SQLite' if db_label == 'sqlite' else 'PostgreSQL'}: {load['concurrent_clients']} "
            f"clients × {load['seconds']:.0f} s, pages + API writes (gunicorn, {load['workers']} workers, demo data) | "
            f"{a['per_second']} requests/s (pages {load['pages']['per_second']}, API writes "
            f"{load['api_writes']['per_second']}); p50 {a['p50_ms']} / p95 {a['p95_ms']} / max {a['max_ms']} ms; "
            f"errors {a['errors']}; rows lost {load['rows_lost']} | 0 errors, 0 lost | "
            f"{_mark(a['errors'] == 0 and load['rows_lost'] == 0 and load.get('ok', True))} |"
        )
    worst = {
        db_label: max(
            (e["ratio"], n)
            for n, e in results["pages"][db_label].items()
            if not n.startswith(("trivial", "API"))
        )
        for db_label in ("sqlite", "postgresql")
    }
    for db_label, (ratio, name) in worst.items():
        lines.append(
            f"| pages at full size on {'SQLite' if db_label == 'sqlite' else 'PostgreSQL'}: the slowest "
            f"÷ /healthz (medians) | {name}: {ratio}× | ≤ 20× | {_mark(ratio <= TARGETS['page_ratio'])} |"
        )
    g = results["growth"]
    ks = sorted(g, key=int)
    linear = all(
        g[k]["billing_x"] <= int(k) * 1.1 and all(v <= int(k) * 1.1 for v in g[k]["pages_x"].values())
        for k in ks
    )
    lines.append(
        f"| cost of growth, 1× → {ks[-1]}× (SQLite) | billing {g[ks[-1]]['billing_x']}×, pages "
        + ", ".join(f"{n} {x}×" for n, x in g[ks[-1]]["pages_x"].items())
        + f" | linear or better (≤ {ks[-1]}×, 10 % slack) | {_mark(linear)} |"
    )
    lines.append(
        f"| `make bench` from a fresh clone | {results['total_seconds'] / 60:.1f} min for bench/run.py "
        "(the virtualenv's install comes before it; see NOTES) | < 20 min | "
        f"{_mark(results['total_seconds'] / 60 < TARGETS['bench_minutes'])} |"
    )
    if results.get("step_seconds"):
        lines += ["", "## Where make bench's time goes", "", "| step | seconds |", "|---|---:|"]
        lines += [f"| {step} | {seconds:.0f} |" for step, seconds in results["step_seconds"].items()]
    lines += [
        "",
        "## Issuing with the queue: the two rounds",
        "",
        "| consumers | invoices | end to end s | invoices/s | render phase PDFs/s | consumer CPU per PDF ms | cores "
        "the consumers got | load before → after | PDF ≠ hash | gapless | stored twice |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in c["rounds"].items():
        lines.append(
            f"| {n} | {r['invoices']} | {r['total_seconds']} | {r['invoices_per_s']} | {r['render_phase_per_s']} | "
            f"{r['consumer_cpu_ms_per_pdf']} | {r['consumer_cores_busy']} | {r['load_before']} → {r['load_after']} | "
            f"{r['pdf_mismatches']} | {'yes' if r['numbers_gapless'] else 'no'} | {r['stored_more_than_once']} |"
        )
    lines += [
        "",
        "Backlog mode (bench/issue_throughput.py): every draft issued with no consumer running, then the consumers "
        "started; the render phase is the steady rate between the first and the last stored PDF, end to end "
        "includes starting the consumers. The control renders the same PDF in 1 and then 2 plain processes "
        "(no database, no queue): what the machine gives two processes.",
        "",
    ]
    for db_label, title in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        lines += [
            f"## Pages and API at full size on {title} (gunicorn, {WORKERS} workers, keep-alive, sequential, after "
            f"warm-up; {PAGE_REQUESTS} requests each)",
            "",
            *_pages_table(results["pages"][db_label], results["queries"][db_label]),
            "",
        ]
    lines += [
        "Target: each page at most 20× /healthz (median) and the same number of queries at full and at a tenth of "
        "the size. /healthz itself reads the queue's heartbeat (1 query) and counts the waiting tasks.",
        "",
        "## Concurrent load (bench/load.py)",
        "",
        "| database | requests/s | pages/s | API writes/s | p50 ms | p95 ms | max ms | errors | rows lost | server "
        "CPU ms per request | backup under load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for db_label in ("sqlite", "postgresql"):
        load = results["load"][db_label]
        a = load["all"]
        backup = load.get("backup") or {}
        lines.append(
            f"| {db_label} | {a['per_second']} | {load['pages']['per_second']} | {load['api_writes']['per_second']} | "
            f"{a['p50_ms']} | {a['p95_ms']} | {a['max_ms']} | {a['errors']} | {load['rows_lost']} | "
            f"{load.get('server_cpu_ms_per_request', '—')} | "
            f"{'restored OK' if backup.get('ok', backup.get('restored')) else backup.get('note', '—')} |"
        )
    lines += [
        "",
        f"{LOAD_CLIENTS} client threads, each with a staff and a portal session and the API token, mixing pages, "
        "PDFs, portal pages and API writes (usage batches, new clients with their first contact, payments with an "
        "Idempotency-Key, a quarter of them retried) on a fresh instance with the demo data; a backup taken half-way. "
        "Rows lost = acknowledged with a 2xx but missing, stored twice or with other values.",
        "",
        "## Cost of growth (SQLite; bench/grow.py makes k× the clients and everything that belongs to them)",
        "",
        "| size | invoices billed | billing run s (bill + issue, PDFs to the queue) | ms per invoice | billing ÷ 1× | "
        + " | ".join(f"{n} ms (÷ 1×)" for n in GROWTH_PAGES)
        + " |",
        "|---|---|---|---|---|" + "---|" * len(GROWTH_PAGES),
    ]
    for k in ks:
        e = g[k]
        lines.append(
            f"| {k}× | {e['invoices']:,} | {e['billing_seconds']} | {e['billing_per_invoice_ms']} | {e['billing_x']} | "
            + " | ".join(f"{e['pages'][n]} ({e['pages_x'][n]})" for n in GROWTH_PAGES)
            + " |"
        )
    lines += [
        "",
        "![cost of growth](growth.png)",
        "",
        "Linear means the cost at k× is at most k times the cost at 1× (the dashed line); the billing run is "
        "linear when its cost per invoice stays flat, a page is better than linear when it stays flat.",
        "",
    ]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    RESULTS_MD.write_text("\n".join(lines))


PARTIAL = WORK / "partial.json"  # the figures so far: ``run.py --resume`` measures only what is missing


def main(resume: bool = False) -> int:
    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / ".gitignore").write_text("*\n")  # data sets and scratch copies never go into git
    results: dict = json.loads(PARTIAL.read_text()) if resume and PARTIAL.exists() else {}
    spent = results.get("seconds_so_far", 0.0)
    steps_timed = results.setdefault("step_seconds", {})  # where make bench's time goes

    def timed(key: str, action):
        began = time.perf_counter()
        value = action()
        steps_timed[key] = round(steps_timed.get(key, 0.0) + time.perf_counter() - began, 1)
        return value

    ensure_postgres()
    full, full_meta = timed("data sets (built or reused)", lambda: ensure_dataset(SCALE))
    tenth, tenth_meta = timed("data sets (built or reused)", lambda: ensure_dataset(SCALE / 10))
    results.setdefault("machine", machine())
    results.setdefault("datasets", {"full": full_meta, "tenth": tenth_meta})
    print("copying the data sets into PostgreSQL …", flush=True)
    pg_full, copied_full = timed("copies into PostgreSQL", lambda: pg_copy(full, "bench_full"))
    pg_tenth, copied_tenth = timed("copies into PostgreSQL", lambda: pg_copy(tenth, "bench_tenth"))
    results.setdefault("pgcopy", {"full": copied_full, "tenth": copied_tenth})
    steps = (
        ("billing", "billing run (one process)", lambda: bench_billing(full)),
        ("consumers", "issuing with 1 and 2 consumers", lambda: bench_consumers(full)),
        ("pdf", "PDF rendering", lambda: bench_pdf(full)),
        ("peer", "PDF peer (Chromium)", lambda: worker("peer", str(full))),
        ("import", "usage import", lambda: bench_import(full, pg_full)),
        (
            "pages",
            "pages and API",
            lambda: {
                "sqlite": bench_pages(str(fresh_copy(full, "pages")), full, label="SQLite"),
                "postgresql": bench_pages(pg_full, full, label="PostgreSQL"),
            },
        ),
        (
            "queries",
            "query counts",
            lambda: {
                "sqlite": bench_queries(
                    str(fresh_copy(full, "queries-full")),
                    full,
                    str(fresh_copy(tenth, "queries-tenth")),
                    tenth,
                ),
                "postgresql": bench_queries(pg_full, full, pg_tenth, tenth),
            },
        ),
        (
            "load",
            f"concurrent load ({LOAD_CLIENTS} clients × {LOAD_SECONDS} s)",
            lambda: {"sqlite": bench_load(None), "postgresql": bench_load(f"{PG_SERVER}/bench_load")},
        ),
        ("growth", "cost of growth", lambda: bench_growth(full, results["pages"]["sqlite"])),
    )
    for key, label, measure in steps:
        if key in results:
            continue
        print(f"{label} …", flush=True)
        results[key] = timed(label, measure)
        results["seconds_so_far"] = round(spent + time.perf_counter() - started, 1)
        PARTIAL.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    results["total_seconds"] = round(spent + time.perf_counter() - started, 1)
    results["load_end"] = round(os.getloadavg()[0], 2)
    write_report(results)
    PARTIAL.unlink(missing_ok=True)
    for path in WORK.glob("work-*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    from bench import pgcopy

    for name in ("bench_full", "bench_tenth"):
        pgcopy.drop_database(f"{PG_SERVER}/{name}")
    print(RESULTS_MD.read_text())
    return 0


WORKERS_BY_KIND = {
    "billing": _billing_worker,
    "billing_queued": _billing_queued_worker,
    "pdf": _pdf_worker,
    "queries": _queries_worker,
    "drafts": _drafts_worker,
    "consumers": _consumers_worker,
    "control": _control_worker,
    "peer": _peer_worker,
    "token": _token_worker,
}

if __name__ == "__main__":
    if sys.argv[1:] == ["--report-only"]:  # RESULTS.md again from results.json (after editing NOTES.md)
        write_report(json.loads(RESULTS_JSON.read_text()))
        raise SystemExit(0)
    if len(sys.argv) > 2 and sys.argv[1] == "_worker":
        print(json.dumps(WORKERS_BY_KIND[sys.argv[2]](*sys.argv[3:])))
        raise SystemExit(0)
    raise SystemExit(main(resume=sys.argv[1:] == ["--resume"]))
