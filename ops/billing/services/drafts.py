"""From the database to the engine and back: a contract's inputs, its computed draft, a refresh."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ops.audit.services import record
from ops.billing import engine
from ops.billing.models import Invoice, InvoiceLine
from ops.billing.services.base import BillingServiceError
from ops.billing.services.extras import dated_extra_inputs
from ops.contracts.models import Contract
from ops.contracts.services import lock_contract
from ops.extensions import db
from ops.onboarding.models import Assignment
from ops.periods import previous_period
from ops.quotes.pricing import tiers_from_data
from ops.transactions import write_transaction
from ops.usage.models import UsageDaily

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
        dated_extras=dated_extra_inputs(contract),
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


def write_draft(invoice: Invoice, contract: Contract, result: engine.EngineResult) -> None:
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


def manual_adjustments(invoice: Invoice | None) -> list[engine.AdjustmentInput]:
    if invoice is None:
        return []
    return [
        engine.AdjustmentInput(line.description, line.amount_fen, line.reason)
        for line in invoice.lines
        if line.manual
    ]


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
    result = compute(contract, period, manual_adjustments(invoice))
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
    write_draft(invoice, contract, result)
    db.session.flush()
    record(
        f"invoice.draft_{outcome}",
        invoice,
        summary=f"{contract.number} {period.code}",
        after={"total_fen": invoice.total_fen, "lines": len(invoice.lines)},
        actor=by,
    )
    return invoice, outcome


def refresh_locked(contract_id: int, period_code: str, by) -> tuple[Invoice | None, str]:
    """One contract's draft in its own write transaction, under the contract's lock (then the invoice's)."""
    with write_transaction():
        return refresh_draft(lock_contract(contract_id), period_code, by=by)
