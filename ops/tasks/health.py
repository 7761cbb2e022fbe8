"""What /healthz reports: the database, the queue backend, the age of the newest consumer heartbeat
and the tasks waiting.

Every consumer runs the ``heartbeat`` periodic task each minute (``ops/tasks/heartbeat.py``), writing
its row of ``queue_heartbeats`` in the database, so every web host (several behind a load balancer,
the consumers on other machines) reads the same answer. When no heartbeat came for
``STALE_AFTER_SECONDS`` — no consumer running, one hung, or cut off from the database — the status is
"degraded", still HTTP 200: the pages work, only the background work stopped; monitoring alerts on
the JSON while a load balancer keeps the host. "error" with HTTP 503 only when the database does not
answer (this host cannot serve pages).
"""

from __future__ import annotations

import sqlalchemy as sa

from ops.extensions import db
from ops.tasks.heartbeat import heartbeat_age_seconds
from ops.tasks.queue import backend_name, pending_count

STALE_AFTER_SECONDS = 180  # three missed beats


def health() -> tuple[dict, int]:
    """The /healthz body and its HTTP status (one small query, and the queue's pending count)."""
    backend = backend_name()
    try:
        age = heartbeat_age_seconds()
        database = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        age, database = None, "error"
    if database != "ok":
        status, code = "error", 503
    elif backend != "immediate" and (age is None or age > STALE_AFTER_SECONDS):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    queue = {
        "backend": backend,
        "heartbeat_age_seconds": None if age is None else int(age),
        "pending": pending_count(),
    }
    return {"status": status, "database": database, "queue": queue}, code
