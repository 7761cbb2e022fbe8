"""The consumer's heartbeat: a periodic task writes the time; /healthz reports its age."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from huey import crontab

from ops.extensions import db
from ops.tasks.models import QueueHeartbeat
from ops.tasks.queue import backend_name
from ops.tasks.runtime import periodic, worker_name
from ops.timeutil import utcnow

STALE_ROWS_AFTER = timedelta(days=1)


def beat() -> None:
    """Record that this consumer is alive (one row per consumer process, updated in place); rows of
    processes silent for a day (restarted consumers, old worker processes) are removed."""
    name = worker_name()
    db.session.execute(sa.delete(QueueHeartbeat).where(QueueHeartbeat.beat_at < utcnow() - STALE_ROWS_AFTER))
    row = db.session.get(QueueHeartbeat, name)
    if row is None:
        row = QueueHeartbeat(worker=name, backend=backend_name())
        db.session.add(row)
    row.beat_at = utcnow()
    row.backend = backend_name()
    db.session.commit()


@periodic(crontab(minute="*"))
def heartbeat() -> None:
    beat()


def heartbeat_age_seconds() -> float | None:
    """Seconds since any consumer last beat (None: never)."""
    last = db.session.scalar(sa.select(sa.func.max(QueueHeartbeat.beat_at)))
    if last is None:
        return None
    if last.tzinfo is None:  # SQLite's max() bypasses the column type
        from datetime import UTC, datetime

        last = datetime.fromisoformat(str(last)).replace(tzinfo=UTC)
    return max(0.0, (utcnow() - last).total_seconds())
