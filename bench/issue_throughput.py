"""Issuing throughput with the PDFs rendered by the queue: 1 consumer against 2 consumer processes.

    .venv/bin/python bench/issue_throughput.py [--contracts 400] [--consumers 1 2] [--rounds 2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_issue] [--no-write]

Builds (once, cached under tmp/bench/) a vendor with ``--contracts`` active contracts made through the
services (bench/dataset.py's clients, contracts and usage) and one billing run's drafts. Then, for each
consumer count, on a fresh copy of those drafts and a fresh queue file:

1. starts that many ``flask ops worker`` processes (SqliteHuey beside the database, one worker each);
2. issues every draft in this process (numbers, dates and deposit offsets in the write transaction; the
   render is enqueued after each commit), as a billing run does;
3. waits until every issued invoice has its PDF stored, then checks that each stored PDF hashes to its
   ``pdf_sha256``, that the numbers have no gap, and that each PDF was stored (audited) once.

Figures: end to end (first issue → last PDF stored) in invoices per second, and the render phase alone
(the consumers' steady rate, first → last ``invoice.pdf_stored`` entry). The ratio 2 ÷ 1 consumers is the
point: on this 2-core machine the target is ≥ 1.7×. ``--inline`` adds the old way (render inside the
issuing transaction, one process) for reference. The figures go into bench/RESULTS.md ("Issuing with
PDFs on the queue") unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import dataset  # noqa: E402

WORK = ROOT / "tmp" / "bench"
RESULTS_MD = ROOT / "bench" / "RESULTS.md"
SECTION = "## Issuing with PDFs on the queue (1 vs 2 consumers)"
RUN_PERIOD = "2025-03"  # quarter end: monthly, quarterly, in arrears and in advance are all due
ISSUED_ON = date(2025, 4, 3)
TEMPLATE_VERSION = 1
TIMEOUT_S = 900


def template_path(n_contracts: int) -> Path:
    return WORK / f"issue-v{TEMPLATE_VERSION}-{n_contracts}.db"


def build_template(path: Path, n_contracts: int, database_url: str | None = None) -> int:
    """Clients, active contracts, a year of usage and the drafts of RUN_PERIOD. Returns the draft count
    (about three quarters of the contracts)."""
    from ops.billing import services as billing
    from ops.contracts.services import ensure_default_clauses, update_vendor_profile
    from ops.demo.contracts import VENDOR, signed_pdf
    from ops.extensions import db
    from ops.ratecards.services import ensure_default_rate_card

    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    rng = random.Random(20250101)
    extra = {"SQLALCHEMY_DATABASE_URI": database_url} if database_url else {}
    app = dataset.make_app(path, AUTO_MIGRATE=True, QUEUE_IMMEDIATE=True, **extra)
    with app.app_context():
        users = dataset._users()
        ensure_default_rate_card(users["admin"])
        ensure_default_clauses()
        update_vendor_profile({"name": "杭州云帆客服外包有限公司", **VENDOR}, by=users["admin"])
        db.session.commit()
        clients = dataset._clients(max(1, n_contracts // 2), users, rng)
        db.session.commit()
        dataset._contracts(clients, n_contracts, users, signed_pdf("客服外包服务合同"))
        db.session.commit()
        dataset._usage(clients, rng)
        summary = billing.run_billing(RUN_PERIOD, by=users["finance"])
        db.session.commit()
        # Quarterly in-advance contracts are refused here (their first advance is billed in the run of
        # 2024-Q4, which this small set skips): the rest give the drafts the benchmark issues.
        if db.engine.dialect.name == "sqlite":
            db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
        db.engine.dispose()
        return len(summary.invoice_ids)


def _copy_sqlite(template: Path, target: Path) -> str:
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _pg_template_url(url: str) -> str:
    return f"{url}_tpl"


def _pg_recreate(url: str, *, template: str | None = None) -> None:
    """Drop and create the PostgreSQL database of ``url`` (a copy of ``template``'s database if given)."""
    admin_url = sa.engine.make_url(url)
    name = admin_url.database
    engine = sa.create_engine(admin_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for db_name in (name, sa.engine.make_url(template).database if template else None):
            if db_name:
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                    {"n": db_name},
                )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        source = f' TEMPLATE "{sa.engine.make_url(template).database}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{source}'))
    engine.dispose()


def _copy_postgres(url: str) -> str:
    """A fresh copy of the template database (CREATE DATABASE … TEMPLATE)."""
    _pg_recreate(url, template=_pg_template_url(url))
    return url


def _environment(db_url: str, queue_file: Path, upload_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "FLASK_APP": "app",
            "OPS_DATABASE_URL": db_url,
            "OPS_QUEUE_FILE": str(queue_file),
            "OPS_SECRET_KEY": "bench-secret-key-bench-secret-key-0123456789",
            "OPS_VAULT_KEY": "n0Jq2m4m0o8bq6QpM4Jg5z0mVvJx3h1QeYx2m6cQnV8=",
            "OPS_UPLOAD_DIR": str(upload_dir),
            "OPS_AUTO_MIGRATE": "0",
        }
    )
    env.pop("OPS_REDIS_URL", None)
    return env


def _start_consumers(
    k: int, env: dict[str, str], log_dir: Path, *, processes: bool = False
) -> list[subprocess.Popen]:
    """``k`` consumer processes of one worker thread each, or (``processes``) one consumer with ``k``
    process workers."""
    flask = str(ROOT / ".venv" / "bin" / "flask")
    commands = (
        [[flask, "ops", "worker", "--workers", str(k), "--processes", "--no-periodic"]]
        if processes
        else [[flask, "ops", "worker", "--workers", "1", "--no-periodic"]] * k
    )
    consumers = []
    for i, command in enumerate(commands):
        log = open(log_dir / f"consumer-{k}-{i}.log", "w")  # noqa: SIM115 - closed with the process
        consumers.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return consumers


def _cpu_seconds(processes: list[subprocess.Popen]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0

    def tree(pid: int) -> list[int]:  # the process and its live descendants (process workers)
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [pid, *(p for child in children for p in tree(int(child)))]

    for process in processes:
        for pid in tree(process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _stop(consumers: list[subprocess.Popen]) -> None:
    for process in consumers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
    for process in consumers:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _checks(db) -> dict:
    from ops.audit.models import AuditEntry
    from ops.billing.models import Invoice

    rows = db.session.execute(
        sa.select(Invoice.id, Invoice.number, Invoice.pdf, Invoice.pdf_sha256).where(
            Invoice.number.is_not(None)
        )
    ).all()
    bad = [n for _, n, pdf, digest in rows if pdf is None or hashlib.sha256(pdf).hexdigest() != digest]
    # Numbers run per year (INV-2025-00001 …, INV-2026-00001 …): each year's must have no gap.
    by_year: dict[str, list[int]] = {}
    for _, n, _, _ in rows:
        prefix, _, seq = n.rpartition("-")
        by_year.setdefault(prefix, []).append(int(seq))
    stored = db.session.execute(
        sa.select(AuditEntry.object_id, sa.func.count())
        .where(AuditEntry.action == "invoice.pdf_stored")
        .group_by(AuditEntry.object_id)
    ).all()
    twice = [object_id for object_id, count in stored if count != 1]
    return {
        "issued": len(rows),
        "pdf_mismatches": len(bad),
        "numbers_gapless": all(sorted(seqs) == list(range(1, len(seqs) + 1)) for seqs in by_year.values()),
        "stored_more_than_once": len(twice),
        "stored_entries": len(stored),
    }


def _render_phase(db, since: datetime) -> float | None:
    """Invoices per second between the first and the last ``invoice.pdf_stored`` entry of this round (a
    data set with a history has the history's entries too)."""
    from ops.audit.models import AuditEntry

    first, last, count = db.session.execute(
        sa.select(sa.func.min(AuditEntry.at), sa.func.max(AuditEntry.at), sa.func.count()).where(
            AuditEntry.action == "invoice.pdf_stored", AuditEntry.at >= since
        )
    ).one()
    if count < 2 or first is None:
        return None
    if isinstance(first, str):  # SQLite hands back text from an aggregate
        first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
    seconds = (last - first).total_seconds()
    return (count - 1) / seconds if seconds > 0 else None


def _wait_for_pdfs(db, billing, since: float) -> float:
    while billing.pending_pdf_count():
        db.session.commit()
        if time.perf_counter() - since > TIMEOUT_S:
            raise RuntimeError(f"{billing.pending_pdf_count()} PDFs still missing after {TIMEOUT_S} s")
        time.sleep(0.05)
    db.session.commit()
    return time.perf_counter()


def measure(
    template: Path,
    consumers: int,
    mode: str,
    *,
    database_url: str | None,
    processes: bool = False,
    issued_on: date = ISSUED_ON,
) -> dict:
    """One round on a fresh copy of the drafts and a fresh queue file. ``mode``:

    - ``inline``: the old way, each PDF rendered inside its issue (immediate mode, no consumer);
    - ``live``: ``consumers`` running while this process issues (a billing run with the queue);
    - ``backlog``: every draft issued first with no consumer running, then ``consumers`` started and
      timed from their start until the last PDF is stored (the consumers' own throughput).
    """
    tag = f"{mode}-c{consumers}{'p' if processes else ''}"
    run_dir = WORK / f"issue-run-{tag}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    db_url = _copy_postgres(database_url) if database_url else _copy_sqlite(template, run_dir / "ops.db")
    env = _environment(db_url, run_dir / "queue.db", run_dir / "uploads")
    from ops import create_app
    from ops.billing import services as billing
    from ops.billing.models import Invoice
    from ops.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_url,
            "SECRET_KEY": env["OPS_SECRET_KEY"],
            "VAULT_KEY": env["OPS_VAULT_KEY"],
            "UPLOAD_DIR": env["OPS_UPLOAD_DIR"],
            "QUEUE_IMMEDIATE": mode == "inline",
            "QUEUE_FILE": env["OPS_QUEUE_FILE"],
        }
    )
    workers: list[subprocess.Popen] = []
    from ops.timeutil import utcnow

    round_started = utcnow()
    try:
        with app.app_context():
            drafts = list(
                db.session.scalars(
                    sa.select(Invoice.id)
                    .where(Invoice.status == "draft", Invoice.total_fen >= 0, Invoice.lines.any())
                    .order_by(Invoice.id)
                )
            )
            db.session.commit()
            if mode == "live":
                workers = _start_consumers(consumers, env, run_dir, processes=processes)
                time.sleep(4)  # the consumers import the app and open the queue
            load_before = _load()
            started = time.perf_counter()
            for invoice_id in drafts:
                billing.issue_invoice(invoice_id, issued_on=issued_on)
            issued = time.perf_counter()
            if mode == "backlog":
                started = time.perf_counter()
                workers = _start_consumers(consumers, env, run_dir, processes=processes)
            done = _wait_for_pdfs(db, billing, started)
            cpu = _cpu_seconds(workers)
            result = {
                "consumers": consumers,
                "mode": mode,
                "layout": f"1 consumer × {consumers} process workers"
                if processes
                else f"{consumers} × 1 thread",
                "invoices": len(drafts),
                "issue_seconds": round(issued - started, 2) if mode != "backlog" else None,
                "total_seconds": round(done - started, 2),
                "invoices_per_s": round(len(drafts) / (done - started), 1),
                "render_phase_per_s": round(_render_phase(db, round_started) or 0, 1),
                # The consumers' CPU: per PDF, and how many cores they kept busy on average (wall time).
                "consumer_cpu_ms_per_pdf": round(1000 * cpu / len(drafts), 1) if workers else None,
                "consumer_cores_busy": round(cpu / (done - started), 2) if workers else None,
                "load_before": load_before,
                "load_after": _load(),
                **_checks(db),
            }
            db.engine.dispose()
    finally:
        _stop(workers)
    return result


def _render_only(n: int, font: str | None) -> None:
    from ops.billing.pdf import InvoicePdfData, InvoicePdfLine, Party, render_invoice_pdf

    party = Party(
        "杭州云帆客服外包有限公司", "91330106MA2B2QXY3M", "杭州市西湖区文三路 90 号", "0571-88886666"
    )
    lines = tuple(InvoicePdfLine(f"售前白班席位 {i}", "2", "人", 500_000, 1_000_000) for i in range(6))
    data = InvoicePdfData(
        kind="invoice", number="INV-2025-00001", vendor=party, client=party, period_code=RUN_PERIOD,
        period_start=date(2025, 3, 1), period_end=date(2025, 3, 31), issued_on=ISSUED_ON, due_on=None,
        invoice_type="增值税普通发票", lines=lines, service_fen=6_000_000, deductions_fen=0, adjustments_fen=0,
        net_fen=6_000_000, tax_rate_bp=600, tax_fen=339_623, prices_include_tax=True, deposit_offset_fen=0,
        total_fen=6_000_000, verify_url="https://ops.example.com/verify/INV-2025-00001?c=0",
    )  # fmt: skip
    for _ in range(n + 1):
        render_invoice_pdf(data, ttf_path=font)


def control(n: int = 60) -> dict:
    """The machine's parallelism right now: the same PDF rendered in 1 process, then in 2 (no database,
    no queue). On a machine other work keeps busy, 2 processes are not twice as fast whatever the queue
    does; the consumers' ratio is read against this one."""
    import multiprocessing

    from ops.config import Config

    ctx = multiprocessing.get_context("fork")
    rates = {}
    for k in (1, 2):
        started = time.perf_counter()
        processes = [ctx.Process(target=_render_only, args=(n // k, Config.PDF_FONT)) for _ in range(k)]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        rates[k] = n / (time.perf_counter() - started)
    return {
        "control_1": round(rates[1], 1),
        "control_2": round(rates[2], 1),
        "control_ratio": round(rates[2] / rates[1], 2),
    }


def machine() -> dict:
    import huey
    import reportlab
    import sqlalchemy

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "sqlalchemy": sqlalchemy.__version__,
        "huey": huey.__version__,
        "reportlab": reportlab.Version,
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def write_results(rows: list[dict], info: dict, backend: str, layout: str, notes: str) -> None:
    """Write (or replace) the subsection of SECTION for this database and consumer layout."""

    def median(mode: str, consumers: int, key: str) -> float:
        values = [r[key] for r in rows if r["mode"] == mode and r["consumers"] == consumers and r[key]]
        return statistics.median(values) if values else 0.0

    heading = f"### {backend}, {layout}"
    lines = [
        heading,
        "",
        f"_{info['when']} UTC_ · {info['invoices']} invoices ({info['contracts']} contracts, run {RUN_PERIOD}) · "
        f"queue: SqliteHuey · {info['cores']} cores ({info['cpu']}) · Python {info['python']}, "
        f"SQLAlchemy {info['sqlalchemy']}, Huey {info['huey']}, ReportLab {info['reportlab']}, "
        f"SQLite {info['sqlite']} · {info['os']}",
        "",
        "| mode | consumers | round | issue (s) | wall (s) | invoices/s | render phase (PDFs/s) "
        "| consumer CPU per PDF (ms) | cores the consumers got | load before → after "
        "| control: 1 → 2 processes (PDFs/s) | PDF ≠ hash | gapless | stored twice |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['consumers'] or '—'} | {r['round']} | {r['issue_seconds'] or '—'} "
            f"| {r['total_seconds']} | {r['invoices_per_s']} | {r['render_phase_per_s']} "
            f"| {r['consumer_cpu_ms_per_pdf'] or '—'} | {r['consumer_cores_busy'] or '—'} "
            f"| {r['load_before']} → {r['load_after']} "
            f"| {r.get('control_1', '—')} → {r.get('control_2', '—')} ({r.get('control_ratio', '—')}×) "
            f"| {r['pdf_mismatches']} "
            f"| {'yes' if r['numbers_gapless'] else 'NO'} | {r['stored_more_than_once']} |"
        )
    lines.append("")
    controls = [r["control_ratio"] for r in rows if r.get("control_ratio")]
    if controls:
        lines.append(
            f"- Control (the same PDF rendered by plain processes, no database, no queue, right after each "
            f"round): 2 ÷ 1 processes = {statistics.median(controls):.2f}× (median; "
            f"{min(controls):.2f}–{max(controls):.2f}×): what this machine gave two processes at the time."
        )
    for mode in ("backlog", "live"):
        one, two = median(mode, 1, "invoices_per_s"), median(mode, 2, "invoices_per_s")
        if one and two:
            one_r, two_r = median(mode, 1, "render_phase_per_s"), median(mode, 2, "render_phase_per_s")
            lines.append(
                f"- **{mode}: 2 ÷ 1 consumers = {two / one:.2f}×** wall ({one:g} → {two:g} invoices/s), "
                f"{two_r / one_r if one_r else 0:.2f}× in the render phase (medians; target ≥ 1.7×)."
            )
    if notes.strip():
        lines += ["", notes.strip()]
    lines.append("")
    text = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Benchmark results\n"
    if SECTION not in text:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + INTRO + "\n"
    start = text.find(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end + 1] if end >= 0 else text[start:]
    old = section.find(heading + "\n")
    if old >= 0:
        stop = section.find("\n### ", old + len(heading))
        section = section[:old] + (section[stop + 1 :] if stop >= 0 else "")
    section = section.rstrip("\n") + "\n\n" + "\n".join(lines)
    rest = text[end + 1 :] if end >= 0 else ""
    RESULTS_MD.write_text(text[:start] + section + ("\n" + rest if rest else ""), encoding="utf-8")


INTRO = """`bench/issue_throughput.py`: issue every draft of one billing run and wait until every PDF is stored.
*backlog*: everything issued first, then the consumers started and timed until the last PDF is stored
(their own throughput); *live*: consumers running while this process issues (a billing run with the
queue); *inline*: the old way, each PDF rendered inside its issue. "Render phase" is the steady rate between
the first and the last `invoice.pdf_stored` entry; "cores the consumers got" is their CPU time ÷ wall
time (1 consumer can use at most 1.0, 2 at most 2.0). Every round checks that each stored PDF hashes to
its `pdf_sha256`, that the numbers have no gap and that each PDF was stored once."""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=400)
    parser.add_argument("--consumers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", nargs="+", default=["backlog", "live"], choices=["backlog", "live"])
    parser.add_argument(
        "--processes", action="store_true", help="one consumer with N process workers instead of N consumers"
    )
    parser.add_argument("--inline", action="store_true", help="also time the old way (render in the issue)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL: its database (and <name>_tpl, the drafts) is recreated per round",
    )
    parser.add_argument("--notes", default="", help="text written under the table")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    template = template_path(args.contracts)
    if args.database_url:
        started = time.perf_counter()
        _pg_recreate(_pg_template_url(args.database_url))
        drafts = build_template(template, args.contracts, _pg_template_url(args.database_url))
        print(
            f"built the PostgreSQL template: {drafts} drafts in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    elif not template.exists():
        started = time.perf_counter()
        drafts = build_template(template, args.contracts)
        print(f"built {template.name}: {drafts} drafts in {time.perf_counter() - started:.0f} s", flush=True)
    rows = []
    plan = [(0, "inline")] if args.inline else []
    plan += [(k, mode) for mode in args.modes for k in args.consumers]
    for round_no in range(1, args.rounds + 1):
        for consumers, mode in plan:
            row = measure(template, consumers, mode, database_url=args.database_url, processes=args.processes)
            row.update(control())  # right after the round: what 2 processes could get at that moment
            row["round"] = round_no
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    info = {
        **machine(),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "contracts": args.contracts,
        "invoices": rows[0]["invoices"] if rows else 0,
    }
    backend = "PostgreSQL" if args.database_url else "SQLite (WAL)"
    layout = "1 consumer × N process workers" if args.processes else "N consumer processes × 1 worker"
    (WORK / "issue_throughput.json").write_text(json.dumps({"info": info, "rows": rows}, indent=1))
    if not args.no_write:
        write_results(rows, info, backend, layout, args.notes)
    failed = [
        r for r in rows if r["pdf_mismatches"] or not r["numbers_gapless"] or r["stored_more_than_once"]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
