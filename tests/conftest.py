"""Shared fixtures: ``app``, ``db``, ``client``, ``login_as(role)`` and small factories.

The schema is built by running the migrations (not ``create_all``), on SQLite by default or on
PostgreSQL when ``OPS_TEST_DATABASE_URL`` is set. Every test starts with empty tables.
"""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from ops import create_app
from ops.config import TestConfig
from ops.extensions import db as _db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-1"


def pytest_collection_modifyitems(config, items):
    """``-m "not slow and not e2e"`` (``make test-fast``): the browser journey is ``e2e``; a test on a
    live gunicorn server (the ``live_server`` fixture) is ``slow``, as are those marked by hand."""
    e2e = ROOT / "tests" / "e2e"
    for item in items:
        if e2e in item.path.parents:
            item.add_marker(pytest.mark.e2e)
        elif "live_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _compile_translations() -> None:
    po = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        from babel.messages.frontend import CommandLineInterface

        CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(ROOT / "translations")])


def _reset_schema(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    _compile_translations()
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    if not os.environ.get("OPS_TEST_DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    config["UPLOAD_DIR"] = str(tmp_path_factory.mktemp("uploads"))
    config["JOB_DIR"] = str(tmp_path_factory.mktemp("jobs"))
    app = create_app(config)
    with app.app_context():
        _reset_schema(_db.engine)
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        _db.engine.dispose()


def _clean_postgresql(conn, tables: list[str]) -> None:
    """Empty the tables a test wrote to and restart the id sequences it moved.

    TRUNCATE … CASCADE costs tens of milliseconds to a second a test on PostgreSQL (it replaces every
    table's files, and nearly every table refers to users or clients); deleting the few rows a test
    left and restarting the moved sequences gives the same clean state in a few milliseconds.
    """
    exists = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    used = {name for (name,) in conn.execute(sa.text(exists))}
    if "users" in used:
        conn.execute(sa.text("UPDATE users SET client_id = NULL"))  # users <-> clients refer to each other
    for t in tables:  # children first
        if t in used:
            conn.execute(sa.text(f'DELETE FROM "{t}"'))
    moved = conn.execute(
        sa.text(
            "SELECT sequencename FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
    ).scalars()
    for sequence in list(moved):
        conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture(autouse=True)
def _clean_tables(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    # The queue is one per process: a test that built another app (production settings, a consumer's)
    # pointed it elsewhere; the suite's app puts it back (immediate mode) for the next test.
    from ops.tasks.queue import configure

    configure(app)
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                _clean_postgresql(conn, tables)
            else:
                conn.execute(
                    sa.text("UPDATE users SET client_id = NULL")
                )  # users <-> clients refer to each other
                for t in tables:
                    conn.execute(sa.text(f'DELETE FROM "{t}"'))


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(db):
    """Factory: make_user(role, username=None, **fields) -> User (committed)."""
    from ops.auth import services

    counter = {"n": 0}

    def make(role: str = "admin", username: str | None = None, password: str = PASSWORD, **fields):
        counter["n"] += 1
        username = username or f"{role}{counter['n']}"
        if role == "client" and "client_id" not in fields:
            fields["client_id"] = _default_client_id(db)
        user = services.create_user(
            username=username,
            display_name=fields.pop("display_name", username),
            role=role,
            password=password,
            must_change_password=False,
            **fields,
        )
        db.session.commit()
        return user

    return make


def _default_client_id(db):
    from ops.clients.models import Client

    client = db.session.scalar(sa.select(Client).order_by(Client.id))
    if client is None:
        from tests.factories import make_client

        client = make_client(db)
    return client.id


def login(client, username: str, password: str = PASSWORD, follow_redirects: bool = False):
    return client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=follow_redirects
    )


@pytest.fixture
def login_as(client, make_user):
    """login_as(role, **fields) -> User: creates a user with that role and logs the test client in."""

    def do(role: str = "admin", **fields):
        user = make_user(role, **fields)
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


from tests.live import live_server  # noqa: E402,F401  (the gunicorn fixture for concurrency tests)
