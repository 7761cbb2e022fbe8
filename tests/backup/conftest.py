"""Fixtures for the backup tests: an empty restore target on the test database's own kind."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ops import create_app
from ops.config import TestConfig
from ops.extensions import db as _db


@pytest.fixture
def restore_target(app, tmp_path):
    """(database URL, upload folder) of an empty target: a new SQLite file, or on PostgreSQL the
    database ``<test database>_restore`` (e.g. test_d_restore) created for the test and dropped after."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    folder = tmp_path / "restored-uploads"
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}", folder
        return
    name = f"{url.database}_restore"
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False), folder
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def app_on(database_url: str, upload_dir: Path, **overrides):
    """A test app on another database and upload folder (its engine disposed by the caller)."""
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=str(upload_dir), **overrides)
    return create_app(config)


def dispose(app) -> None:
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
