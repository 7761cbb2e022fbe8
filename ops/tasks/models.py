"""A job: the user-visible face of long work done by the task queue (docs/queue.md)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops import vocab
from ops.dbtypes import UTCDateTime
from ops.extensions import db, one_of
from ops.i18n import N_
from ops.timeutil import utcnow

JOB_STATUS_LABELS = vocab.register(
    "job_status",
    {
        "queued": N_("排队中"),
        "running": N_("进行中"),
        "done": N_("已完成"),
        "failed": N_("失败"),
        "cancelled": N_("已取消"),
    },
)
JOB_STATUSES = tuple(JOB_STATUS_LABELS)
JOB_STATUS_BADGES = {
    "queued": "secondary",
    "running": "primary",
    "done": "success",
    "failed": "danger",
    "cancelled": "secondary",
}
ITEM_STATUSES = ("pending", "done", "failed", "cancelled")


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", JOB_STATUSES), name="job_status_known"),
        sa.CheckConstraint("done >= 0 AND total >= 0", name="job_progress_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(12), default="queued", index=True)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    total: Mapped[int] = mapped_column(sa.Integer, default=0)
    message: Mapped[str] = mapped_column(sa.String(300), default="")
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    items_listed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)  # times a consumer took it up
    worker: Mapped[str | None] = mapped_column(sa.String(100))  # the consumer holding it
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User")  # not joined: lock_row (FOR UPDATE) cannot lock an outer join

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return max(0.0, (end - self.started_at).total_seconds())


class JobItem(db.Model):
    """One unit of a job (a contract to bill, a client's statement): done once, failed with a message."""

    __tablename__ = "job_items"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "key", name="uq_job_items_job_key"),
        sa.CheckConstraint(one_of("status", ITEM_STATUSES), name="job_item_status_known"),
        sa.Index("ix_job_items_job_status", "job_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(sa.Integer)
    key: Mapped[str] = mapped_column(sa.String(100))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QueueHeartbeat(db.Model):
    """The last time each consumer said it was alive (a periodic task writes it; /healthz reads it)."""

    __tablename__ = "queue_heartbeats"

    worker: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    backend: Mapped[str] = mapped_column(sa.String(20))
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
