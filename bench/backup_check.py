"""Backup check: ``flask ops backup`` while the app is under load, then ``flask ops restore`` it and use it.

    .venv/bin/python bench/backup_check.py [--duration 8] [--short] [--keep]

Makes a fresh instance, serves it with gunicorn under a short load (bench/load.py's clients),
takes ``flask ops backup`` half-way through, and verifies the copy: SQLite's integrity and foreign
key checks pass, every referenced upload is restored, it holds the same migration, its row counts lie between those before and after the
load, every issued invoice's stored PDF hashes to its pdf_sha256, and a fresh instance started on it
serves the login, the dashboard and each invoice PDF with those very bytes. bench/load.py runs the
same verification on its own backup. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (  # noqa: E402
    DEMO_PASSWORD,
    CheckFailed,
    HttpClient,
    Instance,
    Server,
    integrity_ok,
    pdf_mismatches,
    sha256,
)


def verify_backup(
    live: Instance,
    backup: Path,
    before: dict,
    after: dict,
    folder: Path,
    database_url: str | None = None,
    password: str = DEMO_PASSWORD,
) -> tuple[list[str], list[str]]:
    """Check a backup file and a restore of it; returns (failures, notes for the report).

    The restore goes into a new SQLite instance in ``folder``, or into the PostgreSQL database
    ``database_url`` (made empty first, dropped after a successful check)."""
    restored = Instance(folder, database_url=database_url)
    failures, notes = _verify_restore(live, backup, before, after, restored, password)
    if not failures and restored.dialect == "postgresql":
        restored.drop_database()  # kept, as the folders are, when a check failed
    return failures, notes


def _verify_restore(
    live: Instance, backup: Path, before: dict, after: dict, restored: Instance, password: str
) -> tuple[list[str], list[str]]:
    from load import table_counts

    failures: list[str] = []
    notes: list[str] = []
    if restored.dialect == "postgresql":
        restored.reset_database()
    try:  # into the new instance's empty database and upload folder; checks every SHA-256 and row count
        restored.flask("ops", "restore", str(backup), timeout=120)
    except CheckFailed as exc:
        return [f"flask ops restore failed: {str(exc)[:1000]}"], notes
    uploads = Path(restored.env["OPS_UPLOAD_DIR"])
    with restored.connect() as conn:
        referenced = [
            r[0]
            for r in conn.execute(
                "SELECT signed_file FROM contracts WHERE signed_file IS NOT NULL UNION ALL "
                "SELECT stored_file FROM material_versions"
            )
        ]
    missing = [name for name in referenced if not (uploads / name).is_file()]
    if missing:
        failures.append(f"restored instance: {len(missing)} referenced uploads missing: {missing[:5]}")
    notes.append(
        f"restore: {len(referenced)} referenced uploads all present"
        if not missing
        else "restore: uploads MISSING"
    )
    with restored.connect() as conn:
        # SQLite's own checks; PostgreSQL enforces its constraints as pg_restore loads the rows.
        if restored.dialect == "sqlite" and not integrity_ok(conn):
            failures.append("backup: integrity_check or foreign_key_check failed")
        counts = table_counts(conn)
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        bad_pdfs = pdf_mismatches(conn)
        invoices = dict(conn.execute("SELECT id, pdf_sha256 FROM invoices WHERE number IS NOT NULL"))
    with live.connect() as conn:
        live_version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    if version != live_version:
        failures.append(f"backup: migration {version} differs from the live {live_version}")
    implausible = {t: (before[t], n, after[t]) for t, n in counts.items() if not before[t] <= n <= after[t]}
    if implausible:
        failures.append(f"backup: row counts outside (before, backup, after): {implausible}")
    if bad_pdfs:
        failures.append(f"backup: stored PDFs not matching their SHA-256: {bad_pdfs}")
    checked = "integrity ok" if restored.dialect == "sqlite" else "restored by pg_restore"
    notes.append(
        f"backup opens: {checked}, {counts['usage_daily']} usage rows "
        f"(before {before['usage_daily']}, after {after['usage_daily']}), {len(invoices)} issued invoices"
    )

    with Server(restored, workers=2) as server:
        browser = HttpClient(server.port)
        browser.login("finance", password)
        for path in ("/", "/billing/invoices"):
            if (status := browser.get(path).status) != 200:
                failures.append(f"restored instance: GET {path} answered {status}")
        served = 0
        for invoice_id, digest in invoices.items():
            response = browser.get(f"/billing/invoices/{invoice_id}/pdf")
            if response.status != 200 or sha256(response.body) != digest:
                failures.append(
                    f"restored instance: PDF of invoice {invoice_id} status {response.status}, "
                    "bytes do not match the stored SHA-256"
                )
            else:
                served += 1
        problems = server.log_problems()
        if problems:
            failures.append(f"restored instance log: {problems[:3]}")
    notes.append(
        f"restored instance served the dashboard and {served}/{len(invoices)} invoice PDFs "
        "matching their SHA-256"
    )
    return failures, notes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=8, help="seconds of load around the backup (default 8)"
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--short", action="store_true", help="the CI version (same as the default)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folders")
    args = parser.parse_args(argv)

    from load import report, run_load, table_counts

    work = Path(tempfile.mkdtemp(prefix="ops-backup-"))
    live = Instance(work / "instance")
    backup = work / "backup" / "ops-backup.tar.gz"
    failures: list[str] = []
    started = time.monotonic()
    try:
        token = live.prepare()
        with live.connect() as conn:
            before = table_counts(conn)
        backup_error: list[str] = []

        def take_backup():
            t0 = time.monotonic()
            try:
                live.flask("ops", "backup", str(backup), timeout=60)
            except CheckFailed as exc:
                backup_error.append(str(exc)[:500])
            print(f"backup: flask ops backup took {time.monotonic() - t0:.2f} s during the load")

        with Server(live) as server:
            result = run_load(server, live, token, args.duration, args.clients, during=take_backup)
        failures += report(result, args.clients, 4)
        with live.connect() as conn:
            after = table_counts(conn)
        if backup_error:
            failures += backup_error
        else:
            more, notes = verify_backup(live, backup, before, after, work / "restored")
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
        print(f"FAILED ({len(failures)}); folders kept in {work}")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
