"""Backups that restore the whole installation: the database, every uploaded file and a manifest.

An archive (``.tar`` or ``.tar.gz``) holds::

    manifest.json         versions, migration head, dialect, row counts per table, every file's SHA-256
    manifest.sha256       the SHA-256 of manifest.json (so no byte of the manifest can change unseen)
    database/ops.sqlite3  SQLite: an online copy made in one step by the sqlite3 backup API
    database/ops.pgdump   PostgreSQL: ``pg_dump --format=custom``
    uploads/<name>        every stored upload
    keys.enc              only with --with-keys: the secrets, Fernet-encrypted under a scrypt-derived key

Consistent under load: the upload folder's lock (``ops.uploads.removal_lock``) is held while the
database snapshot is taken and every stored file is hard-linked into a staging folder. A file
referenced by a committed row exists on disk (uploads are written to a temporary name and renamed
before the row commits), and a file is removed only after the commit that stops referencing it,
under the same lock; so every file the snapshot references is in the staging folder.

Nothing here reads ``current_app``: the CLI (``ops/backup_cli.py``) passes what is needed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import re
import secrets as _secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from ops.uploads import LOCK_NAME, removal_lock

FORMAT = "ops-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
KEYS = "keys.enc"
DB_MEMBER = {"sqlite": "database/ops.sqlite3", "postgresql": "database/ops.pgdump"}
UPLOADS = "uploads/"
# The columns that name a stored upload (ops.uploads.store_upload's stored_name).
REFERENCES = (("contracts", "signed_file"), ("material_versions", "stored_file"))
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
MIN_PASSPHRASE = 12
_STORED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
_CHUNK = 1 << 20


class BackupError(Exception):
    """The backup, restore or check cannot go on; the message says why (for the operator)."""


# --- small helpers ------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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


def stored_files(folder: Path) -> list[str]:
    """The stored uploads in a folder: plain files whose names do not start with a dot
    (``.name.part`` is an upload being written, ``.backup.lock`` the lock)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if _STORED_NAME.match(p.name) and p.is_file())


# --- secrets (--with-keys) ----------------------------------------------------------------------


def _derive(passphrase: str, salt: bytes, params: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"])
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))


def encrypt_secrets(values: dict, passphrase: str) -> bytes:
    """The secrets as JSON, Fernet-encrypted under a key scrypt derives from the passphrase and a
    random salt; the salt and the scrypt parameters are stored beside the token."""
    from cryptography.fernet import Fernet

    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"口令至少需要 {MIN_PASSPHRASE} 个字符。")
    salt = _secrets.token_bytes(16)
    token = Fernet(_derive(passphrase, salt, SCRYPT)).encrypt(json.dumps(values).encode())
    return json.dumps(
        {"kdf": "scrypt", **SCRYPT, "salt": base64.b64encode(salt).decode(), "token": token.decode()},
        indent=1,
    ).encode()


def decrypt_secrets(blob: bytes, passphrase: str) -> dict:
    from cryptography.fernet import Fernet, InvalidToken

    try:
        data = json.loads(blob)
        key = _derive(passphrase, base64.b64decode(data["salt"]), data)
        return json.loads(Fernet(key).decrypt(data["token"].encode()))
    except InvalidToken as exc:
        raise BackupError("口令不正确，或密钥文件已损坏：无法解密备份中的密钥。") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("备份中的密钥文件格式无效。") from exc


# --- taking a backup ----------------------------------------------------------------------------


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


def archive_mode(path: Path, write: bool) -> str:
    name = path.name.lower()
    if name.endswith((".tar.gz", ".tgz")):
        return "w:gz" if write else "r:gz"
    if name.endswith(".tar"):
        return "w" if write else "r:"
    raise BackupError("备份文件名须以 .tar.gz、.tgz 或 .tar 结尾。")


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
    import io

    info = _plain_member(tarfile.TarInfo(name))
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


# --- reading and checking an archive ------------------------------------------------------------


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


# --- restoring ----------------------------------------------------------------------------------


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


# --- retention ----------------------------------------------------------------------------------

ROTATED = re.compile(r"^ops-backup-(\d{8}T\d{6}Z)\.tar\.gz$")


def rotated_name(now: datetime) -> str:
    return f"ops-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def backups_to_keep(stamps: Iterable[datetime], keep_daily: int, keep_monthly: int) -> set[datetime]:
    """Which backups a rotation keeps: the newest of each of the ``keep_daily`` most recent days that
    have a backup, and the newest of each of the ``keep_monthly`` most recent months (UTC dates)."""
    newest_first = sorted(set(stamps), reverse=True)
    keep: set[datetime] = set()
    for count, period in ((keep_daily, lambda s: s.date()), (keep_monthly, lambda s: (s.year, s.month))):
        seen = []
        for stamp in newest_first:
            key = period(stamp)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(stamp)
    return keep


def prune(folder: Path, keep_daily: int, keep_monthly: int) -> list[Path]:
    """Delete the rotated archives in ``folder`` the rule does not keep; returns them."""
    stamped = {}
    for path in folder.iterdir():
        match = ROTATED.match(path.name)
        if match and path.is_file():
            stamped[datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)] = path
    keep = backups_to_keep(stamped, keep_daily, keep_monthly)
    removed = []
    for stamp, path in sorted(stamped.items()):
        if stamp not in keep:
            path.unlink()
            removed.append(path)
    return removed


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
