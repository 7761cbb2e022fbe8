"""The consumers' heartbeat and the queue's health, as /healthz reports them.

Every consumer runs the ``heartbeat`` periodic task each minute (ops.tasks.schedule), which writes
the time to its own ``queue_heartbeats`` row in the database, so any web host (several behind a load
balancer, the consumers on other machines) reads the same answer: how long ago a consumer last ran
a task. A consumer that died, hangs or cannot reach the database stops beating; after
``STALE_AFTER_SECONDS`` /healthz says "degraded" (still HTTP 200: the web pages work, only the
background work stopped — monitoring alerts on the JSON, a load balancer keeps the host).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.timeutil import utcnow

STALE_AFTER_SECONDS = 180  # three missed beats
FORGET_AFTER = timedelta(days=1)  # a consumer gone for a day (restarted with another pid) is dropped


class QueueHeartbeat(db.Model):
    """The last heartbeat of one consumer process (``host:pid``)."""

    __tablename__ = "queue_heartbeats"

    consumer: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(consumer: str | None = None, now: datetime | None = None) -> None:
    """Record that ``consumer`` (this process) is alive at ``now``; the caller commits."""
    now = now or utcnow()
    name = consumer or consumer_name()
    row = db.session.get(QueueHeartbeat, name)
    if row is None:
        db.session.add(QueueHeartbeat(consumer=name, beat_at=now))
    else:
        row.beat_at = now
    db.session.execute(sa.delete(QueueHeartbeat).where(QueueHeartbeat.beat_at < now - FORGET_AFTER))


def last_beat() -> datetime | None:
    """The latest heartbeat of any consumer (None: none ever, or none for a day)."""
    return db.session.scalar(sa.select(sa.func.max(QueueHeartbeat.beat_at)))


def queue_backend(huey: Any) -> str:
    """ "immediate" (tests: tasks run inline), "redis" (OPS_REDIS_URL) or "sqlite" (the file queue)."""
    if getattr(huey, "immediate", False):
        return "immediate"
    return "redis" if "redis" in type(huey.storage).__name__.lower() else "sqlite"


def health(huey: Any, now: datetime | None = None) -> tuple[dict, int]:
    """The /healthz answer and its HTTP status.

    ``status``: "ok"; "degraded" when a queue consumer should be running and no heartbeat came within
    ``STALE_AFTER_SECONDS`` (HTTP 200); "error" when the database does not answer (HTTP 503: this host
    cannot serve pages). ``pending`` is the number of tasks waiting in the queue (None when unknown).
    """
    now = now or utcnow()
    backend = queue_backend(huey)
    try:
        beat_at = last_beat()
        database = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        beat_at, database = None, "error"
    age = None
    if beat_at is not None:
        beat_at = beat_at if beat_at.tzinfo else beat_at.replace(tzinfo=now.tzinfo)
        age = max(0, int((now - beat_at).total_seconds()))
    pending: int | None = None
    if backend != "immediate":
        try:
            pending = int(huey.pending_count())
        except Exception:  # noqa: BLE001  (a queue that cannot be read is reported, never a 500)
            pending = None
    if database != "ok":
        status, code = "error", 503
    elif backend != "immediate" and (age is None or age > STALE_AFTER_SECONDS):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    body = {
        "status": status,
        "database": database,
        "queue": {"backend": backend, "heartbeat_age_seconds": age, "pending": pending},
    }
    return body, code
