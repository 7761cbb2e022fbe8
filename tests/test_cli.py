import json
import sqlite3
import tarfile

import pytest
import sqlalchemy as sa

from ops.auth.models import User


def test_create_admin(runner, db):
    result = runner.invoke(args=["ops", "create-admin", "--username", "root", "--password", "very-secret-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "root"))
    assert user.role == "admin" and user.check_password("very-secret-1")


def test_create_admin_refuses_short_password(runner, db):
    result = runner.invoke(args=["ops", "create-admin", "--username", "root", "--password", "short"])
    assert result.exit_code != 0 and "至少需要 10 个字符" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.slow
def test_demo_loads_every_staff_role_once(runner, db):
    result = runner.invoke(args=["ops", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    roles = set(db.session.scalars(sa.select(User.role)))
    assert {"admin", "manager", "sales", "trainer", "finance"} <= roles
    count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    result = runner.invoke(args=["ops", "demo", "--if-empty"])
    assert "跳过" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count


def test_backup_writes_an_archive_with_the_database(runner, db, make_user, tmp_path):
    """(The whole backup and restore: tests/backup/.)"""
    make_user("admin", username="boss")
    target = tmp_path / "backup.tar.gz"
    result = runner.invoke(args=["ops", "backup", str(target)])
    assert result.exit_code == 0, result.output
    with tarfile.open(target) as archive:
        names = archive.getnames()
        manifest = json.loads(archive.extractfile("manifest.json").read())
    assert names[:2] == ["manifest.json", "manifest.sha256"]
    assert manifest["database"]["name"] in names and manifest["tables"]["users"] == 1
    if db.engine.dialect.name == "sqlite":
        with tarfile.open(target) as archive:
            archive.extract(manifest["database"]["name"], tmp_path, filter="data")
        with sqlite3.connect(tmp_path / manifest["database"]["name"]) as conn:
            assert conn.execute("SELECT username FROM users").fetchall() == [("boss",)]
    again = runner.invoke(args=["ops", "backup", str(target)])
    assert again.exit_code != 0 and "不会覆盖" in again.output
