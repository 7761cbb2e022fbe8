"""Restoring an archive into an empty database and upload folder, undone on any failure."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from ops.backup.archive import Extracted, extract_archive
from ops.backup.common import BackupError
from ops.backup.database import (
    _drop_empty_tables,
    _engine,
    _inspect,
    _remove_sqlite,
    _run,
    count_rows,
    dialect_of,
    find_tool,
    libpq_url,
    user_tables,
)
from ops.uploads import LOCK_NAME


def target_problems(database_url: str | URL, upload_dir: Path) -> list[str]:
    """Why the target is not empty (nothing when it is): tables with rows, files in the folder."""
    problems = []
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        exists = url.database and Path(url.database).exists() and Path(url.database).stat().st_size > 0
    else:
        exists = True
    if exists:
        engine = _engine(url)
        try:
            with engine.connect() as conn:
                tables = [t for t in user_tables(conn) if t != "alembic_version"]
                full = {t: n for t, n in count_rows(conn, tables).items() if n}
        except sa.exc.DBAPIError as exc:
            raise BackupError(f"无法读取目标数据库：{exc.orig}") from exc
        finally:
            engine.dispose()
        if full:
            names = "、".join(f"{t}（{n} 行）" for t, n in sorted(full.items())[:5])
            more = "等" if len(full) > 5 else ""
            problems.append(f"目标数据库不是空的：{len(full)} 张表有数据，如 {names}{more}")
    if upload_dir.exists():
        entries = [p.name for p in upload_dir.iterdir() if p.name != LOCK_NAME]
        if entries:
            problems.append(f"上传文件夹 {upload_dir} 不是空的（{len(entries)} 项）")
    return problems


def restore_database(extracted: Extracted, database_url: str | URL, pg_restore: str | None = None) -> None:
    """Put the checked database copy in place and check its row counts; undone on any failure."""
    url = make_url(database_url)
    expected = extracted.manifest["tables"]
    if url.get_backend_name() == "sqlite":
        # Counted on the checked copy before it goes anywhere.
        found = _inspect(f"sqlite:///{extracted.database}").tables
        _check_counts(expected, found)
        target = Path(url.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(extracted.database, part)
        _remove_sqlite(target)  # the target holds no rows (checked); stale -wal/-shm must not apply
        os.replace(part, target)
        return
    tool = find_tool("pg_restore", pg_restore)
    _drop_empty_tables(url)
    dsn, env = libpq_url(url)
    try:
        _run(
            [
                tool,
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={dsn}",
                str(extracted.database),
            ],
            env,
            "pg_restore",
        )
        _check_counts(expected, _inspect(url).tables)
    except BaseException:
        with suppress(Exception):
            _drop_empty_tables(url)
        raise


def _check_counts(expected: dict, found: dict) -> None:
    if expected != found:
        diff = sorted(set(expected) ^ set(found)) + sorted(
            t for t in set(expected) & set(found) if expected[t] != found[t]
        )
        raise BackupError("恢复后的行数与清单不符（" + "、".join(diff[:5]) + "）：拒绝使用这份备份。")


def restore_files(extracted: Extracted, upload_dir: Path) -> list[str]:
    """Move the checked uploads into the (empty) upload folder; returns the names."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    try:
        for name in extracted.file_names:
            shutil.move(str(extracted.uploads / name), str(upload_dir / name))
            moved.append(name)
    except BaseException:
        for name in moved:
            with suppress(FileNotFoundError):
                (upload_dir / name).unlink()
        raise
    return moved


def undo_restore(database_url: str | URL, upload_dir: Path, names: Iterable[str]) -> None:
    """Remove what a failed restore put in place (the target was empty before)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _remove_sqlite(Path(url.database))
    else:
        with suppress(Exception):
            _drop_empty_tables(url)
    for name in names:
        with suppress(FileNotFoundError):
            (upload_dir / name).unlink()


def restore(
    path: str | Path,
    *,
    database_url: str | URL,
    upload_dir: str | Path,
    pg_restore: str | None = None,
    known_revisions: set[str] | None = None,
    migrate=None,
) -> Extracted:
    """Restore an archive into an empty database and upload folder, then ``migrate()``.

    Refuses a tampered archive, another dialect, a migration this code does not know, or a target
    that holds rows or files; on a failure after anything was written, removes it again.
    """
    upload_dir = Path(upload_dir)
    dialect = dialect_of(database_url)
    upload_dir.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".ops-restore-", dir=upload_dir.parent))
    try:
        extracted = extract_archive(path, folder)
        if extracted.dialect != dialect:
            raise BackupError(
                f"这份备份来自 {extracted.dialect}，目标是 {dialect}：不支持跨数据库恢复"
                "（请恢复到同类数据库，再自行迁移数据）。"
            )
        head = extracted.manifest["database"]["migration_head"]
        if known_revisions is not None and head and not set(head.split(",")) <= known_revisions:
            raise BackupError(f"备份的数据库迁移版本 {head} 比本程序新：请先升级程序再恢复。")
        problems = target_problems(database_url, upload_dir)
        if problems:
            raise BackupError("拒绝覆盖：" + "；".join(problems) + "。请指定空的数据库和文件夹。")
        names: list[str] = []
        try:
            restore_database(extracted, database_url, pg_restore)
            names = restore_files(extracted, upload_dir)
            if migrate is not None:
                migrate()
        except BaseException:
            undo_restore(database_url, upload_dir, names)
            raise
        return extracted
    finally:
        shutil.rmtree(folder, ignore_errors=True)
