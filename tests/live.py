"""A real server for concurrency tests: gunicorn with several workers on the test database.

``live_server`` serves the same database the ``db`` fixture writes to (the SQLite file or the
PostgreSQL database of ``OPS_TEST_DATABASE_URL``), with CSRF on, as in production. A test commits
its rows through ``db``, then fires requests in parallel with ``parallel`` and reads the result back.

    def test_something(db, live_server):
        ...make rows, db.session.commit()...
        answers = parallel(8, lambda i: live_server.client().login("finance1").post_form(...))
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bench._server import HttpClient, Instance, Server
from ops.config import TestConfig

PASSWORD = "correct-horse-1"  # tests/conftest.py's password for users made by make_user
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="csrf_token"')


class LiveClient(HttpClient):
    """The bench's tiny browser, with the steps a concurrency test needs: log in, read a form's CSRF token."""

    def csrf(self, path: str) -> str:
        page = self.get(path)
        match = _CSRF.search(page.text)
        assert page.status == 200 and match, f"{path}: status {page.status}, no CSRF token"
        return match.group(1) or match.group(2)

    def login(self, username: str, password: str = PASSWORD) -> LiveClient:
        token = self.csrf("/login")
        answer = self.post_form("/login", {"csrf_token": token, "username": username, "password": password})
        assert answer.status == 302 and "/login" not in answer.location, (answer.status, answer.text[:500])
        return self

    def post_with_csrf(self, form_page: str, path: str, fields: dict):
        """POST ``fields`` to ``path`` with the CSRF token read from ``form_page`` (as a browser would)."""
        return self.post_form(path, {"csrf_token": self.csrf(form_page), **fields})


class LiveServer:
    def __init__(self, server: Server):
        self.server = server
        self.port = server.port

    def client(self, timeout: float = 60) -> LiveClient:
        return LiveClient(self.port, timeout=timeout)

    def log_problems(self) -> list[str]:
        return self.server.log_problems()


def browsers(live_server, make_user, role: str, prefix: str, n: int, form_page: str, **fields):
    """``n`` users of ``role`` (``prefix0``, ``prefix1`` …), each logged in with its own browser, and the
    CSRF token each read from ``form_page``: ``(clients, tokens)``, ready to fire in ``parallel``."""
    from ops.extensions import db

    for i in range(n):
        make_user(role, username=f"{prefix}{i}", **fields)
    db.session.remove()
    clients = [live_server.client().login(f"{prefix}{i}") for i in range(n)]
    return clients, [c.csrf(form_page) for c in clients]


def parallel(n: int, action: Callable[[int], object], timeout: float = 120) -> list:
    """Run ``action(i)`` for i in 0..n-1 on n threads released together; their results (or exceptions)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = action(i)
        except BaseException as exc:  # handed back to the test, which decides
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results


@pytest.fixture
def live_server(app, tmp_path):
    """gunicorn (4 workers) on the test database; stopped (and its log checked) after the test."""
    instance = Instance(tmp_path / "instance", db_file=tmp_path / "unused.db")
    instance.env.update(
        {
            "OPS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "OPS_SECRET_KEY": secrets.token_urlsafe(40),
            "OPS_VAULT_KEY": TestConfig.VAULT_KEY,
            "OPS_UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "OPS_AUTO_MIGRATE": "0",
            "OPS_ENV": "development",
        }
    )
    instance.env.pop("FLASK_DEBUG", None)
    workers = int(os.environ.get("OPS_LIVE_WORKERS", "4"))
    server = Server(instance, workers=workers).start(wait=60)
    try:
        yield LiveServer(server)
    finally:
        server.stop()
        problems = [p for p in server.log_problems() if "SIGKILL" not in p]
        assert not problems, "the server logged errors:\n" + server.log_tail()


__all__ = ["LiveClient", "LiveServer", "browsers", "live_server", "parallel", "Path"]
