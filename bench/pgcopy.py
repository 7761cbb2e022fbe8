"""Copy a built SQLite benchmark data set into a fresh PostgreSQL database, fast.

    .venv/bin/python bench/pgcopy.py SQLITE URL [--verify [--billing]]

URL is a SQLAlchemy URL, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/bench_pg``. The database
is dropped and created again (unless ``recreate=False``: then it must exist with empty tables), its
schema made by the project's own Alembic migrations (``create_app`` runs them on start-up; the
migrated empty database is kept as a template for the next copy, see ``_create_database``), and
then every table is streamed out of SQLite and into PostgreSQL with psycopg 3's ``COPY … FROM
STDIN`` (text format):

- The values go across as SQLite stores them, without going through the models' types: dates and
  timestamps are ISO text (the UTC timestamps of ``UTCDateTime`` are naive UTC text in SQLite, so the
  copy's session runs in UTC), booleans 0/1 (PostgreSQL's boolean input takes ``1``/``0``), JSON its
  text, money and quantities numbers, PDFs bytes. Nothing is decrypted or re-encoded on the way.
- Every table in the SQLite file is copied (not SQLite's own ``sqlite_stat1``), those of the metadata in dependency order and then any
  other the migrations made (none today); a table PostgreSQL lacks, or a column it lacks, is an error
  (the two schemas come from the same migrations). ``alembic_version`` is left as the migrations set it.
- Foreign keys are not checked during the copy (``session_replication_role = replica``; users and
  clients refer to each other): the rows come from a database that checked them.
- Then every sequence owned by a column (serial or identity) is set past the largest id, and
  ``ANALYZE`` gives the planner statistics, as a restored production database would have.

``copy_to_postgres`` returns the rows copied per table and the seconds taken; ``verify`` checks the
counts per table and, with ``check_app``, that the app works on the copy (the main pages, an
invoice's PDF, the portal; optionally the next billing run, which changes the copy).
The upload files (attachments) stay in the SQLite data set's ``<name>-uploads`` folder: an app made
with ``make_app(sqlite_path, SQLALCHEMY_DATABASE_URI=url)`` uses it, as ``verify`` does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import dataset  # noqa: E402

SKIP = {"alembic_version"}  # the migrations write it


def _conninfo(url: str, dbname: str | None = None) -> str:
    """psycopg connection string of a SQLAlchemy URL (optionally for another database on the server)."""
    u = make_url(url)
    params: dict[str, str | int | None] = {
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "user": u.username or "postgres",
        "dbname": dbname or u.database,
    }
    if u.password:
        params["password"] = u.password
    return psycopg.conninfo.make_conninfo("", **params)


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(_conninfo(url, "postgres"), autocommit=True)


def drop_database(url: str) -> None:
    """Drop the database at ``url`` (if it exists), ending its connections."""
    with _admin(url) as conn:
        name = sql.Identifier(make_url(url).database or "")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _schema_key() -> str:
    """A digest of the migration files: a template made by other migrations is not reused."""
    digest = hashlib.sha1()
    for path in sorted((ROOT / "migrations").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _migrate(sqlite_path: Path, url: str) -> None:
    """Run the project's migrations on the database at ``url`` (``create_app`` runs them)."""
    app = dataset.make_app(sqlite_path, SQLALCHEMY_DATABASE_URI=url, AUTO_MIGRATE=True)
    from ops.extensions import db

    with app.app_context():
        db.engine.dispose()


def _create_database(sqlite_path: Path, url: str) -> bool:
    """Drop and create the database at ``url`` with the migrated schema; True if a template was reused.

    Running the 29 migrations takes 5-25 s on PostgreSQL (one transaction of DDL), so the first copy
    keeps the migrated empty database as a template, ``<name>_schema_<digest of the migrations>``, and
    later copies are made from it with ``CREATE DATABASE … TEMPLATE`` (a file copy, under a second).
    Templates of other migrations are dropped.
    """
    name = make_url(url).database
    if not name:
        raise ValueError(f"no database name in {url}")
    template = f"{name}_schema_{_schema_key()}"
    with _admin(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        existing = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [name.replace("_", r"\_") + r"\_schema\_%"],
        ).fetchall()
        for (stale,) in existing:
            if stale != template:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(stale)))
        if (template,) in existing:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
            return True
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _migrate(sqlite_path, url)
    with _admin(url) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(template), sql.Identifier(name))
        )
    return False


def _metadata_order() -> list[str]:
    """The app's tables in dependency order (parents first)."""
    import ops.models  # noqa: F401  (every model registered on the metadata)
    from ops.extensions import db

    return [t.name for t in db.metadata.sorted_tables]


def _sqlite_tables(src: sqlite3.Connection) -> list[str]:
    return [
        name
        for (name,) in src.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]


def _pg_columns(conn: psycopg.Connection) -> dict[str, set[str]]:
    columns: dict[str, set[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    ):
        columns.setdefault(table, set()).add(column)
    return columns


def _reset_sequences(conn: psycopg.Connection) -> int:
    """Set every sequence owned by a column (serial or identity) past the column's largest value."""
    owned = conn.execute(
        """
        SELECT s.relname, t.relname, a.attname
        FROM pg_class s
        JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        JOIN pg_namespace n ON n.oid = s.relnamespace
        WHERE s.relkind = 'S' AND n.nspname = current_schema()
        """
    ).fetchall()
    for sequence, table, column in owned:
        conn.execute(
            sql.SQL("SELECT setval({}, COALESCE((SELECT max({}) FROM {}), 0) + 1, false)").format(
                sql.Literal(sequence), sql.Identifier(column), sql.Identifier(table)
            )
        )
    return len(owned)


def copy_to_postgres(sqlite_path: Path, url: str, *, recreate: bool = True) -> dict[str, Any]:
    """Copy the SQLite data set at ``sqlite_path`` into the PostgreSQL database at ``url``.

    Returns ``{"tables": {name: rows}, "rows": total, "sequences": n, "seconds": {...}}`` with the
    seconds of each step (schema: create + migrate or from the template, copy, sequences + ANALYZE, total).
    """
    sqlite_path = Path(sqlite_path)
    if not sqlite_path.exists():
        raise FileNotFoundError(sqlite_path)
    started = time.perf_counter()
    reused = False
    if recreate:
        reused = _create_database(sqlite_path, url)
    else:
        _migrate(sqlite_path, url)  # an existing database: brought to the newest migration
    order = _metadata_order()
    migrated = time.perf_counter()

    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    src.execute("PRAGMA query_only = ON")
    counts: dict[str, int] = {}
    with psycopg.connect(_conninfo(url)) as conn:
        conn.execute("SET TIME ZONE 'UTC'")  # naive SQLite timestamps are UTC
        conn.execute("SET session_replication_role = replica")  # no FK triggers: users <-> clients
        present = _sqlite_tables(src)
        pg_columns = _pg_columns(conn)
        tables = [t for t in order if t in present] + [t for t in present if t not in order]
        for table in tables:
            if table in SKIP:
                continue
            if table not in pg_columns:
                raise RuntimeError(f"table {table} is in the SQLite data set but not in PostgreSQL")
            columns = [row[1] for row in src.execute(f'PRAGMA table_info("{table}")')]
            missing = [c for c in columns if c not in pg_columns[table]]
            if missing:
                raise RuntimeError(f"columns {missing} of {table} are not in PostgreSQL")
            column_list = ", ".join(f'"{c}"' for c in columns)
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            )
            rows = 0
            with conn.cursor() as cur, cur.copy(statement) as copy:
                for row in src.execute(f'SELECT {column_list} FROM "{table}"'):
                    copy.write_row(row)
                    rows += 1
            counts[table] = rows
        conn.execute("SET session_replication_role = DEFAULT")
        copied = time.perf_counter()
        sequences = _reset_sequences(conn)
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    src.close()
    finished = time.perf_counter()
    return {
        "tables": counts,
        "rows": sum(counts.values()),
        "sequences": sequences,
        "schema_from_template": reused,
        "seconds": {
            "schema": round(migrated - started, 2),
            "copy": round(copied - migrated, 2),
            "sequences_analyze": round(finished - copied, 2),
            "total": round(finished - started, 2),
        },
    }


def count_rows(sqlite_path: Path, url: str) -> dict[str, tuple[int, int]]:
    """Rows per table in SQLite and in PostgreSQL: ``{table: (sqlite, postgresql)}``."""
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    result = {}
    with psycopg.connect(_conninfo(url)) as conn:
        for table in _sqlite_tables(src):
            (in_sqlite,) = src.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            (in_pg,) = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchall()[0]
            result[table] = (in_sqlite, in_pg)
    src.close()
    return result


def verify(sqlite_path: Path, url: str, *, billing: bool = False) -> dict[str, Any]:
    """Check the copy: equal row counts per table, the main pages answer 200 on it and (with
    ``billing``) the next billing run issues its invoices with no errors — that changes the copy."""
    counts = count_rows(sqlite_path, url)
    unequal = {t: c for t, c in counts.items() if c[0] != c[1]}
    app = dataset.make_app(
        Path(sqlite_path), SQLALCHEMY_DATABASE_URI=url, AUTO_MIGRATE=False, WTF_CSRF_ENABLED=False
    )
    return {"tables": len(counts), "unequal": unequal, **check_app(app, billing=billing)}


def check_app(app: Any, *, billing: bool = False) -> dict[str, Any]:
    """GET the main pages as finance, admin and the client user (each should answer 200; logins 302):
    the invoice list, the newest invoice with a PDF, its PDF, the dashboard, onboarding (admin:
    finance may not see it), the client and contract lists, the portal's invoices, one and its PDF.
    With ``billing``, then run the next billing run (``dataset.BENCH_RUN``) issuing its invoices, as
    bench/run.py's billing worker does. ``app`` is made with ``WTF_CSRF_ENABLED=False``."""
    import sqlalchemy as sa

    from ops.auth.models import User
    from ops.billing.models import Invoice
    from ops.extensions import db

    pages: dict[str, int] = {}
    with app.app_context():
        invoice = db.session.scalar(
            sa.select(Invoice).where(Invoice.pdf.is_not(None)).order_by(Invoice.id.desc()).limit(1)
        )
        client_invoice = db.session.scalar(
            sa.select(Invoice)
            .join(User, User.client_id == Invoice.client_id)
            .where(User.username == "client", Invoice.number.is_not(None))
            .limit(1)
        )
        if invoice is None:
            raise RuntimeError("no issued invoice with a PDF in the copy")
        invoice_id = invoice.id
        client_invoice_id = client_invoice.id if client_invoice else None
    for username, paths in (
        (
            "finance",
            [
                "/billing/invoices",
                f"/billing/invoices/{invoice_id}",
                f"/billing/invoices/{invoice_id}/pdf",
                "/",
            ],
        ),
        ("admin", ["/onboarding/", "/clients/", "/contracts/"]),  # finance may not see onboarding (403)
        (
            "client",
            ["/portal/invoices"]
            + (
                [f"/portal/invoices/{client_invoice_id}", f"/portal/invoices/{client_invoice_id}/pdf"]
                if client_invoice_id
                else []
            ),
        ),
    ):
        client = app.test_client()
        login = client.post("/login", data={"username": username, "password": dataset.PASSWORD})
        pages[f"login {username}"] = login.status_code  # 302: logged in
        for path in paths:
            response = client.get(path)
            pages[f"{username} {path}"] = response.status_code
    result: dict[str, Any] = {
        "pages": pages,
        "wrong": [p for p, c in pages.items() if c != (302 if p.startswith("login ") else 200)],
    }
    if billing:
        from ops.billing import services

        with app.app_context():
            finance = db.session.scalar(sa.select(User).where(User.username == "finance"))
            started = time.perf_counter()
            summary = services.run_billing(dataset.BENCH_RUN, issue=True, by=finance)
            result["billing"] = {
                "contracts": summary.contracts,
                "issued": summary.issued,
                "errors": [str(e) for e in summary.errors][:5],
                "seconds": round(time.perf_counter() - started, 1),
            }
    with app.app_context():
        db.engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sqlite", type=Path, help="the SQLite data set (read only)")
    parser.add_argument("url", help="postgresql+psycopg://postgres@127.0.0.1:5432/NAME (dropped and created)")
    parser.add_argument("--verify", action="store_true", help="then check counts and pages")
    parser.add_argument("--billing", action="store_true", help="with --verify: also run billing on the copy")
    args = parser.parse_args(argv)
    result = copy_to_postgres(args.sqlite, args.url)
    print(json.dumps({k: v for k, v in result.items() if k != "tables"}), flush=True)
    if args.verify:
        print(json.dumps(verify(args.sqlite, args.url, billing=args.billing), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
