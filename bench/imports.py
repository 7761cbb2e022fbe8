"""The usage import against the databases' own bulk loaders, on SQLite and on PostgreSQL.

``measure_sqlite``: a ``rows``-row usage CSV (new days for the data set's clients) through
``import_usage_file`` (what ``flask usage import`` calls) against plain sqlite3: csv, int conversion
and one executemany into a table shaped and filled like usage_daily, in the same database file.
Each run is a fresh process on a fresh copy of the data set; the service and the baseline run in
the same process one after the other, so both see the same machine load.

``measure_postgres``: the same CSV through the service (COPY into a staging table, one INSERT ... ON
CONFLICT) against psql's own ``\\copy`` of the same rows, already converted to the table's columns
(money in fen, times in ms, rates in basis points, ISO days, the timestamp), into a plain table made
``LIKE usage_daily INCLUDING ALL`` (same columns, defaults, constraints and indexes) and filled like
it. That is the fairest floor: psql parses nothing but CSV and the server checks the same
constraints and maintains the same indexes; the service also decodes, validates, resolves clients
and compares with what is stored. Every run starts from the same state: afterwards the imported
rows, the import record and its audit entry are deleted and the plain table dropped.

Command line: ``python bench/imports.py sqlite DB [ROWS]`` or ``python bench/imports.py postgres URL
[ROWS]`` prints the result as JSON. Nothing here is a test: no figure fails the run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ops.usage.fields import VALUE_COLUMNS  # noqa: E402

FIRST_DAY = date(2026, 1, 1)  # the data set's usage history ends on 2025-12-31: every row is new
HEADER = (
    "客户编号,日期,平台,咨询量,有效咨询量,服务销售额(元),退款金额(元),首次响应时间(秒),平均响应时间(秒),"
    "3分钟回复率,询单转化率,满意度,纠纷退款率\n"
)
PLAIN_COLUMNS = ("client_id", "day", "platform", *VALUE_COLUMNS, "updated_at")  # usage_daily's, no id


# --- the file ----------------------------------------------------------------------------------


def usage_csv(shops: list[tuple[int, str]], rows: int, first_day: date = FIRST_DAY) -> bytes:
    """``rows`` days of usage from ``first_day`` for the (client id, platform) ``shops``, as a Chinese
    CSV export: one row per shop and day."""
    out = io.StringIO()
    out.write(HEADER)
    day, n = first_day, 0
    while n < rows:
        for client_id, platform_code in shops:
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


SHOPS_SQL = (
    "SELECT clients.id, client_shops.platform FROM clients"
    " JOIN client_shops ON client_shops.client_id = clients.id ORDER BY clients.id, client_shops.platform"
)


def _fen(text: str) -> int:
    yuan, _, cents = text.partition(".")
    return int(yuan) * 100 + int((cents + "00")[:2])


def _bp(text: str) -> int:
    whole, _, frac = text.rstrip("%").partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def plain_values(data: bytes, now: str) -> list[tuple]:
    """The baseline's conversion: the CSV's rows as PLAIN_COLUMNS tuples (fen, ms, basis points)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    next(reader)
    return [
        (
            int(r[0]),
            r[1],
            r[2],
            int(r[3]),
            int(r[4]),
            _fen(r[5]),
            _fen(r[6]),
            int(float(r[7]) * 1000),
            int(r[8]) * 1000,
            _bp(r[9]),
            _bp(r[10]),
            _bp(r[11]),
            _bp(r[12]),
            now,
        )
        for r in reader
    ]


def _stats(rows: int, runs: list[dict]) -> dict:
    seconds = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    plain = statistics.median(r["baseline_seconds"] for r in runs)
    result = {
        "rows": rows,
        "seconds_median": round(seconds, 3),
        "service_rows_per_s": round(rows / seconds),
        "baseline_seconds_median": round(plain, 3),
        "baseline_rows_per_s": round(rows / plain),
        "ratio": round(plain / seconds, 2),
        "service_rows_per_cpu_s": round(rows / cpu),
        "runs": runs,
    }
    if all("baseline_cpu_seconds" in r for r in runs):
        plain_cpu = statistics.median(r["baseline_cpu_seconds"] for r in runs)
        result["baseline_rows_per_cpu_s"] = round(rows / plain_cpu)
        result["cpu_ratio"] = round(plain_cpu / cpu, 2)
    return result


def _worker(*args: str) -> dict:
    """Run one measurement in a fresh process (``imports.py _worker KIND ...``) and return its JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPS_")}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "_worker", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"import worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _service(app, data: bytes) -> tuple[float, float, dict]:
    """``import_usage_file`` and the commit, timed (wall, CPU), and its counts."""
    with app.app_context():
        from ops.extensions import db
        from ops.usage.services import import_usage_file

        started, cpu = time.perf_counter(), time.process_time()
        result = import_usage_file(data, "bench-usage.csv", "cli")  # what `flask usage import` calls
        db.session.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        counts = {"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged}
        counts["import_id"] = result.usage_import.id
        db.engine.dispose()
    return seconds, cpu, counts


# --- SQLite ------------------------------------------------------------------------------------


def _plain_sqlite(db_path: Path, data: bytes, first_day: date = FIRST_DAY) -> tuple[float, float]:
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
    # As usage_daily was before the import (the service's run has just added the rows from first_day).
    conn.execute("INSERT INTO usage_plain SELECT * FROM usage_daily WHERE day < ?", (first_day.isoformat(),))
    conn.commit()
    started, cpu = time.perf_counter(), time.process_time()
    values = plain_values(data, datetime.now().isoformat(" "))
    conn.executemany(
        f"INSERT INTO usage_plain ({', '.join(PLAIN_COLUMNS)}) VALUES ({', '.join('?' * len(PLAIN_COLUMNS))})",
        values,
    )
    conn.commit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return seconds, cpu


def _sqlite_worker(db_path: str, csv_path: str, first_day: str) -> dict:
    from bench import dataset

    data = Path(csv_path).read_bytes()
    app = dataset.make_app(Path(db_path), AUTO_MIGRATE=False)
    seconds, cpu, counts = _service(app, data)
    plain, plain_cpu = _plain_sqlite(Path(db_path), data, date.fromisoformat(first_day))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        **counts,
        "baseline_seconds": plain,
        "baseline_cpu_seconds": plain_cpu,
    }


def measure_sqlite(db_path: Path, rows: int = 100_000, runs: int = 3, first_day: date = FIRST_DAY) -> dict:
    """The service against plain sqlite3 executemany on ``rows`` new rows, each run in a fresh process
    on a fresh copy of ``db_path`` (never written itself): median wall and CPU rows/s and ratios.
    (``first_day``: an earlier start for a smaller data set, whose rows would otherwise reach the future.)"""
    db_path = Path(db_path)
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        shops = conn.execute(SHOPS_SQL).fetchall()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        csv_path = Path(tmp) / "usage.csv"
        csv_path.write_bytes(usage_csv(shops, rows, first_day))
        for i in range(runs):
            copy = Path(tmp) / f"copy-{i}.db"
            shutil.copyfile(db_path, copy)
            try:
                results.append(_worker("sqlite", str(copy), str(csv_path), first_day.isoformat()))
            finally:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return _stats(rows, results)


# --- PostgreSQL --------------------------------------------------------------------------------


def _libpq_url(url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as psql takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _pg_shops(url: str) -> list[tuple[int, str]]:
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        return conn.execute(SHOPS_SQL).fetchall()


def _pg_cleanup(url: str, import_id: int | None) -> None:
    """Back to the state before a run: the imported rows, the import's record and audit entry, the
    plain table."""
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        conn.execute("DELETE FROM usage_daily WHERE day >= %s", (FIRST_DAY,))
        if import_id is not None:
            conn.execute(
                "DELETE FROM audit_entries WHERE action = 'usage.imported' AND object_id = %s", (import_id,)
            )
            conn.execute("DELETE FROM usage_imports WHERE id = %s", (import_id,))
        conn.execute("DROP TABLE IF EXISTS usage_plain")


def _plain_postgres(url: str, data: bytes, tmp: Path) -> float:
    """psql's ``\\copy`` of the CSV's rows, converted to the table's columns beforehand (not timed),
    into a table LIKE usage_daily filled like it: the wall time of psql (its own process)."""
    import psycopg

    with psycopg.connect(_libpq_url(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS usage_plain")
        conn.execute("CREATE TABLE usage_plain (LIKE usage_daily INCLUDING ALL)")
        conn.execute(f"INSERT INTO usage_plain SELECT * FROM usage_daily WHERE day < '{FIRST_DAY}'")
    now = datetime.now().astimezone().isoformat(" ")
    plain_csv = tmp / "plain.csv"
    with open(plain_csv, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(PLAIN_COLUMNS)
        writer.writerows(plain_values(data, now))
    command = f"\\copy usage_plain ({', '.join(PLAIN_COLUMNS)}) FROM '{plain_csv}' CSV HEADER"
    started = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command, _libpq_url(url)], check=True)
    return time.perf_counter() - started


def _postgres_worker(url: str, csv_path: str) -> dict:
    from ops import create_app

    data = Path(csv_path).read_bytes()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key",
            "VAULT_KEY": "n0Jq2m4m0o8bq6QpM4Jg5z0mVvJx3h1QeYx2m6cQnV8=",
            "AUTO_MIGRATE": False,
        }
    )
    import_id = None
    try:
        seconds, cpu, counts = _service(app, data)
        import_id = counts["import_id"]
        plain = _plain_postgres(url, data, Path(csv_path).parent)
    finally:
        _pg_cleanup(url, import_id)
    return {"seconds": seconds, "cpu_seconds": cpu, **counts, "baseline_seconds": plain}


def measure_postgres(url: str, rows: int = 100_000, runs: int = 3) -> dict:
    """The service against psql's ``\\copy`` of the same rows on the PostgreSQL database at ``url``
    (the migrated schema with the data set's clients; usage from FIRST_DAY on is deleted first and
    after every run). Wall time only for the ratio: psql's work is in its own process and the server."""
    _pg_cleanup(url, None)
    shops = _pg_shops(url)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        csv_path = Path(tmp) / "usage.csv"
        csv_path.write_bytes(usage_csv(shops, rows))
        for _ in range(runs):
            results.append(_worker("postgres", url, str(csv_path)))
    return _stats(rows, results)


def main(argv: list[str]) -> None:
    if argv[:1] == ["_worker"]:
        kind, *args = argv[1:]
        result = (_sqlite_worker if kind == "sqlite" else _postgres_worker)(*args)
        print(json.dumps(result))
        return
    if len(argv) < 2 or argv[0] not in ("sqlite", "postgres"):
        sys.exit(
            "usage: imports.py sqlite DB [ROWS] [RUNS] [FIRST_DAY] | imports.py postgres URL [ROWS] [RUNS]"
        )
    rows = int(argv[2]) if len(argv) > 2 else 100_000
    runs = int(argv[3]) if len(argv) > 3 else 3
    if argv[0] == "sqlite":
        first_day = date.fromisoformat(argv[4]) if len(argv) > 4 else FIRST_DAY
        result = measure_sqlite(Path(argv[1]), rows, runs, first_day)
    else:
        result = measure_postgres(argv[1], rows, runs)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
