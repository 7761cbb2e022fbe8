"""Writing an archive (database copy, uploads, manifest, keys) and reading one back, every byte
checked against the manifest."""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from ops.backup.common import (
    _CHUNK,
    _STORED_NAME,
    DB_MEMBER,
    FORMAT,
    FORMAT_VERSION,
    KEYS,
    MANIFEST,
    MANIFEST_SUM,
    UPLOADS,
    BackupError,
    archive_mode,
    sha256_file,
    stored_files,
)
from ops.backup.database import (
    Snapshot,
    _engine,
    _inspect,
    _run,
    _sqlite_copy,
    count_rows,
    find_tool,
    libpq_url,
    migration_head,
    referenced_files,
    user_tables,
)
from ops.backup.keys import encrypt_secrets
from ops.uploads import removal_lock


def _link_uploads(folder: Path, staging: Path) -> list[str]:
    """Hard-link (or, across devices, copy) every stored file into ``staging``; stored files never
    change once named, so the link is a snapshot of each."""
    staging.mkdir(parents=True, exist_ok=True)
    linked = []
    for name in stored_files(folder):
        try:
            try:
                os.link(folder / name, staging / name)
            except OSError as exc:
                if isinstance(exc, FileNotFoundError):
                    raise
                shutil.copy2(folder / name, staging / name)
        except FileNotFoundError:
            continue  # an upload rolled back meanwhile: no committed row refers to it
        linked.append(name)
    return linked


def _app_info(root: Path) -> dict:
    info = {"name": "ops", "version": None, "commit": None}
    try:
        import tomllib

        info["version"] = (
            tomllib.loads((root / "pyproject.toml").read_text()).get("project", {}).get("version")
        )
    except (OSError, ValueError):
        pass
    with suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if done.returncode == 0:
            info["commit"] = done.stdout.strip()
    return info


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version(), "sqlalchemy": sa.__version__}
    for package in ("flask", "alembic", "flask-migrate", "cryptography"):
        with suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    missing: list[str] = field(default_factory=list)  # referenced by the database, not on disk


def create_backup(
    target: str | Path,
    *,
    database_url: str | URL,
    upload_dir: str | Path,
    root: Path,
    key_values: dict | None = None,
    passphrase: str | None = None,
    pg_dump: str | None = None,
) -> BackupResult:
    """Write one archive of the database, every upload and the manifest to ``target`` (never overwritten)."""
    target = Path(target)
    mode = archive_mode(target, write=True)
    if target.exists():
        raise BackupError(f"{target} 已存在，不会覆盖。")
    url = make_url(database_url)
    dialect = url.get_backend_name()
    if dialect not in DB_MEMBER:
        raise BackupError(f"不支持备份 {dialect} 数据库。")
    if dialect == "sqlite" and (not url.database or url.database == ":memory:"):
        raise BackupError("内存数据库无法备份。")
    secret_blob = encrypt_secrets(key_values, passphrase) if key_values is not None else None
    upload_dir = Path(upload_dir)
    upload_dir.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".ops-backup-", dir=target.parent))
    # The staging folder lives in the upload folder (same file system: hard links, no copies).
    staging = Path(tempfile.mkdtemp(prefix=".backup-", dir=upload_dir))
    part = target.with_name(f".{target.name}.part")
    try:
        db_file = work / Path(DB_MEMBER[dialect]).name
        if dialect == "sqlite":
            with removal_lock(upload_dir, exclusive=True):
                _sqlite_copy(url.database, db_file)
                linked = _link_uploads(upload_dir, staging)
            snapshot = _inspect(f"sqlite:///{db_file}")
        else:
            snapshot, linked = _pg_snapshot_and_link(url, db_file, pg_dump, upload_dir, staging)
        missing = sorted(snapshot.referenced - set(linked))
        files = [
            {"name": UPLOADS + n, "size": (staging / n).stat().st_size, "sha256": sha256_file(staging / n)}
            for n in linked
        ]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app": _app_info(root),
            "versions": _versions(),
            "database": {
                "dialect": dialect,
                "name": DB_MEMBER[dialect],
                "size": db_file.stat().st_size,
                "sha256": sha256_file(db_file),
                "server_version": snapshot.server or sqlite3.sqlite_version,
                "migration_head": snapshot.head,
            },
            "tables": snapshot.tables,
            "files": files,
            "referenced_files": len(snapshot.referenced),
            "missing_referenced_files": missing,
            "keys": {"included": secret_blob is not None, "name": KEYS if secret_blob else None},
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        with tarfile.open(part, mode) as archive:
            _add_bytes(archive, MANIFEST, manifest_bytes)
            _add_bytes(archive, MANIFEST_SUM, (hashlib.sha256(manifest_bytes).hexdigest() + "\n").encode())
            archive.add(db_file, arcname=DB_MEMBER[dialect], recursive=False, filter=_plain_member)
            for name in linked:
                archive.add(staging / name, arcname=UPLOADS + name, recursive=False, filter=_plain_member)
            if secret_blob is not None:
                _add_bytes(archive, KEYS, secret_blob)
        with open(part, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(part, target)
        return BackupResult(target, manifest, missing)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        with suppress(FileNotFoundError):
            part.unlink()


def _pg_snapshot_and_link(url, dump_file, pg_dump, upload_dir, staging) -> tuple[Snapshot, list[str]]:
    tool = find_tool("pg_dump", pg_dump)
    dsn, env = libpq_url(url)
    engine = _engine(url)
    try:
        with engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        ) as conn:
            # The snapshot is exported under the lock and the files are linked before it is
            # released; pg_dump and the counts then read that snapshot at leisure.
            with removal_lock(upload_dir, exclusive=True):
                snapshot_id = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                linked = _link_uploads(upload_dir, staging)
            server = conn.exec_driver_sql("SHOW server_version").scalar_one()
            _run(
                [
                    tool,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    "--no-owner",
                    "--no-acl",
                    f"--file={dump_file}",
                    f"--dbname={dsn}",
                ],
                env,
                "pg_dump",
            )
            tables = user_tables(conn)
            snapshot = Snapshot(
                count_rows(conn, tables),
                migration_head(conn, tables),
                referenced_files(conn, tables),
                server=str(server),
            )
            conn.rollback()
            return snapshot, linked
    finally:
        engine.dispose()


def _plain_member(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:

    info = _plain_member(tarfile.TarInfo(name))
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


@dataclass
class Extracted:
    """An archive unpacked into ``folder`` and checked against its manifest."""

    folder: Path
    manifest: dict
    database: Path
    uploads: Path  # folder of the stored files
    keys: bytes | None

    @property
    def dialect(self) -> str:
        return self.manifest["database"]["dialect"]

    @property
    def file_names(self) -> list[str]:
        return [f["name"][len(UPLOADS) :] for f in self.manifest["files"]]


def _allowed_member(name: str) -> bool:
    if name in (MANIFEST, MANIFEST_SUM, KEYS) or name in DB_MEMBER.values():
        return True
    return name.startswith(UPLOADS) and bool(_STORED_NAME.match(name[len(UPLOADS) :]))


def extract_archive(path: str | Path, folder: Path) -> Extracted:
    """Unpack and check every byte against the manifest; BackupError (nothing trusted) otherwise."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件 {path}。")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uploads").mkdir(exist_ok=True)
    (folder / "database").mkdir(exist_ok=True)
    digests: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(path, archive_mode(path, write=False)) as archive:
            for member in archive:
                if not member.isfile() or not _allowed_member(member.name) or member.name in digests:
                    raise BackupError(f"归档中有不属于备份的条目“{member.name}”：拒绝恢复。")
                source = archive.extractfile(member)
                digest = hashlib.sha256()
                with open(folder / member.name, "wb") as out:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                digests[member.name] = (member.size, digest.hexdigest())
    except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise
        raise BackupError(f"备份文件已损坏，无法读取（{exc}）：拒绝恢复。") from exc
    if MANIFEST not in digests or MANIFEST_SUM not in digests:
        raise BackupError("备份中没有清单（manifest.json）：这不是本系统的备份，拒绝恢复。")
    expected = (folder / MANIFEST_SUM).read_text().strip()
    if digests[MANIFEST][1] != expected:
        raise BackupError("清单的校验和不符（manifest.json 被改动过）：拒绝恢复。")
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except ValueError as exc:
        raise BackupError("清单不是有效的 JSON：拒绝恢复。") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("不认识的备份格式：拒绝恢复。")
    db_info = manifest["database"]
    listed = {db_info["name"]: (db_info["size"], db_info["sha256"])}
    listed.update({f["name"]: (f["size"], f["sha256"]) for f in manifest["files"]})
    if manifest["keys"]["included"]:
        if KEYS not in digests:
            raise BackupError("清单说备份含有密钥，但归档里没有 keys.enc：拒绝恢复。")
    else:
        listed_extra = {KEYS} & set(digests)
        if listed_extra:
            raise BackupError("归档中有清单未列出的密钥文件：拒绝恢复。")
    stored = {name: value for name, value in digests.items() if name not in (MANIFEST, MANIFEST_SUM, KEYS)}
    bad = sorted(name for name, value in listed.items() if stored.get(name) != value)
    extra = sorted(set(stored) - set(listed))
    if bad or extra:
        detail = "、".join((bad + extra)[:5])
        raise BackupError(
            f"{len(bad) + len(extra)} 个文件与清单的 SHA-256 或大小不符（{detail}）：备份被改动或已损坏，拒绝恢复。"
        )
    return Extracted(
        folder,
        manifest,
        folder / db_info["name"],
        folder / "uploads",
        (folder / KEYS).read_bytes() if KEYS in digests else None,
    )
