"""Deliveries (one per event, recipient and channel), in-app notifications and preferences."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.notify.kinds import CHANNELS, DELIVERY_STATES
from ops.timeutil import utcnow


class Delivery(db.Model):
    """One (event, recipient, channel): written with its unique ``key`` before anything is sent.

    ``status`` pending -> sending (committed before the send) -> sent / failed; skipped when no longer
    due at send time. Exactly one of ``user_id`` (staff) and ``contact_id`` (a client contact) is set.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.CheckConstraint(_in("status", DELIVERY_STATES), name="status_known"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        sa.CheckConstraint("(user_id IS NULL) <> (contact_id IS NULL)", name="one_recipient"),
        sa.Index("ix_deliveries_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    channel: Mapped[str] = mapped_column(sa.String(10))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("client_contacts.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(sa.String(200), default="")  # the e-mail address, when e-mail
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh")
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    subject: Mapped[str] = mapped_column(sa.String(300), default="")  # as sent (for the log)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # not before (PDF not ready)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    contact = relationship("ClientContact")


class Notification(db.Model):
    """An in-app notification of a staff user, written in the user's language when delivered."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deliveries.id", ondelete="SET NULL"), unique=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    link: Mapped[str] = mapped_column(sa.String(300), default="")  # an on-site path
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(db.Model):
    """A choice that differs from the default (every kind on every channel is on): one per
    (user or contact, kind, channel)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "channel"),
        sa.UniqueConstraint("contact_id", "kind", "channel"),
        sa.CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        sa.CheckConstraint("(user_id IS NULL) <> (contact_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("client_contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[str] = mapped_column(sa.String(10))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
