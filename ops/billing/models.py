from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.billing.states import INVOICE_STATES
from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.timeutil import utcnow

PAID_IN_RANGE_SQL = "paid_fen >= 0 AND (paid_fen = 0 OR paid_fen <= total_fen)"


class Invoice(db.Model):
    """At most one invoice per contract and service period (YYYY-MM or YYYY-Qn).

    Issued invoices never change: the PDF bytes and their SHA-256 are stored at issue.
    """

    __tablename__ = "invoices"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "period"),
        sa.CheckConstraint(_in("status", INVOICE_STATES), name="status_known"),
        # paid_fen is the sum of the invoice's payments (record_payment keeps it so under the row lock).
        sa.CheckConstraint(PAID_IN_RANGE_SQL, name="paid_in_range"),
        sa.Index("ix_invoices_client_status", "client_id", "status"),
        sa.Index("ix_invoices_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7), index=True)  # 2026-10 or 2026-Q4
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)  # inclusive
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)  # INV-2026-00001 at issue
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", index=True)
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    tax_rate_bp: Mapped[int] = mapped_column(sa.Integer, default=600)
    prices_include_tax: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    subtotal_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # service lines
    deductions_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # KPI deductions (negative or 0)
    deposit_offset_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # negative or 0
    adjustments_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    net_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # before tax when exclusive
    tax_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # what the client pays
    paid_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    void_reason: Mapped[str] = mapped_column(sa.Text, default="")
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contract = relationship("Contract")
    client = relationship("Client")
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="Payment.paid_on"
    )
    credit_notes: Mapped[list["CreditNote"]] = relationship(
        back_populates="invoice", order_by="CreditNote.id"
    )

    @property
    def balance_fen(self) -> int:
        return (
            self.total_fen
            - self.paid_fen
            - sum(c.total_fen for c in self.credit_notes if c.status == "issued")
        )


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    kind: Mapped[str] = mapped_column(
        sa.String(20)
    )  # seat, base, commission, consult, minimum, extra, kpi, deposit, true_up, adjustment
    description: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[str] = mapped_column(sa.String(30), default="1")  # a decimal as text (days, consults …)
    unit: Mapped[str] = mapped_column(sa.String(20), default="")
    unit_price_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")  # adjustments and deductions
    manual: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # a finance adjustment, kept on refresh

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    paid_on: Mapped[date] = mapped_column(sa.Date)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    method: Mapped[str] = mapped_column(sa.String(30))  # 银行转账, 支付宝, 微信 …
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class CreditNote(db.Model):
    """A correction of an issued invoice (红字), by reference; issued ones never change."""

    __tablename__ = "credit_notes"
    __table_args__ = (sa.CheckConstraint("status IN ('issued', 'void')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)  # CN-2026-00001
    status: Mapped[str] = mapped_column(sa.String(10), default="issued")
    issued_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    net_fen: Mapped[int] = mapped_column(sa.BigInteger)  # positive: the amount credited
    tax_fen: Mapped[int] = mapped_column(sa.BigInteger)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger)
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")


DATED_EXTRA_UNITS = ("person_day", "person_shift_day")  # ops.billing.engine.DATED_UNITS
DATED_EXTRA_SOURCES = ("manual", "usage_import", "api")


class ContractExtraEntry(db.Model):
    """Work done on dates for a contract (节假日补贴, 大促临时客服): billed once, for its days in the
    period served (ops.billing.engine.extras). Recurring monthly extras stay in the contract's terms."""

    __tablename__ = "contract_extra_entries"
    __table_args__ = (
        sa.CheckConstraint("end_on >= start_on", name="dates_ordered"),
        sa.CheckConstraint("headcount > 0", name="headcount_positive"),
        sa.CheckConstraint("shifts_per_day > 0", name="shifts_positive"),
        sa.CheckConstraint("unit_price_fen >= 0", name="price_not_negative"),
        sa.CheckConstraint(_in("unit", DATED_EXTRA_UNITS), name="unit_known"),
        sa.CheckConstraint(_in("source", DATED_EXTRA_SOURCES), name="source_known"),
        sa.Index("ix_contract_extra_entries_contract_dates", "contract_id", "start_on", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(sa.String(40), default="")  # an EXTRA_LABELS code, or "" (other)
    label: Mapped[str] = mapped_column(sa.String(100))  # as printed: 国庆节假日补贴
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date)  # inclusive
    headcount: Mapped[int] = mapped_column(sa.Integer)
    shifts_per_day: Mapped[int] = mapped_column(sa.Integer, default=1)  # 1 for person_day
    unit: Mapped[str] = mapped_column(sa.String(20))
    unit_price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    source: Mapped[str] = mapped_column(sa.String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    contract = relationship("Contract")
    created_by = relationship("User")
