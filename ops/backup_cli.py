"""``flask ops backup | restore | verify-backup | backup-rotate | rotate-vault-key``: thin commands over
``ops.backup`` and the vault; the work and its rules live there."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from ops import backup as bk
from ops.cli import ops_cli
from ops.extensions import db

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"


def _passphrase(passphrase_file: str | None, confirm: bool) -> str:
    if passphrase_file:
        return Path(passphrase_file).read_text(encoding="utf-8").rstrip("\r\n")
    return click.prompt("加密密钥用的口令", hide_input=True, confirmation_prompt=confirm)


def _key_values() -> dict:
    config = current_app.config
    return {
        "OPS_SECRET_KEY": config.get("SECRET_KEY"),
        "OPS_SECRET_KEY_FALLBACKS": ",".join(config.get("SECRET_KEY_FALLBACKS") or []),
        "OPS_VAULT_KEY": config.get("VAULT_KEY"),
    }


def _take_backup(path: Path, with_keys: bool, passphrase_file: str | None) -> bk.BackupResult:
    passphrase = _passphrase(passphrase_file, confirm=True) if with_keys else None
    db.session.remove()
    try:
        result = bk.create_backup(
            path,
            database_url=db.engine.url,
            upload_dir=current_app.config["UPLOAD_DIR"],
            root=ROOT,
            key_values=_key_values() if with_keys else None,
            passphrase=passphrase,
            pg_dump=current_app.config.get("PG_DUMP"),
        )
    except bk.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = result.manifest
    rows = sum(manifest["tables"].values())
    click.echo(
        f"备份已写入 {result.path}（{result.path.stat().st_size:,} 字节）：{manifest['database']['dialect']} 数据库 "
        f"{len(manifest['tables'])} 张表 {rows} 行，上传文件 {len(manifest['files'])} 个，"
        f"迁移版本 {manifest['database']['migration_head']}，"
        + ("含加密的密钥。" if with_keys else "不含密钥（需要时加 --with-keys）。")
    )
    if result.missing:
        click.echo(
            f"警告：数据库引用的 {len(result.missing)} 个文件在上传文件夹中不存在（备份前已缺失）："
            + "、".join(result.missing[:10]),
            err=True,
        )
    current_app.logger.info("backup written to %s", result.path)
    return result


@ops_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--with-keys", is_flag=True, help="把密钥（OPS_SECRET_KEY、OPS_VAULT_KEY）用口令加密后一并备份。"
)
@click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False), help="从文件读口令（脚本用）。"
)
def backup(path: str, with_keys: bool, passphrase_file: str | None):
    """Write one archive (.tar.gz or .tar): the database, every uploaded file and a manifest."""
    _take_backup(Path(path), with_keys, passphrase_file)


@ops_cli.command("backup-rotate")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--keep-daily", type=click.IntRange(min=1), default=7, show_default=True)
@click.option("--keep-monthly", type=click.IntRange(min=0), default=12, show_default=True)
@click.option("--with-keys", is_flag=True)
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def backup_rotate(
    folder: str, keep_daily: int, keep_monthly: int, with_keys: bool, passphrase_file: str | None
):
    """Write a dated backup into FOLDER, then delete the dated backups the retention rule does not keep
    (the newest of each of the last N days and M months that have one). For cron."""
    folder_path = Path(folder)
    folder_path.mkdir(parents=True, exist_ok=True)
    _take_backup(folder_path / bk.rotated_name(datetime.now(UTC)), with_keys, passphrase_file)
    removed = bk.prune(folder_path, keep_daily, keep_monthly)
    click.echo(
        f"保留规则：最近 {keep_daily} 天每天一份、最近 {keep_monthly} 个月每月一份；删除了 {len(removed)} 份旧备份。"
    )


def _other_app(database_url, upload_dir: Path):
    """An app on another database and upload folder (for migrations and checks of a restore)."""
    from ops import create_app

    config = {k: v for k, v in current_app.config.items() if k.isupper()}
    config.update(
        {
            "SQLALCHEMY_DATABASE_URI": str(database_url)
            if isinstance(database_url, str)
            else database_url.render_as_string(hide_password=False),
            "UPLOAD_DIR": str(upload_dir),
            "AUTO_MIGRATE": False,
        }
    )
    return create_app(config)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def _restore_into(path: str, database_url, upload_dir: Path) -> tuple[bk.Extracted, object]:
    from flask_migrate import upgrade

    app = _other_app(database_url, upload_dir)

    def migrate():
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
            db.engine.dispose()

    extracted = bk.restore(
        path,
        database_url=database_url,
        upload_dir=upload_dir,
        pg_restore=current_app.config.get("PG_RESTORE"),
        known_revisions=_known_revisions(),
        migrate=migrate,
    )
    return extracted, app


@ops_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--target-db", help="目标数据库的 SQLAlchemy URL（默认：当前配置的 OPS_DATABASE_URL）。")
@click.option(
    "--upload-dir", type=click.Path(file_okay=False), help="目标上传文件夹（默认：OPS_UPLOAD_DIR）。"
)
@click.option(
    "--keys-out", type=click.Path(dir_okay=False), help="把备份中的密钥解密写入此文件（0600，环境变量格式）。"
)
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False))
def restore(
    path: str,
    target_db: str | None,
    upload_dir: str | None,
    keys_out: str | None,
    passphrase_file: str | None,
):
    """Restore a backup into an EMPTY database and upload folder, check it, and migrate it."""
    target_url = target_db or current_app.config["SQLALCHEMY_DATABASE_URI"]
    folder = Path(upload_dir or current_app.config["UPLOAD_DIR"])
    db.session.remove()
    db.engine.dispose()  # a SQLite target file is replaced: no connection of ours may hold the old one
    try:
        extracted, _app = _restore_into(path, target_url, folder)
    except bk.BackupError as exc:
        raise click.ClickException(str(exc) + "（目标未作任何改动，或已撤销。）") from exc
    manifest = extracted.manifest
    click.echo(
        f"已恢复：{len(manifest['tables'])} 张表 {sum(manifest['tables'].values())} 行、"
        f"{len(manifest['files'])} 个文件，校验和与行数均与清单一致；"
        f"备份时迁移版本 {manifest['database']['migration_head']}，已升级到最新。"
    )
    if keys_out:
        if extracted.keys is None:
            raise click.ClickException("这份备份不含密钥（备份时未加 --with-keys）。")
        values = bk.decrypt_secrets(extracted.keys, _passphrase(passphrase_file, confirm=False))
        fd = os.open(keys_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.writelines(f"{k}={v}\n" for k, v in values.items() if v)
        click.echo(f"密钥已写入 {keys_out}（仅本人可读）。")


@ops_cli.command("verify-backup")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False),
    help="也检查备份中的密钥：能解密，且能解开每个子账号密码。",
)
def verify_backup(path: str, passphrase_file: str | None):
    """Restore a backup into a temporary place and report what it holds (a restore drill).
    Exits non-zero on any problem."""
    problems: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="ops-verify-"))
    try:
        dialect = _peek_dialect(path)
        if dialect == "postgresql":
            if db.engine.dialect.name != "postgresql":
                raise click.ClickException(
                    "这是 PostgreSQL 备份：请在配置了 PostgreSQL（OPS_DATABASE_URL）的环境中检查。"
                )
            with bk.temporary_postgres_database(db.engine.url) as url:
                click.echo(f"临时数据库：{url.database}")
                _verify_into(path, url, work / "uploads", passphrase_file, problems)
        else:
            _verify_into(path, f"sqlite:///{work / 'ops.db'}", work / "uploads", passphrase_file, problems)
    except bk.BackupError as exc:
        problems.append(str(exc))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        for problem in problems:
            click.echo(f"问题：{problem}", err=True)
        raise click.ClickException(f"备份检查未通过（{len(problems)} 个问题）。")
    click.echo("备份检查通过。")


def _peek_dialect(path: str) -> str:
    import json
    import tarfile

    try:
        with tarfile.open(path, bk.archive_mode(Path(path), write=False)) as archive:
            member = archive.next()
            if member is None or member.name != bk.MANIFEST:
                raise bk.BackupError("归档的第一个条目不是清单（manifest.json）：不是本系统的备份。")
            return json.loads(archive.extractfile(member).read())["database"]["dialect"]
    except (tarfile.TarError, OSError, EOFError, ValueError, KeyError) as exc:
        raise bk.BackupError(f"备份文件已损坏，无法读取（{exc}）。") from exc


def _verify_into(path: str, url, upload_dir: Path, passphrase_file: str | None, problems: list[str]) -> None:
    extracted, app = _restore_into(path, url, upload_dir)
    manifest = extracted.manifest
    click.echo(
        f"备份时间 {manifest['created_at']}，程序 {manifest['app'].get('version')} "
        f"({(manifest['app'].get('commit') or '')[:10]})，{manifest['database']['dialect']} "
        f"{manifest['database']['server_version']}"
    )
    click.echo(f"校验和：数据库与 {len(manifest['files'])} 个文件全部与清单一致；行数与清单一致。")
    for table, rows in sorted(manifest["tables"].items()):
        click.echo(f"  {table}: {rows}")
    if manifest["missing_referenced_files"]:
        problems.append(
            f"备份时数据库引用的 {len(manifest['missing_referenced_files'])} 个文件已不存在："
            + "、".join(manifest["missing_referenced_files"][:10])
        )
    with app.app_context():
        with db.engine.connect() as conn:
            tables = bk.user_tables(conn)
            head = bk.migration_head(conn, tables)
            referenced = bk.referenced_files(conn, tables)
        present = set(bk.stored_files(upload_dir))
        missing = sorted(referenced - present)
        if missing:
            problems.append(f"恢复后有 {len(missing)} 个被引用的文件缺失：" + "、".join(missing[:10]))
        if db.engine.dialect.name == "sqlite":
            database = db.engine.url.database
            with sqlite3.connect(database) as raw:
                if (
                    raw.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
                    or raw.execute("PRAGMA foreign_key_check").fetchall()
                ):
                    problems.append("SQLite 完整性检查（integrity_check / foreign_key_check）未通过。")
        click.echo(
            f"迁移版本：备份时 {manifest['database']['migration_head']}，升级后 {head}；"
            f"被引用的文件 {len(referenced)} 个，全部在场：{'是' if not missing else '否'}"
        )
        if extracted.keys is not None:
            if passphrase_file:
                _check_keys(extracted.keys, passphrase_file, problems)
            else:
                click.echo("备份含加密的密钥（加 --passphrase-file 可一并检查）。")
        db.engine.dispose()


def _check_keys(blob: bytes, passphrase_file: str, problems: list[str]) -> None:
    from ops.onboarding import vault
    from ops.onboarding.models import Credential

    try:
        values = bk.decrypt_secrets(blob, _passphrase(passphrase_file, confirm=False))
    except bk.BackupError as exc:
        problems.append(str(exc))
        return
    failed = 0
    tokens = db.session.scalars(sa.select(Credential.password_ciphertext)).all()
    for token in tokens:
        try:
            vault.decrypt(token, key=values.get("OPS_VAULT_KEY"))
        except vault.VaultError:
            failed += 1
    db.session.remove()
    if failed:
        problems.append(f"{failed} 个子账号密码无法用备份中的 OPS_VAULT_KEY 解密。")
    click.echo(f"密钥：口令正确；{len(tokens) - failed}/{len(tokens)} 个子账号密码可用备份中的密钥解密。")


@ops_cli.command("rotate-vault-key")
@click.option(
    "--new-key",
    is_flag=True,
    help="开发环境：生成新密钥并加到 instance/vault_key 的最前面，再轮换；生产环境只打印新密钥和步骤。",
)
def rotate_vault_key(new_key: bool):
    """Re-encrypt every stored credential under the newest key of OPS_VAULT_KEY (comma list, newest first).
    All or nothing, audited."""
    from ops.onboarding import services, vault
    from ops.webhooks.services import rotate_vault_key as rotate_webhook_secrets

    if new_key:
        key_file = current_app.config.get("VAULT_KEY_FILE")
        fresh = vault.new_key()
        if (
            current_app.config.get("ENV_NAME") == "production"
            or not key_file
            or os.environ.get("OPS_VAULT_KEY")
        ):
            click.echo(f"新密钥：{fresh}")
            click.echo(
                "请把 OPS_VAULT_KEY 设为“新密钥,旧密钥”（新的在前），重启应用，再运行 "
                "flask ops rotate-vault-key；完成并备份后即可去掉旧密钥。"
            )
            return
        keys = [fresh, *vault.key_list(current_app.config.get("VAULT_KEY"))]
        part = Path(f"{key_file}.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(",".join(keys))
        os.replace(part, key_file)
        current_app.config["VAULT_KEY"] = ",".join(keys)
        click.echo(f"新密钥已加到 {key_file} 的最前面（共 {len(keys)} 个密钥）。")
    try:
        count = services.rotate_vault_key()
        count += rotate_webhook_secrets()
    except vault.VaultError as exc:
        raise click.ClickException(str(exc)) from exc
    keys = vault.key_list(current_app.config.get("VAULT_KEY"))
    click.echo(
        f"已用最新密钥重新加密 {count} 个凭据（含 Webhook 签名密钥）。"
        + ("确认无误并备份后，可从 OPS_VAULT_KEY 中去掉旧密钥。" if len(keys) > 1 else "")
    )
