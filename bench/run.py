"""``make bench``: the benchmark at a large vendor's scale, written to bench/RESULTS.md and bench/results.json.

Builds (or reuses, keyed by bench/dataset.py's DATASET_VERSION) the full and the tenth-size data
sets under tmp/bench/, then measures, each as the median of several runs:

1. a month's billing run (BENCH_RUN) for every contract, issuing with PDFs: invoices per second;
2. invoice PDF rendering alone against plain ReportLab drawing the same content (ratio);
3. a 100,000-row usage CSV through the import service against plain sqlite3 executemany (ratio);
4. page latency under gunicorn (several workers) against /healthz of the same app;
5. the SQL queries each of those pages runs on the full and the tenth-size data set.

Every measurement runs in its own process (``run.py _worker KIND ...``) on a fresh copy of the data
set, so a run never sees what an earlier one wrote. Nothing here is a test: no figure fails the run.
"""

from __future__ import annotations

import csv
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
from datetime import date, datetime, timedelta
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
BILLING_RUNS = 3
PDF_ROUNDS = 5
PDF_SAMPLE = 40
IMPORT_ROWS = 100_000
IMPORT_RUNS = 3
PAGE_WARMUP = 5
PAGE_REQUESTS = 40
WORKERS = 4
TARGETS = {
    "billing_invoices_per_s": 100,
    "pdf_ratio": 0.5,
    "import_rows_per_s": 50_000,
    "import_ratio": 0.3,
    "page_median_ms": 50,
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


# --- 3. usage import against plain sqlite3 -----------------------------------------------------


def import_csv(db_path: Path, rows: int) -> bytes:
    """``rows`` new days of usage (2026 onwards) for the data set's clients, as a Chinese CSV export."""
    with sqlite3.connect(db_path) as conn:
        clients = conn.execute(
            "SELECT clients.id, client_shops.platform FROM clients JOIN client_shops ON client_shops.client_id = clients.id"
            " ORDER BY clients.id"
        ).fetchall()
    out = io.StringIO()
    out.write(
        "客户编号,日期,平台,咨询量,有效咨询量,服务销售额(元),退款金额(元),首次响应时间(秒),平均响应时间(秒),"
        "3分钟回复率,询单转化率,满意度,纠纷退款率\n"
    )
    day, n = date(2026, 1, 1), 0
    while n < rows:
        for client_id, platform_code in clients:
            if n == rows:
                break
            k = (n * 7919) % 1000
            out.write(
                f"{client_id},{day.isoformat()},{platform_code},{1000 + k},{900 + k},{12345 + k}.67,{k}.50,"
                f"{10 + k % 20}.5,{30 + k % 30},{90 + k % 10}.5%,{20 + k % 10}.25%,{95 + k % 5}%,0.{k % 9}%\n"
            )
            n += 1
        day += timedelta(days=1)
    return out.getvalue().encode("utf-8")


PLAIN_COLUMNS = (
    "client_id",
    "day",
    "platform",
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
    "updated_at",
)


def _plain_import(db_path: Path, data: bytes) -> tuple[float, float]:
    """The baseline: csv + int conversion + sqlite3 executemany into a table shaped (and filled) like
    usage_daily, in the same database file."""
    conn = sqlite3.connect(db_path)
    schema = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'usage_daily'"
    ).fetchone()[0]
    conn.execute(schema.replace("usage_daily", "usage_plain", 1))
    for (index_sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_daily' AND sql IS NOT NULL"
    ).fetchall():
        conn.execute(index_sql.replace("usage_daily", "usage_plain"))
    conn.execute(
        "INSERT INTO usage_plain SELECT * FROM usage_daily WHERE day < '2026-01-01'"
    )  # as before the import
    conn.commit()

    def fen(text: str) -> int:
        yuan, _, cents = text.partition(".")
        return int(yuan) * 100 + int((cents + "00")[:2])

    def bp(text: str) -> int:
        whole, _, frac = text.rstrip("%").partition(".")
        return int(whole) * 100 + int((frac + "00")[:2])

    started, cpu = time.perf_counter(), time.process_time()
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    next(reader)
    now = datetime.now().isoformat(" ")
    values = [
        (
            int(r[0]),
            r[1],
            r[2],
            int(r[3]),
            int(r[4]),
            fen(r[5]),
            fen(r[6]),
            int(float(r[7]) * 1000),
            int(r[8]) * 1000,
            bp(r[9]),
            bp(r[10]),
            bp(r[11]),
            bp(r[12]),
            now,
        )
        for r in reader
    ]
    conn.executemany(
        f"INSERT INTO usage_plain ({', '.join(PLAIN_COLUMNS)}) VALUES ({', '.join('?' * len(PLAIN_COLUMNS))})",
        values,
    )
    conn.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return seconds, cpu


def _import_worker(db_path: str, csv_path: str) -> dict:
    data = Path(csv_path).read_bytes()
    app = dataset.make_app(Path(db_path), AUTO_MIGRATE=False)
    with app.app_context():
        from ops.extensions import db
        from ops.usage.services import import_usage_file

        started, cpu = time.perf_counter(), time.process_time()
        result = import_usage_file(data, "bench-usage.csv", "cli")  # what `flask usage import` calls
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        db.engine.dispose()
    plain, plain_cpu = _plain_import(Path(db_path), data)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "inserted": result.inserted,
        "plain_seconds": plain,
        "plain_cpu_seconds": plain_cpu,
    }


def bench_import(full: Path) -> dict:
    csv_path = WORK / "import-100k.csv"
    csv_path.write_bytes(import_csv(full, IMPORT_ROWS))
    runs = [worker("import", str(fresh_copy(full, f"import-{i}")), str(csv_path)) for i in range(IMPORT_RUNS)]
    seconds = statistics.median(r["seconds"] for r in runs)
    plain = statistics.median(r["plain_seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    plain_cpu = statistics.median(r["plain_cpu_seconds"] for r in runs)
    return {
        "rows": runs[0]["inserted"],
        "seconds_median": round(seconds, 2),
        "rows_per_s": round(IMPORT_ROWS / seconds),
        "plain_seconds_median": round(plain, 2),
        "plain_rows_per_s": round(IMPORT_ROWS / plain),
        "ratio": round(plain / seconds, 2),
        "rows_per_cpu_s": round(IMPORT_ROWS / cpu),
        "plain_rows_per_cpu_s": round(IMPORT_ROWS / plain_cpu),
        "cpu_ratio": round(plain_cpu / cpu, 2),
    }


# --- 4 and 5. pages ------------------------------------------------------------------------------


def page_paths(db_path: Path) -> dict[str, tuple[str, str]]:
    """{name: (user, path)} of the pages measured; the invoice is the first contract's last history one."""
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
    }


class Browser:
    """One keep-alive HTTP/1.1 connection with a cookie jar: enough to log in and fetch pages."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
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


def bench_pages(full: Path) -> dict:
    db_path = fresh_copy(full, "pages")
    port = _free_port()
    env = _env(
        OPS_DATABASE_URL=f"sqlite:///{db_path}",
        OPS_SECRET_KEY="bench-secret-key",
        OPS_VAULT_KEY="n0Jq2m4m0o8bq6QpM4Jg5z0mVvJx3h1QeYx2m6cQnV8=",
        OPS_AUTO_MIGRATE="0",
        OPS_UPLOAD_DIR=str(WORK / "uploads-pages"),
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
        browsers: dict[str, Browser] = {"": Browser(port)}
        results = {}
        for name, (user, path) in page_paths(full).items():
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
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def _queries_worker(db_path: str) -> dict:
    from sqlalchemy import event

    app = dataset.make_app(Path(db_path), AUTO_MIGRATE=False, WTF_CSRF_ENABLED=False)
    counts = {}
    with app.app_context():
        from ops.extensions import db

        seen = {"n": 0}

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_args):
            seen["n"] += 1

        clients = {}
        for name, (user, path) in page_paths(Path(db_path)).items():
            if user not in clients:
                clients[user] = app.test_client()
                if user:
                    response = clients[user].post(
                        "/login", data={"username": user, "password": dataset.PASSWORD}
                    )
                    assert response.status_code == 302, response.status_code
            clients[user].get(path)  # the first request of a session may load what later ones reuse
            seen["n"] = 0
            response = clients[user].get(path)
            assert response.status_code == 200, (path, response.status_code)
            counts[name] = seen["n"]
    return counts


def bench_queries(full: Path, tenth: Path) -> dict:
    at_full = worker("queries", str(fresh_copy(full, "queries-full")))
    at_tenth = worker("queries", str(fresh_copy(tenth, "queries-tenth")))
    return {
        name: {"full": at_full[name], "tenth": at_tenth[name], "same": at_full[name] == at_tenth[name]}
        for name in at_full
    }


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
    import reportlab
    import sqlalchemy

    return {
        "load_start": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_mb": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "reportlab": reportlab.Version,
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "platform": platform.platform(),
    }


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_report(results: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    m, b, p, i = results["machine"], results["billing"], results["pdf"], results["import"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (bench/run.py) on {m['date']}: {m['cores']} cores ({m['cpu']}), "
        f"{m['memory_mb']:,} MB memory, Python {m['python']}, SQLite {m['sqlite']}, SQLAlchemy {m['sqlalchemy']}, "
        f"ReportLab {m['reportlab']}. Total time {results['total_seconds']:.0f} s. Load average (1 min) at the "
        f"start of the measurements {m['load_start']}, at the end {results['load_end']}: the machine is shared, "
        "so wall-clock figures carry other work; PDF ratios use CPU time, rendered interleaved; billing and "
        "import are given in both.",
        "",
        "## Data sets",
        "",
        "| | clients | contracts | agents | assignments | checklist items | usage rows | invoices | audit entries | MB "
        "| build s (CPU s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, meta in (("full", results["datasets"]["full"]), ("tenth", results["datasets"]["tenth"])):
        lines.append(
            f"| {label} | {meta['clients']:,} | {meta['contracts']:,} | {meta['agents']:,} | "
            f"{meta['assignments']:,} | {meta['checklist_items']:,} | {meta['usage_rows']:,} | "
            f"{meta['invoices']:,} | {meta['audit_entries']:,} | {meta['megabytes']} | "
            f"{meta['build_seconds']} ({meta.get('build_cpu_seconds', '?')}){' reused' if meta.get('reused') else ''} |"
        )
    lines += [
        "",
        "## Figures (medians)",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        f"| billing run {dataset.BENCH_RUN}, issue + PDF ({b['invoices']} invoices, {b['contracts']} contracts) | "
        f"{b['invoices_per_s']} invoices/s ({b['seconds_median']} s; runs {b['runs']}); "
        f"{b['invoices_per_cpu_s']} per CPU-second | ≥ 100/s | "
        f"{_mark(max(b['invoices_per_s'], b['invoices_per_cpu_s']) >= TARGETS['billing_invoices_per_s'])} |",
        f"| invoice PDF rendering ({p['lines_mean']} lines on average, font {Path(p['font']).name}) | "
        f"{p['app_ms']} ms ({p['app_per_s']}/s) vs plain ReportLab {p['plain_ms']} ms → ratio {p['ratio']} | ≥ 0.5 | "
        f"{_mark(p['ratio'] >= TARGETS['pdf_ratio'])} |",
        f"| usage import, {i['rows']:,} CSV rows via `import_usage_file` | {i['rows_per_s']:,} rows/s "
        f"({i['seconds_median']} s) vs plain sqlite3 {i['plain_rows_per_s']:,} rows/s → ratio {i['ratio']}; "
        f"CPU time: {i['rows_per_cpu_s']:,} vs {i['plain_rows_per_cpu_s']:,} rows per CPU-second → ratio "
        f"{i['cpu_ratio']} | ≥ 50,000/s and ≥ 0.3 | "
        f"{_mark(i['rows_per_s'] >= 50_000 and i['ratio'] >= 0.3)} (wall), "
        f"{_mark(i['rows_per_cpu_s'] >= 50_000 and i['cpu_ratio'] >= 0.3)} (CPU) |",
        "",
        f"## Pages at full size (gunicorn, {WORKERS} workers, keep-alive, sequential, after warm-up; "
        f"{PAGE_REQUESTS} requests each)",
        "",
        "| page | path | median ms | p95 ms | × trivial | queries full | queries tenth | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in results["pages"].items():
        q = results["queries"].get(name, {"full": "", "tenth": "", "same": True})
        ok = entry["median_ms"] < TARGETS["page_median_ms"] and q["same"]
        lines.append(
            f"| {name} | `{entry['path']}` | {entry['median_ms']} | {entry['p95_ms']} | {entry['ratio']} | "
            f"{q['full']} | {q['tenth']} | {_mark(ok)} |"
        )
    lines += [
        "",
        "Targets: every page under 50 ms median at full size; query counts identical at both sizes.",
        "",
    ]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    RESULTS_MD.write_text("\n".join(lines))


def main() -> int:
    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / ".gitignore").write_text("*\n")  # data sets and scratch copies never go into git
    full, full_meta = ensure_dataset(1.0)
    tenth, tenth_meta = ensure_dataset(0.1)
    results: dict = {"machine": machine(), "datasets": {"full": full_meta, "tenth": tenth_meta}}
    print("billing run …", flush=True)
    results["billing"] = bench_billing(full)
    print("PDF rendering …", flush=True)
    results["pdf"] = bench_pdf(full)
    print("usage import …", flush=True)
    results["import"] = bench_import(full)
    print("pages …", flush=True)
    results["pages"] = bench_pages(full)
    print("query counts …", flush=True)
    results["queries"] = bench_queries(full, tenth)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["load_end"] = round(os.getloadavg()[0], 2)
    write_report(results)
    for path in WORK.glob("work-*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    print(RESULTS_MD.read_text())
    return 0


WORKERS_BY_KIND = {
    "billing": _billing_worker,
    "pdf": _pdf_worker,
    "import": _import_worker,
    "queries": _queries_worker,
}

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_worker":
        print(json.dumps(WORKERS_BY_KIND[sys.argv[2]](*sys.argv[3:])))
        raise SystemExit(0)
    raise SystemExit(main())
