"""Bank formats (column mappings), imported statements, their transactions, learned payer accounts."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.bank.engine.statement import Layout
from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.timeutil import utcnow

TRANSACTION_STATES = ("unmatched", "matched", "partial", "ignored")
# What was received is split between invoices (matched) and the client's credit (the excess); what
# of that credit was applied or refunded since never exceeds it.
TRANSACTION_AMOUNTS_SQL = (
    "matched_fen >= 0 AND credit_fen >= 0 AND matched_fen + credit_fen <= amount_fen"
    " AND credit_allocated_fen >= 0 AND credit_allocated_fen <= credit_fen"
)


class BankFormat(db.Model):
    """A bank's export layout, saved by finance: the header text of each mapped column."""

    __tablename__ = "bank_formats"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)  # 招商银行网银导出
    date_column: Mapped[str] = mapped_column(sa.String(40))
    date_format: Mapped[str] = mapped_column(sa.String(30))  # a strptime pattern (engine.DATE_FORMATS)
    amount_column: Mapped[str] = mapped_column(sa.String(40), default="")  # signed amount …
    credit_column: Mapped[str] = mapped_column(sa.String(40), default="")  # … or 收入 (+ 支出)
    debit_column: Mapped[str] = mapped_column(sa.String(40), default="")
    payer_name_column: Mapped[str] = mapped_column(sa.String(40))
    payer_account_column: Mapped[str] = mapped_column(sa.String(40))
    reference_column: Mapped[str] = mapped_column(sa.String(40))
    serial_column: Mapped[str] = mapped_column(sa.String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    def layout(self) -> Layout:
        return Layout(
            date_column=self.date_column,
            date_format=self.date_format,
            payer_name_column=self.payer_name_column,
            payer_account_column=self.payer_account_column,
            reference_column=self.reference_column,
            amount_column=self.amount_column,
            credit_column=self.credit_column,
            debit_column=self.debit_column,
            serial_column=self.serial_column,
        )


class BankStatement(db.Model):
    """One imported file: what it held (counts); its new transactions point to it."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    format_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_formats.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    encoding: Mapped[str] = mapped_column(sa.String(10))  # UTF-8 or GB18030
    sha256: Mapped[str] = mapped_column(sa.String(64))
    incoming_count: Mapped[int] = mapped_column(sa.Integer, default=0)  # incoming rows in the file
    new_count: Mapped[int] = mapped_column(sa.Integer, default=0)  # of which imported now
    outgoing_count: Mapped[int] = mapped_column(sa.Integer, default=0)  # rows of money going out
    matched_count: Mapped[int] = mapped_column(sa.Integer, default=0)  # matched automatically at import
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    format: Mapped[BankFormat] = relationship()
    imported_by = relationship("User")


class BankTransaction(db.Model):
    """An incoming transfer (收入) of a statement, once whatever file repeats it (``dedupe_key``).

    Matched: payments of invoices (``payments.bank_transaction_id``, their sum ``matched_fen``) and
    the excess as the client's credit (``credit_fen``, 预收款) — a credit source like a credit note's
    remainder: applied to invoices or refunded through ``allocations`` (``credit_allocated_fen``)."""

    __tablename__ = "bank_transactions"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint(_in("status", TRANSACTION_STATES), name="status_known"),
        sa.CheckConstraint(TRANSACTION_AMOUNTS_SQL, name="amounts_in_range"),
        sa.CheckConstraint("credit_fen = 0 OR client_id IS NOT NULL", name="credit_has_client"),
        sa.Index("ix_bank_transactions_status_booked", "status", "booked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bank_statements.id", ondelete="RESTRICT"), index=True
    )
    # The same transaction in another export (again, or overlapping) has the same key: imported once.
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    line: Mapped[int] = mapped_column(sa.Integer)  # in the file that imported it
    booked_on: Mapped[date] = mapped_column(sa.Date)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    payer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    payer_account: Mapped[str] = mapped_column(sa.String(60), default="")
    reference: Mapped[str] = mapped_column(sa.String(300), default="")
    serial: Mapped[str] = mapped_column(sa.String(80), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="unmatched")
    rule: Mapped[str] = mapped_column(sa.String(20), default="")  # engine.matching.RULES, or ""
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True
    )
    matched_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    credit_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    credit_allocated_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # The matcher's suggestions for an unmatched one: [{"client_id", "invoice_id", "reason"}].
    suggestions: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    ignore_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    matched_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    statement: Mapped[BankStatement] = relationship()
    client = relationship("Client")
    # The payments recorded from it (read here; record_match writes them).
    payments = relationship("Payment", viewonly=True, order_by="Payment.id")

    @property
    def remainder_fen(self) -> int:
        """What is left of its credit for the client's credit balance (fen, never negative)."""
        return self.credit_fen - self.credit_allocated_fen

    @property
    def issued_on(self) -> date:
        """The day its credit arose (a credit source's date, as a credit note's ``issued_on``)."""
        return self.booked_on

    @property
    def number(self) -> str:
        """How the credit is named where credit notes show their number (流水号 or the row)."""
        return self.serial or f"#{self.id}"


class BankPayerAccount(db.Model):
    """An account a client paid from (learned from a confirmed match): rule 2 knows the payer by it."""

    __tablename__ = "bank_payer_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(60), unique=True)  # one account, one client
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    learned_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bank_transactions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
