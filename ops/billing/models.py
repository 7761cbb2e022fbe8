from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.billing.states import INVOICE_STATES
from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.fapiao.rules import FAPIAO_STATUSES, RED_REASONS
from ops.timeutil import utcnow

PAID_IN_RANGE_SQL = "paid_fen >= 0 AND (paid_fen = 0 OR paid_fen <= total_fen)"
LIVE_INVOICE_SQL = "status <> 'void'"  # a voided invoice frees its (contract, period) for a re-issue
# Payments and credit allocated to an invoice never exceed its total: its outstanding is never negative.
ALLOCATED_IN_RANGE_SQL = "allocated_fen >= 0 AND (allocated_fen = 0 OR paid_fen + allocated_fen <= total_fen)"
# A credit note's deposit part and what it settled never exceed it: its remainder is never negative.
CREDIT_IN_RANGE_SQL = "deposit_fen >= 0 AND allocated_fen >= 0 AND deposit_fen + allocated_fen <= total_fen"
ALLOCATION_KINDS = ("credit_note", "credit_balance", "refund")
# The fapiao (数电票) issued for an invoice by the tax platform, recorded back: number, date and status
# all set or all empty; a 数电票 number is 20 digits (ops.fapiao.rules).
FAPIAO_COMPLETE_SQL = (
    "(fapiao_number IS NULL AND fapiao_date IS NULL AND fapiao_status IS NULL)"
    " OR (fapiao_number IS NOT NULL AND fapiao_date IS NOT NULL AND fapiao_status IS NOT NULL)"
)


class Invoice(db.Model):
    """At most one invoice that is not void per contract and service period (YYYY-MM or YYYY-Qn).

    Issued invoices never change: the PDF bytes and their SHA-256 are stored at issue. A voided
    invoice is kept for the record; the corrected one of its period points to it (``replaces_id``).
    """

    __tablename__ = "invoices"
    __table_args__ = (
        # The re-issue locks the contract first; this partial unique index is the database's backstop.
        sa.Index(
            "uq_invoices_contract_period_live",
            "contract_id",
            "period",
            unique=True,
            sqlite_where=sa.text(LIVE_INVOICE_SQL),
            postgresql_where=sa.text(LIVE_INVOICE_SQL),
        ),
        sa.CheckConstraint(_in("status", INVOICE_STATES), name="status_known"),
        # paid_fen is the sum of the invoice's payments (record_payment keeps it so under the row lock).
        sa.CheckConstraint(PAID_IN_RANGE_SQL, name="paid_in_range"),
        sa.CheckConstraint(ALLOCATED_IN_RANGE_SQL, name="allocated_in_range"),
        sa.Index("ix_invoices_client_status", "client_id", "status"),
        sa.Index("ix_invoices_status_due", "status", "due_on"),
        # The invoice list: its order (newest period first), then the totals above it read from
        # this covering index alone (on SQLite a row also holds the stored PDF, slow to scan).
        sa.Index("ix_invoices_list_order", "period", "number", "id"),
        sa.Index("ix_invoices_totals", "status", "total_fen", "paid_fen", "allocated_fen"),
        sa.CheckConstraint(FAPIAO_COMPLETE_SQL, name="fapiao_complete"),
        sa.CheckConstraint(
            "fapiao_number IS NULL OR length(fapiao_number) = 20", name="fapiao_number_length"
        ),
        sa.CheckConstraint(
            f"fapiao_status IS NULL OR {_in('fapiao_status', FAPIAO_STATUSES)}", name="fapiao_status_known"
        ),
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
    # What the engine said when the draft was written: notes (break-in, first advance, deposit
    # remainder, final true-up, ...) and every assessed KPI clause per month (dicts, see
    # ops.billing.engine.kpi.KpiResult.as_dict).
    notes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    kpi_results: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    # The sum of the allocations (credit notes, applied credit balance) to this invoice, kept with them.
    allocated_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # set with ``pdf``, once it is stored
    # What the PDF prints, frozen at issue (ops.billing.pdf.pdf_data_to_json): a queue consumer renders
    # the document after the issue commits, from this and nothing that may change since.
    pdf_data: Mapped[dict | None] = mapped_column(sa.JSON, deferred=True)
    void_reason: Mapped[str] = mapped_column(sa.Text, default="")
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # 争议: finance marked the invoice disputed (the client contests it); no dunning while set.
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The void invoice of the same contract and period this one corrects (重新出账).
    replaces_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="SET NULL"), index=True
    )
    # The fapiao issued for it (ops.fapiao.services.record_fapiao): one invoice per fapiao number.
    fapiao_number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    fapiao_date: Mapped[date | None] = mapped_column(sa.Date)
    fapiao_status: Mapped[str | None] = mapped_column(sa.String(12))

    contract = relationship("Contract")
    replaces: Mapped["Invoice | None"] = relationship(
        remote_side=[id], foreign_keys=[replaces_id], back_populates="replaced_by"
    )
    replaced_by: Mapped["Invoice | None"] = relationship(
        foreign_keys=[replaces_id], back_populates="replaces", uselist=False
    )
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
    def pdf_ready(self) -> bool:
        """The issued PDF is stored (until then it is being rendered and cannot be downloaded)."""
        return self.pdf_sha256 is not None

    @property
    def balance_fen(self) -> int:
        """Outstanding (fen, never negative): total − payments − credit allocated to it."""
        return self.total_fen - self.paid_fen - self.allocated_fen


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
    # The bank statement's transfer this payment was matched from (银行流水), if any.
    bank_transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bank_transactions.id", ondelete="RESTRICT"), index=True
    )

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


class CreditNote(db.Model):
    """A correction of an issued invoice (红字), by reference; issued ones never change."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        sa.CheckConstraint("status IN ('issued', 'void')", name="status_known"),
        sa.CheckConstraint(CREDIT_IN_RANGE_SQL, name="credit_in_range"),
        sa.CheckConstraint(_in("red_reason", ("", *RED_REASONS)), name="red_reason_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)  # CN-2026-00001
    status: Mapped[str] = mapped_column(sa.String(10), default="issued")
    issued_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    net_fen: Mapped[int] = mapped_column(sa.BigInteger)  # positive: the amount credited
    tax_fen: Mapped[int] = mapped_column(sa.BigInteger)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger)
    # The part of total_fen that reversed the invoice's deposit offset (returned to the deposit).
    deposit_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # The sum of this note's allocations (to invoices and refunds), kept with them.
    allocated_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # set with ``pdf``, once it is stored
    # What the PDF prints, frozen at issue (ops.billing.pdf.pdf_data_to_json): a queue consumer renders
    # the document after the issue commits, from this and nothing that may change since.
    pdf_data: Mapped[dict | None] = mapped_column(sa.JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The 红字确认单 reason (01 开票有误, 02 销货退回, 03 服务中止, 04 销售折让): required when the invoice
    # has a fapiao number (a red fapiao reverses it), "" otherwise.
    red_reason: Mapped[str] = mapped_column(sa.String(2), default="", server_default="")

    invoice: Mapped[Invoice] = relationship(back_populates="credit_notes")

    @property
    def pdf_ready(self) -> bool:
        """The credit note's PDF is stored (until then it is being rendered and cannot be downloaded)."""
        return self.pdf_sha256 is not None

    @property
    def remainder_fen(self) -> int:
        """What is left of the credit for the client's credit balance (fen, never negative)."""
        return self.total_fen - self.deposit_fen - self.allocated_fen


class Refund(db.Model):
    """Money paid back to a client out of its credit balance (退款); allocated from credit notes."""

    __tablename__ = "refunds"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    refunded_on: Mapped[date] = mapped_column(sa.Date)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    method: Mapped[str] = mapped_column(sa.String(30))
    reference: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class Allocation(db.Model):
    """A credit settling a debit: an invoice, or a refund paid to the client.

    The credit is a credit note, or a bank transfer's excess kept as the client's credit (预收款,
    ``bank_transaction``): exactly one of the two. ``credit_note``: the note settles the invoice it
    corrects; ``credit_balance``: the client's credit balance applied to another invoice (上期余额抵扣);
    ``refund``: the balance paid back (退款).
    """

    __tablename__ = "allocations"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint(_in("kind", ALLOCATION_KINDS), name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'refund' AND refund_id IS NOT NULL AND invoice_id IS NULL)"
            " OR (kind <> 'refund' AND invoice_id IS NOT NULL AND refund_id IS NULL)",
            name="one_target",
        ),
        sa.CheckConstraint("(credit_note_id IS NULL) <> (bank_transaction_id IS NULL)", name="one_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    credit_note_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("credit_notes.id", ondelete="RESTRICT"), index=True
    )
    bank_transaction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bank_transactions.id", ondelete="RESTRICT"), index=True
    )
    invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    refund_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("refunds.id", ondelete="RESTRICT"), index=True
    )
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    credit_note: Mapped[CreditNote | None] = relationship()
    bank_transaction = relationship("BankTransaction")
    invoice: Mapped[Invoice | None] = relationship()
    refund: Mapped[Refund | None] = relationship()


class LateFeeCharge(db.Model):
    """A late fee of ``invoice`` for the days [from_on, to_on], billed on a later invoice or waived.

    The next charge of the same invoice starts the day after the latest to_on, so no day is charged
    (or waived) twice. ``billed_on_invoice_id`` is the draft the 滞纳金 line went on (None: waiting
    for the contract's next draft).
    """

    __tablename__ = "late_fee_charges"
    __table_args__ = (
        sa.CheckConstraint("status IN ('billed', 'waived')", name="status_known"),
        sa.CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        sa.CheckConstraint("to_on >= from_on", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    from_on: Mapped[date] = mapped_column(sa.Date)
    to_on: Mapped[date] = mapped_column(sa.Date)  # inclusive
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    description: Mapped[str] = mapped_column(sa.String(300))  # the formula, as printed
    status: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    billed_on_invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    invoice: Mapped[Invoice] = relationship(foreign_keys=[invoice_id])


class DunningReminder(db.Model):
    """A payment reminder (催款提醒) of ``invoice`` at ``level``, recorded before anything is sent.

    Written in the same transaction as its ``invoice.dunning`` event (``event_id``), under the
    invoice's lock; the unique (invoice, level) key means a level is recorded once whatever runs
    the scan twice (two consumers, a re-run after a crash). ``delivered_at`` is set by whoever
    delivers the event (the notifications), so a reminder recorded but not yet sent is visible.
    """

    __tablename__ = "dunning_reminders"
    __table_args__ = (
        sa.UniqueConstraint("invoice_id", "level"),
        sa.CheckConstraint("level >= 1", name="level_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    level: Mapped[int] = mapped_column(sa.Integer)  # 1 = the earliest of the contract's levels
    days: Mapped[int] = mapped_column(sa.Integer)  # relative to the due date (−3: three days before)
    due_on: Mapped[date] = mapped_column(sa.Date)  # the invoice's due date when it was decided
    final: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # the last level
    suspension_warning: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # the contract allows it
    outstanding_fen: Mapped[int] = mapped_column(sa.BigInteger)  # what the reminder asks for
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invoice: Mapped[Invoice] = relationship()


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
