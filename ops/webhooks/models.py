"""Webhook subscriptions and their deliveries (one per event and subscription, keyed before sending)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.timeutil import utcnow
from ops.webhooks.rules import DELIVERY_STATES


class WebhookSubscription(db.Model):
    """A URL that receives the chosen event types, signed with its secret.

    The secret (``whsec_…``) is needed to sign, so it is stored — encrypted with the vault key
    (``ops.onboarding.vault``, Fernet), never in clear; pages show only ``secret_hint``.
    ``failing_since``: the first failed attempt since the last success (None while deliveries
    succeed); a subscription failing for OPS_WEBHOOK_DISABLE_AFTER_DAYS is disabled.
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (sa.CheckConstraint("enabled OR disabled_reason <> ''", name="disabled_has_reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    url: Mapped[str] = mapped_column(sa.String(500))
    event_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    secret_ciphertext: Mapped[str] = mapped_column(sa.Text)
    secret_hint: Mapped[str] = mapped_column(sa.String(20))
    # After a rotation the old secret also signs until ``previous_secret_until`` (two signatures in
    # the header, as the spec allows), so a receiver can switch without dropping a message.
    previous_secret_ciphertext: Mapped[str | None] = mapped_column(sa.Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    allow_private: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, index=True)
    disabled_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner = relationship("User")

    @property
    def label(self) -> str:
        return self.description or self.url


class WebhookDelivery(db.Model):
    """One event to one subscription: written with its UNIQUE (event, subscription) before sending.

    ``msg_id`` is the ``webhook-id`` of every attempt (a receiver drops a repeat by it); ``body``
    is the JSON sent, frozen when the row is written, so every attempt sends the same bytes.
    A test event (ping) has no event row.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "subscription_id", name="uq_webhook_deliveries_event_subscription"),
        sa.CheckConstraint(_in("status", DELIVERY_STATES), name="status_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_webhook_deliveries_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(sa.String(40), index=True)
    msg_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(sa.Integer)  # of the last attempt
    error: Mapped[str] = mapped_column(sa.Text, default="")  # of the last attempt
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    subscription = relationship("WebhookSubscription")
