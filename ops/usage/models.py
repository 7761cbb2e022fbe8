"""The stored usage: one row per client, day and platform, and a record of each import."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.timeutil import utcnow
from ops.vocab import PLATFORM_CODES


class UsageDaily(db.Model):
    """One day's figures for a client on a platform. Rates in basis points, times in milliseconds."""

    __tablename__ = "usage_daily"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "day", "platform"),
        sa.CheckConstraint(_in("platform", PLATFORM_CODES), name="platform_known"),
        sa.CheckConstraint(
            "consults >= 0 AND valid_consults >= 0 AND valid_consults <= consults", name="consults_valid"
        ),
        sa.CheckConstraint("served_gmv_fen >= 0 AND refunds_fen >= 0", name="money_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    platform: Mapped[str] = mapped_column(sa.String(20))
    consults: Mapped[int] = mapped_column(sa.Integer, default=0)
    valid_consults: Mapped[int] = mapped_column(sa.Integer, default=0)  # 有效咨询 as the contract defines it
    served_gmv_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunds_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    first_response_ms: Mapped[int | None] = mapped_column(sa.Integer)
    avg_response_ms: Mapped[int | None] = mapped_column(sa.Integer)
    reply_3min_bp: Mapped[int | None] = mapped_column(sa.Integer)
    inquiry_conversion_bp: Mapped[int | None] = mapped_column(sa.Integer)
    satisfaction_bp: Mapped[int | None] = mapped_column(sa.Integer)
    dispute_refund_bp: Mapped[int | None] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UsageImport(db.Model):
    """A record of one CSV or API import, with its counts."""

    __tablename__ = "usage_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(10))  # csv / api / cli
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    rows: Mapped[int] = mapped_column(sa.Integer, default=0)
    inserted: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated: Mapped[int] = mapped_column(sa.Integer, default=0)
    unchanged: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
