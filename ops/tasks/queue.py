"""The one Huey instance, pointed at its storage by the app's configuration.

- ``QUEUE_IMMEDIATE`` (tests): tasks run inline when enqueued, on in-memory storage.
- ``OPS_REDIS_URL`` set: RedisHuey storage — any number of consumers on any number of machines.
- Otherwise SqliteHuey: a file beside the SQLite database (``instance/queue.db``) or ``OPS_QUEUE_FILE``.

The instance exists at import (tasks are decorated with it) in immediate mode; ``configure(app)``
(called by ``create_app``) switches it to the configured storage before anything is enqueued.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage


class OpsHuey(Huey):
    """Huey whose storage is opened on first use: an app built only to be inspected (a test of the
    production settings, a CLI command that never enqueues) creates no queue file."""

    _storage = None

    @property  # type: ignore[override]
    def storage(self):
        if self._storage is None:
            filename = self.storage_kwargs.get("filename") if not self._immediate else None
            if filename:
                Path(filename).parent.mkdir(parents=True, exist_ok=True)
            self._storage = self.create_storage()
        return self._storage

    @storage.setter
    def storage(self, value) -> None:
        self._storage = value


huey = OpsHuey("ops", immediate=True, results=False)
_configured: tuple | None = None


def backend_name() -> str:
    """``immediate``, ``redis`` or ``sqlite``: what /healthz and the jobs page report."""
    if huey.immediate:
        return "immediate"
    if huey.storage_class is SqliteStorage:
        return "sqlite"
    return "redis" if huey.storage_class is RedisStorage else "sqlite"


def queue_file(app: Flask) -> str:
    configured = app.config.get("QUEUE_FILE")
    if configured:
        return configured
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or ""
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        return str(Path(uri.removeprefix("sqlite:///")).parent / "queue.db")
    return str(Path(app.instance_path) / "queue.db")


def configure(app: Flask) -> None:
    """Point the queue at the app's storage (idempotent; the last app configured wins)."""
    global _configured
    if app.config.get("QUEUE_IMMEDIATE"):
        wanted: tuple = ("immediate",)
    elif app.config.get("REDIS_URL"):
        wanted = ("redis", app.config["REDIS_URL"])
    else:
        wanted = ("sqlite", queue_file(app))
    if wanted == _configured:
        return
    if wanted[0] == "immediate":
        huey.storage_kwargs = {}
        huey._immediate = True
    elif wanted[0] == "redis":
        huey.storage_class = RedisStorage
        huey.storage_kwargs = {"url": wanted[1]}
        huey._immediate = False
    else:
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": wanted[1], "timeout": 30}
        huey._immediate = False
    huey.storage = None  # opened on first use
    _configured = wanted


def pending_count() -> int | None:
    """Tasks waiting in the queue (None in immediate mode or when the storage cannot tell)."""
    if huey.immediate:
        return None
    try:
        return huey.pending_count()
    except Exception:  # noqa: BLE001 — a monitoring figure: unknown rather than an error page
        return None
