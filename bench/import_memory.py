"""Peak memory of a large usage CSV import: ``python bench/import_memory.py [ROWS] [--profile]``.

Writes a CSV of ROWS rows (default 1,000,000: 50 clients × 6 platforms × consecutive days) to
bench/tmp/, then imports it in a fresh subprocess through ``import_usage_file`` — what the upload
page and ``flask usage import`` call — on a fresh SQLite database, and prints the subprocess's peak
RSS (``resource.getrusage``), the time and the rows stored. Then the same with one bad row at the
end, which must store nothing. The issue's target: under 300 MB for 1,000,000 rows (the import
used to take a worker from 116 MB to 1.07 GB for 900,000). Not a test: memory and time depend on
the machine.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = ROOT / "bench" / "tmp"
PLATFORMS = ("天猫", "京东", "拼多多", "抖音", "淘宝", "快手")
CLIENTS = 50


def write_csv(path: Path, rows: int, bad_last_row: bool = False) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("客户编号,日期,平台,咨询量,有效咨询量,服务销售额(元),首次响应时间(秒),3分钟回复率\r\n")
        written, day = 0, date(2000, 1, 1)
        while written < rows:
            for client in range(1, CLIENTS + 1):
                for platform in PLATFORMS:
                    if written == rows:
                        break
                    n = written % 997
                    out.write(
                        f"{client},{day.isoformat()},{platform},{100 + n},{90 + n % 10},{n * 3}.50,12.5,92.5%\r\n"
                    )
                    written += 1
            day += timedelta(days=1)
        if bad_last_row:
            out.write("1,2026-01-01,天猫,很多,1,0,1,1\r\n")


def child(db_path: str, csv_path: str, profile: bool) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.dataset import make_app

    app = make_app(Path(db_path))
    with app.app_context():
        import sqlalchemy as sa

        from ops.clients.models import Client
        from ops.extensions import db
        from ops.usage.models import UsageDaily
        from ops.usage.services import UsageImportError, import_usage_file

        for n in range(1, CLIENTS + 1):
            db.session.add(Client(id=n, name=f"基准客户{n}", stage="live"))
        db.session.commit()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        outcome = "imported"
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        try:
            import_usage_file(Path(csv_path), Path(csv_path).name, "cli")
            db.session.commit()
        except UsageImportError as exc:
            db.session.rollback()
            outcome = f"refused ({exc.total} error(s))"
        if profile:
            profiler.disable()
            import pstats

            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        seconds = time.perf_counter() - started
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(UsageDaily))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        print(
            json.dumps(
                {
                    "outcome": outcome,
                    "stored": stored,
                    "seconds": round(seconds, 1),
                    "rss_before_mb": before // 1024,
                    "peak_rss_mb": peak // 1024,
                }
            )
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    profile = "--profile" in sys.argv
    rows = int(args[0]) if args else 1_000_000
    TMP.mkdir(parents=True, exist_ok=True)
    for bad in (False, True):
        csv_path = TMP / f"usage-{rows}{'-bad' if bad else ''}.csv"
        write_csv(csv_path, rows, bad_last_row=bad)
        db_path = TMP / f"import-memory-{rows}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(db_path), str(csv_path), "1" if profile else "0"],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if profile:
            print(out.stderr[-6000:])
        report = json.loads(out.stdout.strip().splitlines()[-1])
        size_mb = csv_path.stat().st_size / 1024 / 1024
        print(
            f"{rows:,} rows{' + 1 bad row' if bad else ''} ({size_mb:.1f} MB): {report['outcome']}, "
            f"{report['stored']:,} stored, {report['seconds']} s, peak RSS {report['peak_rss_mb']} MB "
            f"(before the import {report['rss_before_mb']} MB)"
        )


if __name__ == "__main__":
    main()
