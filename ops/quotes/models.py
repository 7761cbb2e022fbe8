from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.timeutil import utcnow

QUOTE_STATES = ("draft", "sent", "accepted", "rejected", "expired", "superseded", "withdrawn")
RATE_CARD_STATES = ("draft", "published", "archived")
MODELS = ("fixed_seat", "base_commission", "per_consult")


class RateCard(db.Model):
    """A version of the price list (价目表). Admins edit a draft and publish it; quotes record theirs.

    ``data`` holds the whole card as JSON (see ``ops.ratecards.rules`` for its shape): money in fen,
    multipliers and rates in basis points, tier prices as decimal strings in yuan.
    """

    __tablename__ = "rate_cards"
    __table_args__ = (sa.CheckConstraint(_in("status", RATE_CARD_STATES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    is_sample: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # shipped sample defaults
    data: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    created_by = relationship("User", foreign_keys=[created_by_id])
    published_by = relationship("User", foreign_keys=[published_by_id])


class Quote(db.Model):
    """One version of a quote (报价单). Versions of the same quote share ``number``."""

    __tablename__ = "quotes"
    __table_args__ = (
        sa.UniqueConstraint("number", "version"),
        sa.CheckConstraint(_in("status", QUOTE_STATES), name="status_known"),
        sa.CheckConstraint(_in("model", MODELS), name="model_known"),
        sa.CheckConstraint("discount_bp BETWEEN 0 AND 10000", name="discount_range"),
        sa.Index("ix_quotes_client_status", "client_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(sa.String(20), index=True)  # BJ-2026-0001
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    model: Mapped[str] = mapped_column(sa.String(20), index=True)  # a list filter
    needs_id: Mapped[int | None] = mapped_column(sa.ForeignKey("client_needs.id", ondelete="SET NULL"))
    rate_card_id: Mapped[int] = mapped_column(sa.ForeignKey("rate_cards.id", ondelete="RESTRICT"), index=True)
    # The pricing inputs as staff set them (seats, rates, multipliers, tiers, extras): JSON, money in fen.
    terms: Mapped[dict] = mapped_column(sa.JSON)
    # The computed breakdown: [{kind, description, quantity, unit, amount_fen, explanation}, ...]
    lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    staffing: Mapped[list] = mapped_column(sa.JSON, default=list)  # staffing explanations per shift
    subtotal_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount_bp: Mapped[int] = mapped_column(sa.Integer, default=0)
    discount_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # monthly estimate after discount
    valid_days: Mapped[int] = mapped_column(sa.Integer, default=30)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # list sort
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    discount_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discount_approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")
    # Withdrawn by the vendor (sales / manager) before the client answered: when and why.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Superseded because the client accepted another quote (an alternative): that quote.
    superseded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotes.id", ondelete="SET NULL"))

    client = relationship("Client")
    needs = relationship("Needs")
    rate_card = relationship("RateCard")
    created_by = relationship("User", foreign_keys=[created_by_id])
    discount_approved_by = relationship("User", foreign_keys=[discount_approved_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    superseded_by = relationship("Quote", remote_side=[id], foreign_keys=[superseded_by_id])

    @property
    def label(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def per_day_prices(self) -> list[tuple[str, str, int]]:
        """(label, unit, price in fen after the discount) of the rate card's per-day extras (节假日补贴,
        大促临时客服): billed for the person-days actually worked, never part of the monthly total."""
        from ops.quotes.pricing import per_day_price_fen
        from ops.ratecards.rules import DATED_EXTRA_CODES, EXTRA_LABELS

        prices = ((self.rate_card.data or {}).get("extras_fen") or {}) if self.rate_card is not None else {}
        return [
            (
                EXTRA_LABELS[code][0],
                EXTRA_LABELS[code][1],
                per_day_price_fen(int(prices[code]), self.discount_bp),
            )
            for code in DATED_EXTRA_CODES
            if prices.get(code)
        ]
