from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.contracts.terms import ContractTerms
from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.timeutil import utcnow

CONTRACT_STATES = ("draft", "pending_signature", "active", "expired", "terminated", "cancelled")
# A terminated or cancelled contract frees its quote for a new one.
LIVE_CONTRACT_SQL = "status NOT IN ('terminated', 'cancelled')"
DEPOSIT_STATES = ("none", "due", "partial", "received", "partly_applied", "applied", "refunded", "forfeited")
DEPOSIT_USAGES = ("first_invoice", "last_invoice", "refund_at_end")
BILLING_CYCLES = ("monthly", "quarterly")
BILLING_TIMINGS = ("in_advance", "in_arrears")
DUE_RULES = ("day_of_next_month", "net_days")
INVOICE_TYPES = ("normal", "special")
KPI_METRICS = (
    "first_response_seconds",
    "avg_response_seconds",
    "reply_3min_rate",
    "inquiry_conversion",
    "satisfaction",
    "dispute_refund_rate",
    "response_delay_rate",
)
KPI_COMPARISONS = ("lte", "gte")
DEDUCTION_KINDS = ("percent", "fixed")


class VendorProfile(db.Model):
    """The vendor's own details for contracts and invoices (one row, edited by admins)."""

    __tablename__ = "vendor_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    tax_id: Mapped[str] = mapped_column(sa.String(18), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    bank_name: Mapped[str] = mapped_column(sa.String(100), default="")
    bank_account: Mapped[str] = mapped_column(sa.String(50), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Contract(db.Model):
    __tablename__ = "contracts"
    __table_args__ = (
        sa.CheckConstraint(_in("status", CONTRACT_STATES), name="status_known"),
        sa.CheckConstraint(_in("deposit_status", DEPOSIT_STATES), name="deposit_status_known"),
        sa.CheckConstraint(_in("deposit_usage", DEPOSIT_USAGES), name="deposit_usage_known"),
        sa.CheckConstraint(_in("billing_cycle", BILLING_CYCLES), name="billing_cycle_known"),
        sa.CheckConstraint(_in("billing_timing", BILLING_TIMINGS), name="billing_timing_known"),
        sa.CheckConstraint(_in("due_rule", DUE_RULES), name="due_rule_known"),
        sa.CheckConstraint(_in("invoice_type", INVOICE_TYPES), name="invoice_type_known"),
        sa.CheckConstraint("deposit_fen >= 0", name="deposit_non_negative"),
        sa.CheckConstraint("tax_rate_bp BETWEEN 0 AND 10000", name="tax_rate_range"),
        sa.Index("ix_contracts_status_end", "status", "end_on"),
        # One quote, at most one contract that is not terminated (create_from_quote locks the quote;
        # this is the database's backstop). Partial on both SQLite and PostgreSQL.
        sa.Index(
            "uq_contracts_quote_live",
            "quote_id",
            unique=True,
            sqlite_where=sa.text(LIVE_CONTRACT_SQL),
            postgresql_where=sa.text(LIVE_CONTRACT_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)  # HT-2026-0001, gapless per year
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    quote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotes.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    start_on: Mapped[date] = mapped_column(sa.Date)
    end_on: Mapped[date] = mapped_column(sa.Date)
    auto_renew: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    # Frozen pricing terms copied from the accepted quote (never references the quote or card);
    # their shape is ops.contracts.terms.ContractTerms.
    model: Mapped[str] = mapped_column(sa.String(20), index=True)  # a list filter
    terms: Mapped[ContractTerms] = mapped_column(sa.JSON)

    billing_cycle: Mapped[str] = mapped_column(sa.String(10), default="monthly", index=True)  # a list filter
    billing_timing: Mapped[str] = mapped_column(sa.String(12), default="in_arrears")
    due_rule: Mapped[str] = mapped_column(sa.String(20), default="day_of_next_month")
    due_value: Mapped[int] = mapped_column(sa.Integer, default=5)  # day N of next month, or N days net
    late_fee_bp_per_day: Mapped[int] = mapped_column(sa.Integer, default=5)  # 0.05 % a day
    late_fee_grace_days: Mapped[int] = mapped_column(sa.Integer, default=5)
    # Late fees are billed only when finance says so, unless this is on: then the billing run adds them.
    late_fee_auto: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    tax_rate_bp: Mapped[int] = mapped_column(sa.Integer, default=600)
    prices_include_tax: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    invoice_type: Mapped[str] = mapped_column(sa.String(10), default="normal")  # 普票 / 专票

    # Invoicing details of both parties, copied at creation and editable while draft.
    client_legal_name: Mapped[str] = mapped_column(sa.String(200), default="")
    client_tax_id: Mapped[str] = mapped_column(sa.String(18), default="")
    client_address: Mapped[str] = mapped_column(sa.String(300), default="")
    client_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    client_bank_name: Mapped[str] = mapped_column(sa.String(100), default="")
    client_bank_account: Mapped[str] = mapped_column(sa.String(50), default="")
    vendor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    vendor_tax_id: Mapped[str] = mapped_column(sa.String(18), default="")
    vendor_address: Mapped[str] = mapped_column(sa.String(300), default="")
    vendor_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    vendor_bank_name: Mapped[str] = mapped_column(sa.String(100), default="")
    vendor_bank_account: Mapped[str] = mapped_column(sa.String(50), default="")

    # Deposit (定金)
    deposit_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    deposit_usage: Mapped[str] = mapped_column(sa.String(20), default="refund_at_end")
    deposit_status: Mapped[str] = mapped_column(sa.String(20), default="none")
    deposit_due_on: Mapped[date | None] = mapped_column(sa.Date)
    deposit_received_on: Mapped[date | None] = mapped_column(sa.Date)
    deposit_received_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # the sum of the receipts
    deposit_waived_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # a remainder a manager waived
    deposit_reference: Mapped[str] = mapped_column(sa.String(100), default="")  # bank slip / transfer ref
    deposit_settled_on: Mapped[date | None] = mapped_column(sa.Date)  # applied / refunded / forfeited
    deposit_settled_reference: Mapped[str] = mapped_column(sa.String(200), default="")
    # The part of the deposit offset on issued invoices (partly_applied: the rest is owed back).
    deposit_applied_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

    # KPI assessment (clauses in contract_kpis)
    kpi_cap_bp: Mapped[int] = mapped_column(
        sa.Integer, default=2000
    )  # all deductions ≤ 20 % of the period's fee
    breakin_months: Mapped[int] = mapped_column(sa.Integer, default=1)  # first month(s) not assessed

    # Signed copy (PDF stored outside the web root under a random name)
    signed_file: Mapped[str | None] = mapped_column(sa.String(80))
    signed_original_name: Mapped[str | None] = mapped_column(sa.String(200))
    signed_size: Mapped[int | None] = mapped_column(sa.Integer)
    signed_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    signed_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    signed_on: Mapped[date | None] = mapped_column(sa.Date)

    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminated_on: Mapped[date | None] = mapped_column(sa.Date)
    termination_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # 违约终止: the client broke the contract; its deposit is kept for forfeiture, never offset.
    terminated_for_breach: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # list sort
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Cancelled before it took effect (a draft or one awaiting signature): when and why.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str] = mapped_column(sa.Text, default="")

    client = relationship("Client")
    quote = relationship("Quote")
    created_by = relationship("User", foreign_keys=[created_by_id])
    signed_uploaded_by = relationship("User", foreign_keys=[signed_uploaded_by_id])
    kpis: Mapped[list["ContractKpi"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractKpi.position"
    )
    clauses: Mapped[list["ContractClause"]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractClause.position"
    )


class ContractKpi(db.Model):
    """A KPI clause billing evaluates: metric, direction (comparison), and its scale of bands.

    comparison "lte" = lower is better (the target is a ceiling), "gte" = higher is better. The
    bands (``ContractKpiBand``) go from the target towards worse; the worst band reached applies.
    """

    __tablename__ = "contract_kpis"
    __table_args__ = (
        sa.CheckConstraint(_in("metric", KPI_METRICS), name="metric_known"),
        sa.CheckConstraint(_in("comparison", KPI_COMPARISONS), name="comparison_known"),
        sa.CheckConstraint(_in("deduction_kind", DEDUCTION_KINDS), name="deduction_kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    metric: Mapped[str] = mapped_column(sa.String(30))
    comparison: Mapped[str] = mapped_column(sa.String(3))  # the target: lte = at most, gte = at least
    deduction_kind: Mapped[str] = mapped_column(sa.String(10), default="percent")  # every band's kind
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    contract: Mapped[Contract] = relationship(back_populates="kpis")
    bands: Mapped[list["ContractKpiBand"]] = relationship(
        back_populates="kpi", cascade="all, delete-orphan", order_by="ContractKpiBand.position"
    )


class ContractKpiBand(db.Model):
    """One band of a KPI clause: past ``threshold`` (strictly), the deduction applies.

    Thresholds: seconds for the *_seconds metrics, basis points for rates (80 % = 8000).
    Deduction: ``deduction_bp`` of the month's fee (percent clauses) or ``deduction_fen`` (fixed).
    """

    __tablename__ = "contract_kpi_bands"
    __table_args__ = (
        sa.UniqueConstraint("kpi_id", "position"),
        sa.CheckConstraint("threshold >= 0", name="threshold_non_negative"),
        sa.CheckConstraint(
            "deduction_bp >= 0 AND deduction_bp <= 10000 AND deduction_fen >= 0", name="deduction_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(sa.ForeignKey("contract_kpis.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    threshold: Mapped[int] = mapped_column(sa.Integer)
    deduction_bp: Mapped[int] = mapped_column(sa.Integer, default=0)
    deduction_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    kpi: Mapped[ContractKpi] = relationship(back_populates="bands")


class ClauseTemplate(db.Model):
    """The breach-clause library (违约条款) admins maintain."""

    __tablename__ = "clause_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ContractClause(db.Model):
    """A breach clause as agreed in one contract (copied from the library, then edited)."""

    __tablename__ = "contract_clauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clause_templates.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)

    contract: Mapped[Contract] = relationship(back_populates="clauses")


AMENDMENT_STATES = ("draft", "sent", "accepted", "rejected", "withdrawn")
# An amendment still being negotiated: at most one per contract at a time.
OPEN_AMENDMENT_STATES = ("draft", "sent")


class ContractAmendment(db.Model):
    """A contract amendment (补充协议): the seat rows and monthly extras in force from ``effective_on``.

    ``terms`` holds the full ``seats`` and ``extras`` lists after the change (the shapes of
    ``ContractTerms``); accepted amendments are the contract's term versions
    (``ops.contracts.terms.term_segments``). Numbered HT-YYYY-NNNN-B1, -B2, … per contract.
    """

    __tablename__ = "contract_amendments"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "seq"),
        sa.CheckConstraint(_in("status", AMENDMENT_STATES), name="status_known"),
        sa.CheckConstraint("seq > 0", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    effective_on: Mapped[date] = mapped_column(sa.Date)
    terms: Mapped[dict] = mapped_column(sa.JSON)  # {"seats": [SeatTerms], "extras": [ExtraTerms]}
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # accepted / rejected / withdrawn
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")  # rejection or on-behalf reason
    pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    contract: Mapped[Contract] = relationship()
