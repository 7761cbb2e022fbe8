"""Events: the transactional outbox (docs/queue.md). A service writes one in the same transaction as
the change it reports; after commit, a queue task delivers it (notifications, e-mail)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.timeutil import utcnow


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_undispatched", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None] = mapped_column(sa.Integer)
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    # Emitting twice with one key (a scheduled scan run twice) adds one row: the unique index says so.
    key: Mapped[str | None] = mapped_column(sa.String(150), unique=True)
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
