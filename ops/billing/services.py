"""Billing runs, invoices, payments, voids and credit notes.

A billing run is its own unit of work: each contract's draft is committed on its own, so a run
that is killed part-way leaves complete drafts behind and the next run carries on. Issuing is a
write transaction (BEGIN IMMEDIATE on SQLite, row locks on PostgreSQL) that takes the next gapless
number, renders the PDF once and stores its bytes and SHA-256; an issued invoice never changes.

Locks (docs/architecture.md, "Locks and check-then-write"): every action here locks its rows before
it checks them, always in the order contract → invoice → number counter, so two runs, a run and a
payment, or two finance users never deadlock on each other; a run that still loses a lock race
(deadlock, serialization failure, "database is locked") retries that contract.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload, undefer

from ops.audit.services import record
from ops.billing import engine
from ops.billing.models import CreditNote, Invoice, InvoiceLine, Payment
from ops.billing.pdf import InvoicePdfData, InvoicePdfLine, Party, render_invoice_pdf
from ops.contracts.models import Contract
from ops.contracts.services import lock_contract
from ops.errors import ServiceError
from ops.extensions import db
from ops.i18n import N_
from ops.idempotency import claim
from ops.money import format_bp, format_fen, round_fen
from ops.numbering import next_number
from ops.onboarding.models import Assignment
from ops.quotes.pricing import tiers_from_data
from ops.timeutil import today, utcnow
from ops.transactions import is_retryable, lock_row, retrying, write_transaction
from ops.usage.models import UsageDaily

INVOICE_TYPE_LABELS = {"normal": "增值税普通发票", "special": "增值税专用发票"}
BILLABLE_STATES = ("active", "expired", "terminated")


class BillingServiceError(ServiceError):
    """A refused billing action; the message is for the user."""


def lock_invoice(invoice_id: int) -> Invoice:
    """The invoice (with its credit notes), re-read and locked for the rest of the transaction.

    Lock order: a caller that also writes the contract locks it first (``lock_contract``)."""
    invoice = lock_row(Invoice, invoice_id, selectinload(Invoice.credit_notes))
    if invoice is None:
        raise BillingServiceError("账单不存在。")
    return invoice


@dataclass
class RunSummary:
    run_period: str
    contracts: int = 0
    created: int = 0
    refreshed: int = 0
    unchanged: int = 0  # issued, paid or void invoices left as they are
    not_due: int = 0  # contracts with nothing to bill in this run
    issued: int = 0
    total_fen: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (contract number, message)
    invoice_ids: list[int] = field(default_factory=list)


# --- from the database to the engine's plain values ------------------------------------------


def contract_input(contract: Contract) -> engine.ContractInput:
    t = contract.terms or {}
    return engine.ContractInput(
        contract_id=contract.id,
        model=contract.model,
        start_on=contract.start_on,
        end_on=contract.end_on,
        billing_cycle=contract.billing_cycle,
        billing_timing=contract.billing_timing,
        tax_rate_bp=contract.tax_rate_bp,
        prices_include_tax=contract.prices_include_tax,
        seats=tuple(
            engine.SeatInput(s["scope"], s["shift"], s["seats"], s["monthly_rate_fen"])
            for s in t.get("seats", [])
        ),
        commission_rate_bp=t.get("commission_rate_bp", 0),
        tier_mode=t.get("tier_mode", ""),
        tiers=tiers_from_data(t["tiers"]) if t.get("tiers") else (),
        consult_multiplier_bp=t.get("consult_multiplier_bp", 10_000),
        monthly_minimum_fen=t.get("monthly_minimum_fen", 0),
        extras=tuple(
            engine.ExtraInput(e["label"], e["unit"], e["quantity"], e["unit_price_fen"])
            for e in t.get("extras", [])
            if e.get("quantity")
        ),
        kpis=tuple(
            engine.KpiInput(
                k.metric, k.comparison, k.threshold, k.deduction_kind, k.deduction_bp, k.deduction_fen
            )
            for k in contract.kpis
        ),
        kpi_cap_bp=contract.kpi_cap_bp,
        breakin_months=contract.breakin_months,
        deposit_fen=contract.deposit_fen,
        deposit_usage=contract.deposit_usage,
        deposit_received=contract.deposit_status == "received",
        terminated_on=contract.terminated_on,
    )


def _assignments(contract: Contract) -> tuple[engine.AssignmentInput, ...]:
    rows = db.session.execute(
        sa.select(Assignment)
        .options(selectinload(Assignment.agent))
        .where(Assignment.contract_id == contract.id, Assignment.go_live_on.is_not(None))
    ).scalars()
    return tuple(engine.AssignmentInput(a.agent.name, a.scope, a.shift, a.go_live_on, a.end_on) for a in rows)


_USAGE_COLUMNS = tuple(getattr(UsageDaily, f.name) for f in fields(engine.UsageInput))


def _usage(client_id: int, start: date, end: date) -> tuple[engine.UsageInput, ...]:
    # Columns, not UsageDaily objects: a quarter is ninety rows a contract, and the engine wants values.
    rows = db.session.execute(
        sa.select(*_USAGE_COLUMNS)
        .where(UsageDaily.client_id == client_id, UsageDaily.day >= start, UsageDaily.day <= end)
        .order_by(UsageDaily.day)
    )
    return tuple(engine.UsageInput(*row) for row in rows)


def previous_period(period: engine.Period) -> engine.Period:
    """The period of the same length just before ``period``."""
    before = period.start - timedelta(days=1)
    if period.is_quarter:
        return engine.parse_period(f"{before.year}-Q{(before.month - 1) // 3 + 1}")
    return engine.parse_period(f"{before.year}-{before.month:02d}")


def service_end(contract: Contract) -> date:
    """The last day of service (a termination ends service the day before it takes effect)."""
    if contract.terminated_on is not None:
        return min(contract.end_on, contract.terminated_on - timedelta(days=1))
    return contract.end_on


def _overlaps(contract: Contract, period: engine.Period) -> bool:
    return contract.start_on <= period.end and service_end(contract) >= period.start


def compute(contract: Contract, period: engine.Period, adjustments=()) -> engine.EngineResult:
    """The engine's lines for one contract and invoice period, from what the database holds."""
    earlier = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Invoice)
        .where(
            Invoice.contract_id == contract.id, Invoice.period_start < period.start, Invoice.status != "void"
        )
    )
    previous = previous_period(period)
    in_advance = contract.billing_timing == "in_advance"
    terms = contract_input(contract)
    if in_advance and _overlaps(contract, previous) and not _billed(contract, previous):
        # The engine trues up "actual − billed in advance"; without that advance invoice the true-up
        # would credit money the client never paid. A contract's first invoice here, when it started
        # before that period (taken over from before this system), starts fresh: nothing to true up.
        # Otherwise the previous period was skipped and must be billed first.
        if earlier or contract.start_on >= previous.start:
            raise BillingServiceError(
                f"上期（{previous.code}）还没有预付账单，无法多退少补：请先按账期 {previous_period(previous).code} "
                f"出账（生成 {previous.code} 的预付账单），再出本期账单。"
            )
        terms = replace(terms, start_on=period.start)
    assignments = _assignments(contract)
    return engine.bill(
        terms,
        period,
        assignments=assignments,
        usage=_usage(contract.client_id, period.start, period.end),
        previous_usage=_usage(contract.client_id, previous.start, previous.end) if in_advance else (),
        previous_assignments=assignments if in_advance else (),
        adjustments=tuple(adjustments),
        first_invoice=not earlier,
        last_invoice=period.start <= service_end(contract) <= period.end,
    )


def _billed(contract: Contract, period: engine.Period) -> bool:
    """Whether the contract has a (not void) invoice for ``period``."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Invoice)
            .where(
                Invoice.contract_id == contract.id, Invoice.period == period.code, Invoice.status != "void"
            )
        )
    )


def _write_draft(invoice: Invoice, contract: Contract, result: engine.EngineResult) -> None:
    invoice.lines.clear()
    db.session.flush()
    # One executemany: the ORM inserts lines one statement each on SQLite (it needs each new id back).
    db.session.execute(
        sa.insert(InvoiceLine.__table__),
        [
            dict(
                invoice_id=invoice.id,
                position=position,
                kind=line.kind,
                description=line.description[:300],
                quantity=str(line.quantity),
                unit=line.unit,
                unit_price_fen=line.unit_price_fen,
                amount_fen=line.amount_fen,
                reason=line.reason[:300],
                manual=line.kind == "adjustment",
            )
            for position, line in enumerate(result.lines)
        ],
    )
    db.session.expire(invoice, ["lines"])
    invoice.period_start, invoice.period_end = result.period.start, result.period.end
    invoice.tax_rate_bp = contract.tax_rate_bp
    invoice.prices_include_tax = contract.prices_include_tax
    invoice.subtotal_fen = result.service_fen
    invoice.deductions_fen = result.deductions_fen
    invoice.adjustments_fen = result.adjustments_fen
    invoice.deposit_offset_fen = result.deposit_offset_fen
    invoice.net_fen = result.net_fen
    invoice.tax_fen = result.tax_fen
    invoice.total_fen = result.total_fen


def _manual_adjustments(invoice: Invoice | None) -> list[engine.AdjustmentInput]:
    if invoice is None:
        return []
    return [
        engine.AdjustmentInput(line.description, line.amount_fen, line.reason)
        for line in invoice.lines
        if line.manual
    ]


def billable_contracts(client_id: int | None = None) -> list[Contract]:
    stmt = (
        sa.select(Contract)
        .options(selectinload(Contract.kpis), selectinload(Contract.client))
        .where(Contract.status.in_(BILLABLE_STATES))
        .order_by(Contract.id)
    )
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    return list(db.session.scalars(stmt))


def refresh_draft(contract: Contract, period_code: str, by=None) -> tuple[Invoice | None, str]:
    """Create or refresh the draft invoice of one contract and period.

    Returns (invoice, outcome) with outcome "created", "refreshed", "unchanged" (issued, paid or
    void: never touched) or "not_due" (the contract does not serve in that period). The caller holds
    the contract's lock (``lock_contract`` inside ``write_transaction``, as the run does); the
    invoice is locked here, after it — the billing lock order.
    """
    period = engine.parse_period(period_code)
    invoice = db.session.scalar(
        sa.select(Invoice)
        .options(selectinload(Invoice.lines))
        .where(Invoice.contract_id == contract.id, Invoice.period == period.code)
        .with_for_update()
    )
    if invoice is not None and invoice.status != "draft":
        return invoice, "unchanged"
    if not _overlaps(contract, period):
        return invoice, "not_due"
    result = compute(contract, period, _manual_adjustments(invoice))
    outcome = "refreshed"
    if invoice is None:
        invoice = Invoice(
            contract_id=contract.id,
            client_id=contract.client_id,
            period=period.code,
            period_start=period.start,
            period_end=period.end,
            status="draft",
        )
        db.session.add(invoice)
        outcome = "created"
    _write_draft(invoice, contract, result)
    db.session.flush()
    record(
        f"invoice.draft_{outcome}",
        invoice,
        summary=f"{contract.number} {period.code}",
        after={"total_fen": invoice.total_fen, "lines": len(invoice.lines)},
        actor=by,
    )
    return invoice, outcome


def run_billing(
    run_period: str,
    *,
    client_id: int | None = None,
    issue: bool = False,
    by=None,
    progress: Callable[[int, int, Contract], None] | None = None,
) -> RunSummary:
    """Bill every contract for the period that has just ended (``2026-10`` or ``2026-Q3``).

    Commits after each contract. Running again refreshes drafts and never touches issued invoices.
    """
    engine.parse_period(run_period)  # refuse a bad period before doing anything
    summary = RunSummary(run_period=run_period)
    # Ids, not the loaded contracts: every commit expires what the session holds, so a thousand
    # contracts kept for the whole run made each commit (three a contract) cost more as the run went on.
    contract_ids = [contract.id for contract in billable_contracts(client_id)]
    db.session.commit()
    for index, contract_id in enumerate(contract_ids, 1):
        contract = db.session.scalar(
            sa.select(Contract).options(selectinload(Contract.kpis)).where(Contract.id == contract_id)
        )
        summary.contracts += 1
        number = contract.number or f"#{contract.id}"
        try:
            period_code = engine.invoice_period_for_run(
                run_period, contract.billing_cycle, contract.billing_timing
            )
            if period_code is None:
                summary.not_due += 1
            else:
                # Two runs at once (the schedule and the runs page) take each contract in turn: the
                # second waits for the lock, then finds the first one's invoice instead of adding one.
                # A deadlock or serialization failure rolls back this contract's step and retries it.
                invoice, outcome = retrying(partial(_refresh_locked, contract_id, period_code, by))
                if outcome == "not_due":
                    summary.not_due += 1
                else:
                    setattr(summary, outcome, getattr(summary, outcome) + 1)
                    summary.invoice_ids.append(invoice.id)
                    summary.total_fen += invoice.total_fen  # issuing never changes it
                    if issue and invoice.status == "draft":
                        retrying(partial(issue_invoice, invoice.id, by=by))
                        summary.issued += 1
        except (engine.BillingError, BillingServiceError, ValueError, KeyError, TypeError) as exc:
            # One contract's bad terms must not stop the run: it is listed and the others go on.
            db.session.rollback()
            summary.errors.append((number, str(exc)))
        except sa.exc.DBAPIError as exc:
            if not is_retryable(exc):
                raise
            # Still losing the lock race after the retries: listed, and the next run picks it up.
            db.session.rollback()
            summary.errors.append((number, "与其他出账任务冲突，请稍后重新出账。"))
        if progress is not None:
            progress(index, len(contract_ids), contract)
    return summary


def _refresh_locked(contract_id: int, period_code: str, by) -> tuple[Invoice | None, str]:
    """One contract's draft in its own write transaction, under the contract's lock (then the invoice's)."""
    with write_transaction():
        return refresh_draft(lock_contract(contract_id), period_code, by=by)


# --- issuing -------------------------------------------------------------------------------


def payment_terms_text(contract: Contract) -> str:
    due = (
        f"请于账期结束次月 {contract.due_value} 日前付款"
        if contract.due_rule == "day_of_next_month"
        else f"请于开具之日起 {contract.due_value} 天内付款"
    )
    late = ""
    if contract.late_fee_bp_per_day:
        late = f"；逾期超过 {contract.late_fee_grace_days} 天按未付金额每日 {format_bp(contract.late_fee_bp_per_day)} 计收滞纳金"
    return due + late + "。"


def invoice_pdf_data(
    invoice: Invoice, *, kind: str = "invoice", credit: CreditNote | None = None
) -> InvoicePdfData:
    c = invoice.contract
    vendor = Party(
        c.vendor_name,
        c.vendor_tax_id,
        c.vendor_address,
        c.vendor_phone,
        c.vendor_bank_name,
        c.vendor_bank_account,
    )
    client = Party(
        c.client_legal_name or invoice.client.name,
        c.client_tax_id,
        c.client_address,
        c.client_phone,
        c.client_bank_name,
        c.client_bank_account,
    )
    if credit is not None:
        lines = (
            InvoicePdfLine(
                f"冲销 {invoice.number}：{credit.reason}"[:300], "1", "项", None, -credit.total_fen
            ),
        )
        return InvoicePdfData(
            kind="credit_note",
            number=credit.number,
            vendor=vendor,
            client=client,
            period_code=invoice.period,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            issued_on=credit.issued_on,
            due_on=None,
            invoice_type=INVOICE_TYPE_LABELS[c.invoice_type],
            lines=lines,
            service_fen=-credit.total_fen,
            deductions_fen=0,
            adjustments_fen=0,
            net_fen=-credit.net_fen,
            tax_rate_bp=invoice.tax_rate_bp,
            tax_fen=-credit.tax_fen,
            prices_include_tax=True,
            deposit_offset_fen=0,
            total_fen=-credit.total_fen,
            reference=invoice.number or "",
        )
    lines = tuple(
        InvoicePdfLine(
            line.description, line.quantity, line.unit, line.unit_price_fen, line.amount_fen, line.reason
        )
        for line in invoice.lines
    )
    return InvoicePdfData(
        kind=kind,
        number=invoice.number or "",
        vendor=vendor,
        client=client,
        period_code=invoice.period,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        invoice_type=INVOICE_TYPE_LABELS[c.invoice_type],
        lines=lines,
        service_fen=invoice.subtotal_fen,
        deductions_fen=invoice.deductions_fen,
        adjustments_fen=invoice.adjustments_fen,
        net_fen=invoice.net_fen,
        tax_rate_bp=invoice.tax_rate_bp,
        tax_fen=invoice.tax_fen,
        prices_include_tax=invoice.prices_include_tax,
        deposit_offset_fen=invoice.deposit_offset_fen,
        total_fen=invoice.total_fen,
        payment_terms=payment_terms_text(c),
    )


def _closing_period_end(invoice: Invoice, contract: Contract) -> date:
    # In arrears the invoice's own period has just closed; in advance the one before it.
    return (
        invoice.period_end
        if contract.billing_timing == "in_arrears"
        else invoice.period_start - timedelta(days=1)
    )


def issue_invoice(invoice_id: int, *, by=None, issued_on: date | None = None) -> Invoice:
    """Issue a draft: next gapless number, due date, PDF rendered once with its SHA-256. Commits.

    Safe when two runs issue at once: the invoice row is locked (PostgreSQL) or the whole
    transaction is immediate (SQLite), and an invoice already issued is returned unchanged.
    """
    with write_transaction():
        # Lock order contract → invoice → number counter (issuing may apply the contract's deposit).
        contract_id = db.session.scalar(sa.select(Invoice.contract_id).where(Invoice.id == invoice_id))
        if contract_id is None:
            raise BillingServiceError("账单不存在。")
        lock_contract(contract_id)
        invoice = lock_invoice(invoice_id)
        if invoice.status != "draft":
            return invoice
        if not invoice.lines:
            raise BillingServiceError("账单没有任何明细，不能开具。")
        if invoice.total_fen < 0:
            # A statement that owes the client money is settled by a credit note, not an invoice.
            raise BillingServiceError(
                "账单应付总额为负数，不能开具；请添加调整项或对上期账单开具红字冲销单。"
            )
        contract = invoice.contract
        issued_on = issued_on or today()
        invoice.number = next_number("INV", issued_on.year, 5)
        invoice.issued_on = issued_on
        invoice.due_on = engine.due_date(
            contract.due_rule, contract.due_value, _closing_period_end(invoice, contract), issued_on
        )
        pdf = render_invoice_pdf(invoice_pdf_data(invoice), ttf_path=current_app.config.get("PDF_FONT"))
        invoice.pdf = pdf
        invoice.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        invoice.status = "issued"
        invoice.issued_at = utcnow()
        invoice.issued_by_id = getattr(by, "id", None)
        if invoice.deposit_offset_fen and contract.deposit_status == "received":
            contract.deposit_status = "applied"
            contract.deposit_settled_on = issued_on
            contract.deposit_settled_reference = f"抵扣账单 {invoice.number}"
            record(
                "contract.deposit_applied",
                contract,
                summary=invoice.number,
                before={"deposit_status": "received"},
                after={"deposit_status": "applied"},
                actor=by,
            )
        record(
            "invoice.issued",
            invoice,
            summary=invoice.number,
            before={"status": "draft"},
            after={
                "status": "issued",
                "number": invoice.number,
                "total_fen": invoice.total_fen,
                "pdf_sha256": invoice.pdf_sha256,
            },
            actor=by,
        )
    return invoice


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != "draft":
        raise BillingServiceError("账单已开具，不能再修改；如需更正请开具红字冲销单。")


def _lock_draft(invoice: Invoice) -> Invoice:
    """Lock the contract, then the invoice (the run's order), and check it is still a draft."""
    lock_contract(invoice.contract_id)
    invoice = lock_row(Invoice, invoice.id, selectinload(Invoice.lines))
    _require_draft(invoice)
    return invoice


def add_adjustment(invoice: Invoice, description: str, amount_fen: int, reason: str, by=None) -> None:
    """A manual line on a draft (kept when the run refreshes the draft)."""
    invoice = _lock_draft(invoice)
    if not description.strip() or not reason.strip():
        raise BillingServiceError("调整项需要填写说明和原因。")
    if amount_fen == 0:
        raise BillingServiceError("调整金额不能为 0。")
    adjustments = _manual_adjustments(invoice) + [
        engine.AdjustmentInput(description.strip(), amount_fen, reason.strip())
    ]
    result = compute(invoice.contract, engine.parse_period(invoice.period), adjustments)
    _write_draft(invoice, invoice.contract, result)
    record(
        "invoice.adjustment_added",
        invoice,
        summary=reason.strip()[:300],
        after={"description": description, "amount_fen": amount_fen},
        actor=by,
    )


def remove_adjustment(invoice: Invoice, line_id: int, by=None) -> None:
    invoice = _lock_draft(invoice)
    keep = [
        engine.AdjustmentInput(line.description, line.amount_fen, line.reason)
        for line in invoice.lines
        if line.manual and line.id != line_id
    ]
    removed = next((line for line in invoice.lines if line.id == line_id and line.manual), None)
    if removed is None:
        raise BillingServiceError("找不到该调整项。")
    result = compute(invoice.contract, engine.parse_period(invoice.period), keep)
    _write_draft(invoice, invoice.contract, result)
    record(
        "invoice.adjustment_removed",
        invoice,
        before={"description": removed.description, "amount_fen": removed.amount_fen},
        actor=by,
    )


# --- after issuing -------------------------------------------------------------------------


def credited_fen(invoice: Invoice) -> int:
    return sum(c.total_fen for c in invoice.credit_notes if c.status == "issued")


def balance_fen(invoice: Invoice) -> int:
    return invoice.total_fen - invoice.paid_fen - credited_fen(invoice)


def is_overdue(invoice: Invoice, on: date | None = None) -> bool:
    return (
        invoice.status == "issued"
        and invoice.due_on is not None
        and invoice.due_on < (on or today())
        and balance_fen(invoice) > 0
    )


def record_payment(
    invoice: Invoice,
    amount_fen: int,
    paid_on: date,
    method: str,
    reference: str,
    by=None,
    *,
    idempotency_key: str | None = None,
) -> Payment:
    """A (partial) payment of an issued invoice; fully paid invoices become ``paid``.

    Checked under the invoice's row lock, so two payments at once cannot pay more than the balance;
    ``paid_fen`` is set to the sum of the invoice's payments in the same transaction. A form's
    ``idempotency_key`` used before raises ``AlreadyRecorded`` (nothing recorded twice).
    """
    invoice = lock_invoice(invoice.id)
    claim(idempotency_key, "invoice.payment", object_id=invoice.id, by=by)
    if invoice.status != "issued":
        raise BillingServiceError("只能为已开具、未结清的账单登记收款。")
    if amount_fen <= 0:
        raise BillingServiceError("收款金额必须大于 0。")
    if amount_fen > balance_fen(invoice):
        raise BillingServiceError(f"收款金额超过未付余额（{format_fen(balance_fen(invoice))}）。")
    if paid_on > today():
        raise BillingServiceError("收款日期不能晚于今天。")
    if not method.strip():
        raise BillingServiceError("请选择收款方式。")
    payment = Payment(
        invoice_id=invoice.id,
        amount_fen=amount_fen,
        paid_on=paid_on,
        method=method.strip(),
        reference=reference.strip(),
        recorded_by_id=getattr(by, "id", None),
    )
    db.session.add(payment)
    before = {"status": invoice.status, "paid_fen": invoice.paid_fen}
    db.session.flush()
    invoice.paid_fen = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_fen), 0)).where(
            Payment.invoice_id == invoice.id
        )
    )
    if balance_fen(invoice) == 0:
        invoice.status = "paid"
        invoice.paid_at = utcnow()
    db.session.flush()
    record(
        "invoice.payment_recorded",
        invoice,
        summary=f"{invoice.number} {reference}".strip(),
        before=before,
        after={"status": invoice.status, "paid_fen": invoice.paid_fen, "amount_fen": amount_fen},
        actor=by,
    )
    return payment


def void_invoice(invoice: Invoice, reason: str, by=None, *, idempotency_key: str | None = None) -> None:
    """Void a draft or an unpaid issued invoice (its number stays used, so numbers keep no gaps).

    Checked under the row locks (contract, then invoice: a run may be refreshing the draft), so a
    payment recorded at the same moment either comes first (and the void is refused) or waits.
    """
    lock_contract(invoice.contract_id)
    invoice = lock_invoice(invoice.id)
    claim(idempotency_key, "invoice.void", object_id=invoice.id, by=by)
    if invoice.status not in ("draft", "issued"):
        raise BillingServiceError("已结清或已作废的账单不能作废。")
    if invoice.paid_fen:
        raise BillingServiceError("账单已有收款，不能作废；请开具红字冲销单。")
    if not reason.strip():
        raise BillingServiceError("作废需要填写原因。")
    before = invoice.status
    invoice.status = "void"
    invoice.void_reason = reason.strip()
    invoice.voided_at = utcnow()
    record(
        "invoice.voided",
        invoice,
        summary=reason.strip()[:300],
        before={"status": before},
        after={"status": "void"},
        actor=by,
    )


def create_credit_note(
    invoice: Invoice, total_fen: int, reason: str, by=None, *, idempotency_key: str | None = None
) -> CreditNote:
    """A credit note (红字冲销) correcting an issued invoice by reference. Commits (numbered).

    ``total_fen`` is the amount credited including tax; its tax is total × r / (1 + r).
    """
    invoice_id = invoice.id
    with write_transaction():
        # Checked under the row lock, so two credit notes at once cannot credit more than the invoice.
        # Lock order invoice → number counter (the contract row is not written).
        invoice = lock_invoice(invoice_id)
        claim(idempotency_key, "invoice.credit_note", object_id=invoice.id, by=by)
        if invoice.status not in ("issued", "paid"):
            raise BillingServiceError("只能为已开具的账单开具红字冲销单。")
        if not reason.strip():
            raise BillingServiceError("请填写冲销原因。")
        if total_fen <= 0 or total_fen > invoice.total_fen - credited_fen(invoice):
            raise BillingServiceError(
                f"冲销金额必须大于 0，且不超过账单尚未冲销的金额（{format_fen(invoice.total_fen - credited_fen(invoice))}）。"
            )
        issued_on = today()
        rate = invoice.tax_rate_bp
        tax = round_fen(Decimal(total_fen) * rate / (10_000 + rate))
        note = CreditNote(
            invoice_id=invoice.id,
            number=next_number("CN", issued_on.year, 5),
            issued_on=issued_on,
            reason=reason.strip(),
            net_fen=total_fen - tax,
            tax_fen=tax,
            total_fen=total_fen,
            created_by_id=getattr(by, "id", None),
        )
        db.session.add(note)
        db.session.flush()
        pdf = render_invoice_pdf(
            invoice_pdf_data(invoice, credit=note), ttf_path=current_app.config.get("PDF_FONT")
        )
        note.pdf = pdf
        note.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        db.session.refresh(invoice, ["credit_notes"])
        if invoice.status == "issued" and balance_fen(invoice) <= 0:
            invoice.status = "paid"
            invoice.paid_at = utcnow()
        record(
            "invoice.credit_note_issued",
            invoice,
            summary=f"{note.number}: {reason.strip()}"[:300],
            after={"credit_note": note.number, "total_fen": total_fen, "pdf_sha256": note.pdf_sha256},
            actor=by,
        )
    return note


AGEING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def ageing_bucket(due_on: date | None, on: date) -> str:
    """Accounts-receivable ageing bucket of an open invoice by days past its due date."""
    if due_on is None or due_on >= on:
        return "current"
    days = (on - due_on).days
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


# --- documents, lists and reports the pages use ------------------------------------------


def safe_filename(text: str) -> str:
    """A file-name-safe version of ``text`` (keeps Chinese; drops path separators and controls)."""
    cleaned = "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip(" .")
    return cleaned[:80] or "invoice"


def invoice_filename(invoice: Invoice) -> str:
    """INV-2026-00001_北京晨光家居旗舰店.pdf (a draft: 草稿_2026-10_….pdf)."""
    head = invoice.number or f"草稿_{invoice.period}"
    return f"{head}_{safe_filename(invoice.client.name)}.pdf"


def credit_note_filename(note: CreditNote) -> str:
    return f"{note.number}_{safe_filename(note.invoice.client.name)}.pdf"


def draft_preview_pdf(invoice: Invoice) -> bytes:
    """A preview of a draft as it would be issued today, titled 草稿 and without a number. Not stored."""
    on = today()
    data = invoice_pdf_data(invoice, kind="draft")
    contract = invoice.contract
    due = engine.due_date(contract.due_rule, contract.due_value, _closing_period_end(invoice, contract), on)
    data = replace(data, issued_on=on, due_on=due)
    return render_invoice_pdf(data, ttf_path=current_app.config.get("PDF_FONT"))


def open_invoices(client_id: int | None = None) -> list[Invoice]:
    """Issued invoices not yet paid (their balance is what the client owes), oldest due first."""
    stmt = (
        sa.select(Invoice)
        .options(selectinload(Invoice.credit_notes), selectinload(Invoice.client))
        .where(Invoice.status == "issued")
        .order_by(Invoice.due_on, Invoice.id)
    )
    if client_id is not None:
        stmt = stmt.where(Invoice.client_id == client_id)
    return list(db.session.scalars(stmt))


@dataclass
class Receivables:
    open_fen: int = 0
    open_count: int = 0
    overdue_fen: int = 0
    overdue_count: int = 0
    drafts: int = 0


def receivables(client_id: int | None = None, on: date | None = None) -> Receivables:
    """Open balance, overdue count and amount, and drafts waiting to be issued."""
    on = on or today()
    result = Receivables()
    # Plain rows, not invoices: the dashboard and the portal ask for this on every page, and a large
    # vendor has a month or two of invoices open (the arithmetic stays here, in Python).
    credited = (
        sa.select(CreditNote.invoice_id, sa.func.sum(CreditNote.total_fen).label("fen"))
        .where(CreditNote.status == "issued")
        .group_by(CreditNote.invoice_id)
        .subquery()
    )
    stmt = (
        sa.select(Invoice.total_fen, Invoice.paid_fen, Invoice.due_on, sa.func.coalesce(credited.c.fen, 0))
        .outerjoin(credited, credited.c.invoice_id == Invoice.id)
        .where(Invoice.status == "issued")
    )
    if client_id is not None:
        stmt = stmt.where(Invoice.client_id == client_id)
    for total_fen, paid_fen, due_on, credited_fen_ in db.session.execute(stmt):
        balance = total_fen - paid_fen - int(credited_fen_)
        result.open_fen += balance
        result.open_count += 1
        if due_on is not None and due_on < on and balance > 0:  # as is_overdue()
            result.overdue_fen += balance
            result.overdue_count += 1
    drafts = sa.select(sa.func.count()).select_from(Invoice).where(Invoice.status == "draft")
    if client_id is not None:
        drafts = drafts.where(Invoice.client_id == client_id)
    result.drafts = db.session.scalar(drafts)
    return result


@dataclass
class AgeingRow:
    client_id: int
    client_name: str
    buckets: dict[str, int]  # bucket -> open balance in fen
    invoices: dict[str, list[Invoice]]
    total_fen: int = 0


def ageing_report(on: date | None = None) -> tuple[list[AgeingRow], dict[str, int]]:
    """Open issued invoices by client and days past due (AGEING_BUCKETS), with column totals."""
    on = on or today()
    rows: dict[int, AgeingRow] = {}
    totals = dict.fromkeys(AGEING_BUCKETS, 0)
    for invoice in open_invoices():
        balance = balance_fen(invoice)
        if balance <= 0:
            continue
        row = rows.get(invoice.client_id)
        if row is None:
            row = rows[invoice.client_id] = AgeingRow(
                invoice.client_id,
                invoice.client.name,
                dict.fromkeys(AGEING_BUCKETS, 0),
                {b: [] for b in AGEING_BUCKETS},
            )
        bucket = ageing_bucket(invoice.due_on, on)
        row.buckets[bucket] += balance
        row.invoices[bucket].append(invoice)
        row.total_fen += balance
        totals[bucket] += balance
    return sorted(rows.values(), key=lambda r: (-r.total_fen, r.client_name)), totals


STATUS_LABELS = {
    "draft": N_("草稿"),
    "issued": N_("已开具"),
    "paid": N_("已结清"),
    "void": N_("已作废"),
    "overdue": N_("已逾期"),
}
EXPORT_HEADER = (
    "账单号",
    "客户",
    "统一社会信用代码",
    "账期",
    "开具日期",
    "到期日",
    "不含税金额",
    "税额",
    "价税合计",
    "已收款",
    "未付余额",
    "状态",
)


def _yuan(fen: int) -> str:
    return format_fen(fen, symbol=False).replace(",", "")


def _text_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula (= + - @) gets a leading '."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def status_label(invoice: Invoice, on: date | None = None) -> str:
    return STATUS_LABELS["overdue"] if is_overdue(invoice, on) else STATUS_LABELS[invoice.status]


def export_rows(period: str | None = None) -> list[tuple[str, ...]]:
    """Issued, paid and void invoices (of ``period`` when given) as rows for accounting (yuan, 2 decimals).

    不含税金额 + 税额 = 价税合计 before the deposit offset; 未付余额 is what the client still owes.
    """
    stmt = (
        sa.select(Invoice)
        .options(
            selectinload(Invoice.credit_notes), selectinload(Invoice.client), selectinload(Invoice.contract)
        )
        .where(Invoice.status != "draft")
        .order_by(Invoice.number)
    )
    if period:
        stmt = stmt.where(Invoice.period == period)
    on = today()
    rows = []
    for invoice in db.session.scalars(stmt):
        balance = 0 if invoice.status == "void" else balance_fen(invoice)
        rows.append(
            (
                invoice.number or "",
                _text_cell(invoice.contract.client_legal_name or invoice.client.name),
                _text_cell(invoice.contract.client_tax_id or invoice.client.tax_id or ""),
                invoice.period,
                invoice.issued_on.isoformat() if invoice.issued_on else "",
                invoice.due_on.isoformat() if invoice.due_on else "",
                _yuan(invoice.net_fen),
                _yuan(invoice.tax_fen),
                _yuan(invoice.net_fen + invoice.tax_fen),
                _yuan(invoice.paid_fen),
                _yuan(balance),
                status_label(invoice, on),
            )
        )
    return rows


def period_pdfs(period: str) -> list[tuple[str, bytes]]:
    """(file name, stored PDF bytes) of one period's issued (and paid) invoices, by number."""
    stmt = (
        sa.select(Invoice)
        .options(undefer(Invoice.pdf), selectinload(Invoice.client))
        .where(Invoice.period == period, Invoice.status.in_(("issued", "paid")), Invoice.pdf.is_not(None))
        .order_by(Invoice.number)
    )
    return [(invoice_filename(invoice), invoice.pdf) for invoice in db.session.scalars(stmt)]
