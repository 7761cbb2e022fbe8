"""Fault check: SIGKILL a billing run that issues invoices, run it again, and check the invoices.

    .venv/bin/python bench/fault.py [--contracts 120] [--kills 2] [--short] [--keep]

Makes a fresh instance (migrations and the demo data), adds contracts to bill for the month just
ended (copies of a demo monthly contract for new clients, with that client's usage), then starts
``flask billing run --period <month> --issue`` and kills it with SIGKILL once some invoices of the
run are issued (polling the database), ``--kills`` times at growing points, and finally runs it to
the end twice at the same time (as a schedule and a click on the runs page could). Both must end
without errors. Then it verifies that:

* no contract has two (not void) invoices for the period, and every copied contract has its invoice issued;
* the invoice numbers of each year are unique and run 1..N without a gap, N being the counter;
* every issued invoice's stored PDF bytes hash to its pdf_sha256, and it was audited once;
* no draft is left without lines; SQLite's integrity and foreign key checks pass.

Exits 1 when a check fails. ``--short`` (about 10 s) is the CI version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import BIN, ROOT, CheckFailed, Instance, in_app, integrity_ok, pdf_mismatches, run_period_before  # noqa: E402

CLIENT_PREFIX = "断电测试客户"


def _add_contracts_task(count: str, period: str) -> None:
    """(in the app) ``count`` copies of the first active monthly in-arrears contract, for new clients.

    Clients are made through the service; the contract rows are copied column by column (the quote →
    contract → activation path per copy would take minutes and is not what this check is about), and
    so are the source client's usage rows of the period, so each copy bills what the source bills.
    """
    import sqlalchemy as sa

    from ops.billing import engine
    from ops.clients.services import create_client
    from ops.contracts.models import Contract, ContractKpi, ContractKpiBand
    from ops.extensions import db
    from ops.numbering import next_number
    from ops.usage.models import UsageDaily

    source = db.session.scalar(
        sa.select(Contract)
        .where(
            Contract.status == "active",
            Contract.billing_cycle == "monthly",
            Contract.billing_timing == "in_arrears",
        )
        .order_by(Contract.id)
    )
    if source is None:
        raise SystemExit("the demo data has no active monthly in-arrears contract to copy")
    p = engine.parse_period(period)
    usage = db.session.scalars(
        sa.select(UsageDaily).where(
            UsageDaily.client_id == source.client_id, UsageDaily.day.between(p.start, p.end)
        )
    ).all()
    skip = {"id", "number", "client_id", "client_legal_name", "quote_id", "created_at", "updated_at"}
    columns = [c.key for c in Contract.__table__.columns if c.key not in skip]
    usage_columns = [c.key for c in UsageDaily.__table__.columns if c.key not in {"id", "client_id"}]
    kpi_columns = [c.key for c in ContractKpi.__table__.columns if c.key not in {"id", "contract_id"}]
    band_columns = [c.key for c in ContractKpiBand.__table__.columns if c.key not in {"id", "kpi_id"}]
    for i in range(1, int(count) + 1):
        client = create_client(
            {
                "name": f"{CLIENT_PREFIX}{i:03d}",
                "legal_name": f"{CLIENT_PREFIX}{i:03d}有限公司",
                "category": "服饰鞋包",
            }
        )
        client.stage = "live"
        contract = Contract(
            **{c: getattr(source, c) for c in columns},
            client_id=client.id,
            number=next_number("HT", source.start_on.year, 4),
            client_legal_name=client.legal_name,
        )
        contract.kpis = [
            ContractKpi(
                **{c: getattr(k, c) for c in kpi_columns},
                bands=[ContractKpiBand(**{c: getattr(b, c) for c in band_columns}) for b in k.bands],
            )
            for k in source.kpis
        ]
        db.session.add(contract)
        db.session.flush()
        if usage:
            db.session.execute(
                sa.insert(UsageDaily),
                [{**{c: getattr(u, c) for c in usage_columns}, "client_id": client.id} for u in usage],
            )
        db.session.commit()
    print(json.dumps({"source": source.id, "usage_rows": len(usage)}))


def issued_in_run(instance: Instance, period: str) -> int:
    with instance.connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM invoices WHERE period = ? AND number IS NOT NULL", (period,)
        ).fetchone()[0]


def start_run(instance: Instance, run_period: str, log: Path) -> subprocess.Popen:
    with open(log, "a") as out:
        return subprocess.Popen(
            [str(BIN / "flask"), "billing", "run", "--period", run_period, "--issue"],
            cwd=ROOT,
            env=instance.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kill_after(
    instance: Instance, run_period: str, target: int, log: Path, timeout: float = 120
) -> tuple[int, bool]:
    """Start a run and SIGKILL it once ``target`` invoices of the period are issued; (issued, was killed)."""
    process = start_run(instance, run_period, log)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if issued_in_run(instance, run_period) >= target:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
                return issued_in_run(instance, run_period), True
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return issued_in_run(instance, run_period), False


def finish_runs(
    instance: Instance, run_period: str, runs: int, timeout: float = 300
) -> list[tuple[int, str]]:
    """Start ``runs`` billing runs at once (a schedule and a click on the runs page) and let them finish."""
    processes = [
        subprocess.Popen(
            [str(BIN / "flask"), "billing", "run", "--period", run_period, "--issue"],
            cwd=ROOT,
            env=instance.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(runs)
    ]
    results = []
    try:
        for process in processes:
            output, _ = process.communicate(timeout=timeout)
            results.append((process.returncode, output))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    return results


def verify(instance: Instance, run_period: str, copies: int) -> tuple[list[str], list[str]]:
    failures, notes = [], []
    with instance.connect() as conn:
        if not integrity_ok(conn):
            failures.append("integrity_check or foreign_key_check failed")
        duplicates = conn.execute(
            "SELECT contract_id, period, count(*) FROM invoices WHERE status <> 'void' "
            "GROUP BY contract_id, period HAVING count(*) > 1"
        ).fetchall()
        if duplicates:
            failures.append(
                f"{len(duplicates)} contracts with two invoices for a period, e.g. {duplicates[0]}"
            )
        copied = conn.execute(
            "SELECT i.status, i.number FROM contracts c JOIN clients k ON k.id = c.client_id "
            "LEFT JOIN invoices i ON i.contract_id = c.id AND i.period = ? WHERE k.name LIKE ?",
            (run_period, CLIENT_PREFIX + "%"),
        ).fetchall()
        not_issued = [row for row in copied if row[0] != "issued" or row[1] is None]
        if len(copied) != copies or not_issued:
            failures.append(
                f"{len(not_issued)} of {len(copied)} copied contracts lack an issued invoice for {run_period}"
            )

        numbers = [n for (n,) in conn.execute("SELECT number FROM invoices WHERE number IS NOT NULL")]
        if len(numbers) != len(set(numbers)):
            failures.append("an invoice number is used twice")
        by_year: dict[int, list[int]] = defaultdict(list)
        for number in numbers:
            match = re.fullmatch(r"INV-(\d{4})-(\d+)", number)
            if not match:
                failures.append(f"malformed invoice number {number}")
                continue
            by_year[int(match.group(1))].append(int(match.group(2)))
        counters = dict(conn.execute("SELECT year, last_value FROM number_sequences WHERE kind = 'INV'"))
        for year in sorted(set(by_year) | set(counters)):
            values = sorted(by_year.get(year, []))
            if values != list(range(1, len(values) + 1)) or counters.get(year) != len(values):
                missing = sorted(set(range(1, max(values + [0]) + 1)) - set(values))
                failures.append(
                    f"invoice numbers of {year}: {len(values)} used, counter at {counters.get(year)}, "
                    f"missing {missing[:10]}"
                )
            else:
                notes.append(
                    f"INV-{year}: numbers 1..{len(values)} without a gap, counter at {counters[year]}"
                )

        bad_pdfs = pdf_mismatches(conn)
        if bad_pdfs:
            failures.append(f"stored PDFs not matching their SHA-256: {bad_pdfs[:10]}")
        audits = conn.execute(
            "SELECT i.number, count(a.id) FROM invoices i LEFT JOIN audit_entries a ON a.object_type = 'invoices' "
            "AND a.object_id = i.id AND a.action = 'invoice.issued' WHERE i.number IS NOT NULL GROUP BY i.id "
            "HAVING count(a.id) != 1"
        ).fetchall()
        if audits:
            failures.append(f"invoices not audited exactly once as issued: {audits[:5]}")
        empty = conn.execute(
            "SELECT count(*) FROM invoices i WHERE NOT EXISTS "
            "(SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id)"
        ).fetchone()[0]
        if empty:
            failures.append(f"{empty} invoices (draft or issued) without lines")
        if not bad_pdfs:
            notes.append(f"{len(numbers)} numbered invoices, every stored PDF matches its SHA-256")
        notes.append(f"{len(copied) - len(not_issued)}/{copies} copied contracts issued for {run_period}")
    return failures, notes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=120, help="contracts to add (default 120)")
    parser.add_argument(
        "--kills", type=int, default=2, help="runs to SIGKILL before the last one (default 2)"
    )
    parser.add_argument("--short", action="store_true", help="the CI version: 40 contracts, one kill")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    args = parser.parse_args(argv)
    if args.short:
        args.contracts, args.kills = 40, 1

    run_period = run_period_before(date.today())
    work = Path(tempfile.mkdtemp(prefix="ops-fault-"))
    instance = Instance(work / "instance")
    log = work / "billing-runs.log"
    failures: list[str] = []
    started = time.monotonic()
    try:
        instance.prepare()
        instance.python(Path(__file__), "_add-contracts", str(args.contracts), run_period)
        before = issued_in_run(instance, run_period)
        print(
            f"fault: {args.contracts} contracts added; billing run {run_period} --issue, "
            f"{before} invoices of the period issued before"
        )
        for k in range(1, args.kills + 1):
            target = before + args.contracts * k // (args.kills + 1)
            t0 = time.monotonic()
            issued, killed = kill_after(instance, run_period, target, log)
            print(
                f"  run {k}: SIGKILL after {time.monotonic() - t0:.1f} s with {issued} invoices of {run_period} issued"
                + ("" if killed else " (ended before the kill)")
            )
            if not killed:
                failures.append(
                    f"run {k} ended before {target} invoices were issued: nothing was interrupted"
                )
        t0 = time.monotonic()
        for n, (code, output) in enumerate(finish_runs(instance, run_period, 2), 1):
            print(f"  last runs (two at once), run {n}: exit {code}, " + " ".join(output.split()[-9:-3]))
            if code != 0 or "出错：0 份" not in output:
                failures.append(f"last run {n} failed (exit {code}):\n{output[-1500:]}")
        print(f"  last runs took {time.monotonic() - t0:.1f} s")
        more, notes = verify(instance, run_period, args.contracts)
        for note in notes:
            print(f"  {note}")
        failures += more
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
    if sys.argv[1:2] == ["_add-contracts"]:
        in_app(_add_contracts_task)
    else:
        sys.exit(main())
