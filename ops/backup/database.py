"""The database side: reading a snapshot (tables, row counts, migration head, referenced files),
putting a checked copy in place, and the PostgreSQL tools (pg_dump / pg_restore)."""

from __future__ import annotations

import os
import secrets as _secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from ops.backup.common import REFERENCES, BackupError


def dialect_of(url: str | URL) -> str:
    return make_url(url).get_backend_name()


def libpq_url(url: str | URL) -> tuple[str, dict]:
    """A SQLAlchemy URL (``postgresql+psycopg://u:p@h/db``) as a libpq URL without the password,
    and the environment that carries the password (PGPASSWORD), so it never shows in ``ps``."""
    url = make_url(url)
    env = {}
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env_extra: dict, what: str) -> None:
    done = subprocess.run(argv, env={**os.environ, **env_extra}, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} 失败（退出码 {done.returncode}）：{done.stderr.strip()[-1500:]}")


def find_tool(name: str, configured: str | None) -> str:
    """The pg_dump / pg_restore to run: the configured path, else the one on PATH."""
    tool = configured or shutil.which(name)
    if not tool or not Path(tool).exists() and not shutil.which(tool):
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端，或用 OPS_{name.upper()} 指定其路径。")
    return tool


def _engine(url: str | URL):
    return sa.create_engine(url, poolclass=NullPool)


def user_tables(conn) -> list[str]:
    inspector = sa.inspect(conn)
    return sorted(inspector.get_table_names())


def count_rows(conn, tables: Iterable[str]) -> dict[str, int]:
    return {t: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in tables}


def referenced_files(conn, tables: Iterable[str]) -> set[str]:
    """Stored names the database refers to (signed contracts, material versions)."""
    present = set(tables)
    names: set[str] = set()
    for table, column in REFERENCES:
        if table in present:
            rows = conn.execute(sa.text(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'))
            names.update(r[0] for r in rows if r[0])
    return names


def migration_head(conn, tables: Iterable[str]) -> str | None:
    if "alembic_version" not in set(tables):
        return None
    heads = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
    return ",".join(sorted(heads)) or None


@dataclass
class Snapshot:
    """What was read from the database copy, in its own snapshot."""

    tables: dict[str, int]
    head: str | None
    referenced: set[str]
    server: str = ""


def _sqlite_copy(source: str, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(str(target))
    try:
        with dst:
            # In one step: a step-wise copy starts over whenever another connection writes between
            # steps, so under steady writes a large database would never finish. One step reads a
            # single snapshot, and in WAL mode writers go on meanwhile.
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _inspect(url: str | URL) -> Snapshot:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            tables = user_tables(conn)
            return Snapshot(
                count_rows(conn, tables), migration_head(conn, tables), referenced_files(conn, tables)
            )
    finally:
        engine.dispose()


def _drop_empty_tables(url: URL) -> None:
    """A PostgreSQL target that has the schema but no rows (e.g. migrated at start-up): drop its tables."""
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            tables = user_tables(conn)
            if tables:
                conn.exec_driver_sql("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    finally:
        engine.dispose()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


@contextmanager
def temporary_postgres_database(url: str | URL):
    """A fresh database beside ``url``'s (same server and role), dropped afterwards; yields its URL."""
    url = make_url(url)
    name = f"{url.database}_verify_{_secrets.token_hex(4)}"
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
