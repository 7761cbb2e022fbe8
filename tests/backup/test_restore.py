"""Restore refuses what it must: a changed byte, a non-empty target, another kind of database; the
secrets are in a backup only when asked for, and then only encrypted; verify-backup reports."""

import hashlib
import json
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from ops import backup as bk
from ops.auth.models import User
from tests.backup.conftest import app_on, dispose
from tests.contracts.helpers import make_contract, sign_and_pay

PASSPHRASE = "长城-correct-horse-battery"


@pytest.fixture
def signed(db, make_user):
    """A user and a contract with its signed copy stored (one upload on disk)."""
    make_user("admin", username="boss")
    contract = sign_and_pay(db, make_contract(db))
    return SimpleNamespace(id=contract.id, signed_file=contract.signed_file)


def take(runner, path, *extra):
    result = runner.invoke(args=["ops", "backup", str(path), *extra])
    assert result.exit_code == 0, result.output
    return path


def restore(runner, archive, target):
    database_url, folder = target
    return runner.invoke(
        args=["ops", "restore", str(archive), "--target-db", database_url, "--upload-dir", str(folder)]
    )


def target_is_untouched(target) -> bool:
    database_url, folder = target
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        db_clean = not Path(url.database).exists()
    else:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            db_clean = sa.inspect(conn).get_table_names() == []
        engine.dispose()
    return db_clean and (not folder.exists() or not any(folder.iterdir()))


def flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def test_a_byte_changed_in_a_stored_file_is_refused(runner, signed, app, tmp_path, restore_target):
    archive = take(runner, tmp_path / "ops.tar")  # uncompressed: the file's bytes sit in the archive as is
    original = (Path(app.config["UPLOAD_DIR"]) / signed.signed_file).read_bytes()
    data = archive.read_bytes()
    offset = data.index(original) + len(original) // 2
    archive.write_bytes(flip(data, offset))
    result = restore(runner, archive, restore_target)
    assert result.exit_code != 0
    assert "SHA-256" in result.output and signed.signed_file in result.output and "拒绝恢复" in result.output
    assert target_is_untouched(restore_target)


def test_a_byte_changed_in_the_database_copy_or_the_manifest_is_refused(
    runner, signed, tmp_path, restore_target
):
    archive = take(runner, tmp_path / "ops.tar")
    data = archive.read_bytes()
    with tarfile.open(archive) as tar:
        database = tar.getmember(next(n for n in tar.getnames() if n.startswith("database/")))
        manifest = tar.getmember("manifest.json")
    bad_db = tmp_path / "bad-db.tar"
    bad_db.write_bytes(flip(data, database.offset_data + database.size // 2))
    result = restore(runner, bad_db, restore_target)
    assert result.exit_code != 0 and "SHA-256" in result.output and "database/" in result.output
    bad_manifest = tmp_path / "bad-manifest.tar"
    manifest_text = data[manifest.offset_data : manifest.offset_data + manifest.size]
    offset = manifest.offset_data + manifest_text.index(b'"created_at"') + 20  # a digit of the date
    bad_manifest.write_bytes(flip(data, offset))
    result = restore(runner, bad_manifest, restore_target)
    assert result.exit_code != 0 and "清单的校验和不符" in result.output
    assert target_is_untouched(restore_target)


def test_a_byte_changed_in_a_compressed_archive_is_refused(runner, signed, tmp_path, restore_target):
    archive = take(runner, tmp_path / "ops.tar.gz")
    data = archive.read_bytes()
    archive.write_bytes(flip(data, len(data) // 2))
    result = restore(runner, archive, restore_target)
    assert result.exit_code != 0 and "拒绝恢复" in result.output
    assert target_is_untouched(restore_target)


@pytest.mark.slow
def test_restore_refuses_a_target_with_rows_or_files(runner, signed, app, db, tmp_path, restore_target):
    archive = take(runner, tmp_path / "ops.tar.gz")
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    files = sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir())
    # The live database itself holds rows: refused, nothing changes.
    result = runner.invoke(args=["ops", "restore", str(archive), "--upload-dir", str(tmp_path / "empty")])
    assert (
        result.exit_code != 0
        and "目标数据库不是空的" in result.output
        and "clients（1 行）" in result.output  # the first five tables by name are named
    )
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
    # An empty database but a folder with a file in it: refused, the file stays, the database stays empty.
    database_url, folder = restore_target
    folder.mkdir()
    (folder / "keep-me.pdf").write_bytes(b"%PDF-1.4 mine")
    result = restore(runner, archive, restore_target)
    assert result.exit_code != 0 and "不是空的" in result.output
    assert [p.name for p in folder.iterdir()] == ["keep-me.pdf"]
    assert sorted(p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir()) == files
    (folder / "keep-me.pdf").unlink()
    assert target_is_untouched(restore_target)
    # Emptied, the same target takes the restore; a second restore into it is refused.
    assert restore(runner, archive, restore_target).exit_code == 0
    again = restore(runner, archive, restore_target)
    assert again.exit_code != 0 and "拒绝覆盖" in again.output


@pytest.mark.slow
def test_restore_into_a_migrated_but_empty_database_works(runner, signed, tmp_path, restore_target):
    """A target the app has migrated at start-up (schema, no rows) counts as empty."""
    from flask_migrate import upgrade

    archive = take(runner, tmp_path / "ops.tar.gz")
    database_url, folder = restore_target
    other = app_on(database_url, folder)
    try:
        with other.app_context():
            upgrade(directory="migrations")
    finally:
        dispose(other)
    result = restore(runner, archive, restore_target)
    assert result.exit_code == 0, result.output
    other = app_on(database_url, folder)
    try:
        with other.app_context():
            from ops.extensions import db

            assert db.session.scalar(sa.select(User.username)) == "boss"
    finally:
        dispose(other)


def test_restore_refuses_another_kind_of_database(runner, signed, db, tmp_path):
    archive = take(runner, tmp_path / "ops.tar.gz")
    other = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
        if db.engine.dialect.name == "sqlite"
        else f"sqlite:///{tmp_path / 'x.db'}"
    )
    result = runner.invoke(
        args=["ops", "restore", str(archive), "--target-db", other, "--upload-dir", str(tmp_path / "up")]
    )
    assert result.exit_code != 0 and "不支持跨数据库恢复" in result.output
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "up").exists()


def test_backup_never_overwrites_and_needs_an_archive_name(runner, signed, tmp_path):
    take(runner, tmp_path / "ops.tar.gz")
    again = runner.invoke(args=["ops", "backup", str(tmp_path / "ops.tar.gz")])
    assert again.exit_code != 0 and "不会覆盖" in again.output
    wrong = runner.invoke(args=["ops", "backup", str(tmp_path / "ops.db")])
    assert wrong.exit_code != 0 and ".tar.gz" in wrong.output


def _archive_text(path) -> bytes:
    with tarfile.open(path) as tar:
        return b"".join(
            tar.extractfile(m).read() for m in tar.getmembers() if not m.name.startswith("database/")
        )


@pytest.mark.slow
def test_secrets_only_with_keys_and_then_encrypted(runner, signed, app, db, tmp_path):
    secret_key, vault_key = app.config["SECRET_KEY"], app.config["VAULT_KEY"]
    plain = take(runner, tmp_path / "plain.tar.gz")
    with tarfile.open(plain) as tar:
        assert "keys.enc" not in tar.getnames()
    assert secret_key.encode() not in _archive_text(plain) and vault_key.encode() not in _archive_text(plain)

    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    keyed = take(runner, tmp_path / "keyed.tar.gz", "--with-keys", "--passphrase-file", str(passphrase_file))
    text = _archive_text(keyed)
    assert secret_key.encode() not in text and vault_key.encode() not in text
    with tarfile.open(keyed) as tar:
        blob = tar.extractfile("keys.enc").read()
    stored = json.loads(blob)
    assert stored["kdf"] == "scrypt" and len(stored["salt"]) > 16
    values = bk.decrypt_secrets(blob, PASSPHRASE)
    assert values["OPS_SECRET_KEY"] == secret_key and values["OPS_VAULT_KEY"] == vault_key
    with pytest.raises(bk.BackupError, match="口令不正确"):
        bk.decrypt_secrets(blob, PASSPHRASE + "x")

    # Asked for interactively, twice; a short passphrase is refused and writes nothing.
    prompted = runner.invoke(
        args=["ops", "backup", str(tmp_path / "asked.tar.gz"), "--with-keys"],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
    )
    assert prompted.exit_code == 0, prompted.output
    short = runner.invoke(
        args=["ops", "backup", str(tmp_path / "short.tar.gz"), "--with-keys"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "至少需要 12 个字符" in short.output
    assert not (tmp_path / "short.tar.gz").exists()


@pytest.mark.slow
def test_restore_writes_the_keys_only_with_the_passphrase(runner, signed, app, tmp_path, restore_target):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    archive = take(
        runner, tmp_path / "keyed.tar.gz", "--with-keys", "--passphrase-file", str(passphrase_file)
    )
    database_url, folder = restore_target
    keys_out = tmp_path / "restored.env"
    result = runner.invoke(
        args=[
            "ops",
            "restore",
            str(archive),
            "--target-db",
            database_url,
            "--upload-dir",
            str(folder),
            "--keys-out",
            str(keys_out),
            "--passphrase-file",
            str(passphrase_file),
        ]
    )
    assert result.exit_code == 0, result.output
    assert f"OPS_VAULT_KEY={app.config['VAULT_KEY']}" in keys_out.read_text()
    assert keys_out.stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_verify_backup_reports_and_fails_on_a_bad_archive(runner, signed, db, tmp_path):
    archive = take(runner, tmp_path / "ops.tar.gz")
    result = runner.invoke(args=["ops", "verify-backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert (
        "备份检查通过" in result.output
        and "contracts: 1" in result.output
        and "全部在场：是" in result.output
    )
    data = archive.read_bytes()
    archive.write_bytes(flip(data, len(data) // 2))
    bad = runner.invoke(args=["ops", "verify-backup", str(archive)])
    assert bad.exit_code != 0 and "备份检查未通过" in bad.output
    if db.engine.dialect.name == "postgresql":  # the temporary database is gone again
        names = db.session.scalars(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE '%verify%'")
        ).all()
        assert names == []


@pytest.mark.slow
def test_files_referenced_but_missing_are_reported_by_verify(runner, signed, app, tmp_path):
    import os

    os.unlink(os.path.join(app.config["UPLOAD_DIR"], signed.signed_file))  # lost before the backup
    archive = tmp_path / "ops.tar.gz"
    made = runner.invoke(args=["ops", "backup", str(archive)])
    assert made.exit_code == 0 and "警告" in made.output and signed.signed_file in made.output
    result = runner.invoke(args=["ops", "verify-backup", str(archive)])
    assert result.exit_code != 0 and signed.signed_file in result.output


def test_the_manifest_lists_versions_head_files_and_rows(runner, signed, app, db, tmp_path):
    archive = take(runner, tmp_path / "ops.tar.gz")
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        assert (
            hashlib.sha256(tar.extractfile("manifest.json").read()).hexdigest()
            == tar.extractfile("manifest.sha256").read().decode().strip()
        )
    content = (Path(app.config["UPLOAD_DIR"]) / signed.signed_file).read_bytes()
    # (the session's upload folder also holds earlier tests' files: they are backed up too)
    assert {
        "name": f"uploads/{signed.signed_file}",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    } in manifest["files"]
    assert manifest["database"]["dialect"] == db.engine.dialect.name
    assert manifest["database"]["migration_head"] == db.session.scalar(
        sa.text("SELECT version_num FROM alembic_version")
    )
    assert manifest["tables"]["users"] == 1 and manifest["tables"]["contracts"] == 1
    assert manifest["versions"]["python"] and manifest["versions"]["sqlalchemy"] == sa.__version__


# --- retention ----------------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def test_retention_keeps_the_newest_of_recent_days_and_months():
    stamps = [
        at(s)
        for s in (
            "2026-09-15 02:00",
            "2026-09-30 02:00",  # September: the 30th is the month's newest
            "2026-10-31 02:00",  # October
            "2026-11-27 02:00",
            "2026-11-28 02:00",
            "2026-11-29 02:00",
            "2026-11-30 02:00",
            "2026-11-30 14:00",  # two today: the later one counts for the day
        )
    ]
    # 3 daily: 11-30 14:00, 11-29, 11-28. 2 monthly: November's newest (11-30 14:00) and October's (10-31).
    assert bk.backups_to_keep(stamps, keep_daily=3, keep_monthly=2) == {
        at("2026-11-30 14:00"),
        at("2026-11-29 02:00"),
        at("2026-11-28 02:00"),
        at("2026-10-31 02:00"),
    }
    # 1 daily, 3 monthly: 11-30 14:00, then the newest of October (10-31) and September (09-30).
    assert bk.backups_to_keep(stamps, keep_daily=1, keep_monthly=3) == {
        at("2026-11-30 14:00"),
        at("2026-10-31 02:00"),
        at("2026-09-30 02:00"),
    }


def test_backup_rotate_writes_a_dated_archive_and_prunes(runner, signed, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for name in (
        "ops-backup-20260901T020000Z.tar.gz",
        "ops-backup-20261001T020000Z.tar.gz",
        "ops-backup-20261002T020000Z.tar.gz",
        "notes.txt",
    ):
        (folder / name).write_bytes(b"old")
    result = runner.invoke(
        args=["ops", "backup-rotate", str(folder), "--keep-daily", "2", "--keep-monthly", "2"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    # Kept: today's new archive and 10-02 (the 2 newest days); months: this month (today) and October
    # (10-02 is its newest). Deleted: 10-01 and 09-01. notes.txt is not a rotated archive: left alone.
    new = [
        n for n in names if n.startswith("ops-backup-") and n not in ("ops-backup-20261002T020000Z.tar.gz",)
    ]
    assert len(new) == 1 and bk.ROTATED.match(new[0])
    assert names == sorted([new[0], "ops-backup-20261002T020000Z.tar.gz", "notes.txt"])
    with tarfile.open(folder / new[0]) as tar:
        assert "manifest.json" in tar.getnames()
