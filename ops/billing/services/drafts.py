"""From the database to the engine and back: a contract's inputs, its computed draft, a refresh."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ops.audit.services import record
from ops.billing import engine
from ops.billing.models import Invoice, InvoiceLine
from ops.billing.services.base import BillingServiceError
from ops.billing.services.extras import dated_extra_inputs
from ops.billing.services.late_fees import late_fee_inputs, late_fees_for_draft
from ops.contracts.models import Contract, ContractKpi
from ops.contracts.services import lock_contract
from ops.contracts.services.amendments import accepted_versions
from ops.extensions import db
from ops.onboarding.models import Agent, Assignment
from ops.periods import previous_period
from ops.quotes.pricing import tiers_from_data
from ops.transactions import write_transaction
from ops.usage.models import UsageDaily

# --- from the database to the engine's plain values ------------------------------------------


def _seat_inputs(t: Mapping[str, Any]) -> tuple[engine.SeatInput, ...]:
    return tuple(
        engine.SeatInput(
            s["scope"], s["shift"], s["seats"], s["monthly_rate_fen"], s.get("monthly_total_fen")
        )
        for s in t.get("seats", [])
    )


def _extra_inputs(t: Mapping[str, Any]) -> tuple[engine.ExtraInput, ...]:
    return tuple(
        engine.ExtraInput(e["label"], e["unit"], e["quantity"], e["unit_price_fen"])
        for e in t.get("extras", [])
        if e.get("quantity")
    )


def _versions(contract: Contract) -> tuple[engine.TermVersion, ...]:
    """The contract's accepted amendments (补充协议) as term versions, in effective-date order."""
    return tuple(
        engine.TermVersion(effective_on, _seat_inputs(terms), _extra_inputs(terms))
        for effective_on, terms in accepted_versions(contract.id)
    )


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
        seats=_seat_inputs(t),
        commission_rate_bp=t.get("commission_rate_bp", 0),
        tier_mode=t.get("tier_mode", ""),
        tiers=tiers_from_data(t["tiers"]) if t.get("tiers") else (),
        consult_multiplier_bp=t.get("consult_multiplier_bp", 10_000),
        monthly_minimum_fen=t.get("monthly_minimum_fen", 0),
        extras=_extra_inputs(t),
        kpis=tuple(
            engine.KpiInput(
                k.metric,
                k.comparison,
                k.deduction_kind,
                tuple(engine.BandInput(b.threshold, b.deduction_bp, b.deduction_fen) for b in k.bands),
            )
            for k in contract.kpis
        ),
        kpi_cap_bp=contract.kpi_cap_bp,
        breakin_months=contract.breakin_months,
        # What was received (a manager may have waived part of the agreed deposit).
        deposit_fen=contract.deposit_received_fen or contract.deposit_fen,
        deposit_usage=contract.deposit_usage,
        # A contract terminated for breach (违约终止) keeps its deposit for forfeiture: never offset.
        deposit_received=contract.deposit_status == "received" and not contract.terminated_for_breach,
        terminated_on=contract.terminated_on,
        versions=_versions(contract),
    )


def _assignments(contract: Contract) -> tuple[engine.AssignmentInput, ...]:
    # Columns of one join: the engine wants values, not Assignment and Agent objects.
    rows = db.session.execute(
        sa.select(Agent.name, Assignment.scope, Assignment.shift, Assignment.go_live_on, Assignment.end_on)
        .join(Agent, Agent.id == Assignment.agent_id)
        .where(Assignment.contract_id == contract.id, Assignment.go_live_on.is_not(None))
        .order_by(Assignment.id)
    )
    return tuple(engine.AssignmentInput(*row) for row in rows)


_USAGE_COLUMNS = tuple(getattr(UsageDaily, f.name) for f in fields(engine.UsageInput))


def _usage(client_id: int, start: date, end: date) -> tuple[engine.UsageInput, ...]:
    # Columns, not UsageDaily objects: a quarter is ninety rows a contract, and the engine wants values.
    rows = db.session.execute(
        sa.select(*_USAGE_COLUMNS)
        .where(UsageDaily.client_id == client_id, UsageDaily.day >= start, UsageDaily.day <= end)
        .order_by(UsageDaily.day)
    )
    return tuple(engine.UsageInput(*row) for row in rows)


def _usage_split(
    client_id: int, previous: engine.Period, period: engine.Period
) -> tuple[tuple[engine.UsageInput, ...], tuple[engine.UsageInput, ...]]:
    """(the previous period's usage, the period's usage), read in one query (they are adjacent)."""
    both = _usage(client_id, previous.start, period.end)
    return (
        tuple(u for u in both if u.day <= previous.end),
        tuple(u for u in both if u.day >= period.start),
    )


def service_end(contract: Contract) -> date:
    """The last day of service (a termination ends service the day before it takes effect)."""
    if contract.terminated_on is not None:
        return min(contract.end_on, contract.terminated_on - timedelta(days=1))
    return contract.end_on


def _overlaps(contract: Contract, period: engine.Period) -> bool:
    return contract.start_on <= period.end and service_end(contract) >= period.start


def final_true_up(contract: Contract, period: engine.Period) -> bool:
    """Whether ``period`` is the one right after an in-advance contract's last service period: it
    bills that period's true-up (and KPI) only, and every later period is not due."""
    return (
        contract.billing_timing == "in_advance"
        and period.start > service_end(contract)
        and _overlaps(contract, previous_period(period))
    )


# Lines an in-advance invoice bills for its own period (true-ups and KPI are of the period before).
_ADVANCE_KINDS = ("seat", "base", "consult", "minimum")


def _advance_lines(contract: Contract, period: engine.Period) -> tuple[engine.EngineLine, ...]:
    """The advance lines of the contract's (not void, so only) invoice for ``period``, in order."""
    rows = db.session.execute(
        sa.select(
            InvoiceLine.kind,
            InvoiceLine.description,
            InvoiceLine.quantity,
            InvoiceLine.unit,
            InvoiceLine.unit_price_fen,
            InvoiceLine.amount_fen,
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            Invoice.contract_id == contract.id,
            Invoice.period == period.code,
            Invoice.status != "void",
            InvoiceLine.kind.in_(_ADVANCE_KINDS),
        )
        .order_by(InvoiceLine.position, InvoiceLine.id)
    )
    return tuple(
        engine.EngineLine(kind, description, Decimal(quantity), unit, unit_price_fen, amount_fen)
        for kind, description, quantity, unit, unit_price_fen, amount_fen in rows
    )


def compute(contract: Contract, period: engine.Period, adjustments=(), late_fees=()) -> engine.EngineResult:
    """The engine's lines for one contract and invoice period, from what the database holds."""
    previous = previous_period(period)
    # One query for two counts of the contract's (not void) invoices: those of earlier periods, and
    # those of the previous period (an in-advance contract's true-up needs its advance invoice).
    earlier, previous_billed = db.session.execute(
        sa.select(
            sa.func.count().filter(Invoice.period_start < period.start),
            sa.func.count().filter(Invoice.period == previous.code),
        ).where(Invoice.contract_id == contract.id, Invoice.status != "void")
    ).one()
    in_advance = contract.billing_timing == "in_advance"
    terms = contract_input(contract)
    if in_advance and _overlaps(contract, previous) and not previous_billed:
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
    # The previous period's advance lines; None without its invoice (counted above).
    advance = _advance_lines(contract, previous) if in_advance and previous_billed else None
    if in_advance:
        previous_usage, usage = _usage_split(contract.client_id, previous, period)
    else:
        previous_usage, usage = (), _usage(contract.client_id, period.start, period.end)
    return engine.bill(
        terms,
        period,
        assignments=assignments,
        usage=usage,
        previous_usage=previous_usage,
        previous_assignments=assignments if in_advance else (),
        adjustments=tuple(adjustments),
        late_fees=tuple(late_fees),
        first_invoice=not earlier,
        last_invoice=period.start <= service_end(contract) <= period.end,
        previous_advance=advance,
        dated_extras=dated_extra_inputs(contract),
    )


def _voided(contract: Contract, period: engine.Period) -> int | None:
    """The last voided, numbered invoice of the contract's ``period`` (a new draft replaces it)."""
    return db.session.scalar(
        sa.select(Invoice.id)
        .where(
            Invoice.contract_id == contract.id,
            Invoice.period == period.code,
            Invoice.status == "void",
            Invoice.number.is_not(None),
        )
        .order_by(Invoice.id.desc())
        .limit(1)
    )


def write_draft(invoice: Invoice, contract: Contract, result: engine.EngineResult) -> None:
    invoice.lines.clear()
    # The invoice's values before the flush: a new invoice is then one INSERT, not an INSERT and an UPDATE.
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
    invoice.notes = list(result.notes)
    invoice.kpi_results = [r.as_dict() for r in result.kpi_results]
    db.session.flush()
    # One executemany: the ORM inserts lines one statement each on SQLite (it needs each new id back).
    rows = [
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
    ]
    if rows:  # an empty parameter list would insert one row of defaults
        db.session.execute(sa.insert(InvoiceLine.__table__), rows)
    db.session.expire(invoice, ["lines"])


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

    Returns (invoice, outcome) with outcome "created", "refreshed", "unchanged" (issued or paid:
    never touched) or "not_due" (the contract does not serve in that period). Void invoices are
    ignored (kept for the record): a period whose invoice was voided gets a new draft, linked to the
    last voided, numbered one (``replaces_id``). An in-advance contract is still due once after its
    term: the period right after the last service period bills that period's final true-up (see
    ``final_true_up``). The caller holds the contract's lock (``lock_contract`` inside
    ``write_transaction``, as the run does); the invoice is locked here, after it — the billing lock
    order.
    """
    period = engine.parse_period(period_code)
    invoice = db.session.scalar(
        sa.select(Invoice)
        .options(selectinload(Invoice.lines))
        .where(Invoice.contract_id == contract.id, Invoice.period == period.code, Invoice.status != "void")
        .with_for_update()
    )
    if invoice is not None and invoice.status != "draft":
        return invoice, "unchanged"
    if not _overlaps(contract, period) and not final_true_up(contract, period):
        return invoice, "not_due"
    charges = late_fees_for_draft(contract, invoice, by=by)
    result = compute(contract, period, manual_adjustments(invoice), late_fee_inputs(charges))
    outcome = "refreshed"
    if invoice is None:
        invoice = Invoice(
            contract_id=contract.id,
            client_id=contract.client_id,
            period=period.code,
            period_start=period.start,
            period_end=period.end,
            status="draft",
            replaces_id=_voided(contract, period),
        )
        db.session.add(invoice)
        outcome = "created"
    write_draft(invoice, contract, result)
    db.session.flush()
    for charge in charges:  # a charge waiting for a draft now belongs to this one
        charge.billed_on_invoice_id = invoice.id
    record(
        f"invoice.draft_{outcome}",
        invoice,
        summary=f"{contract.number} {period.code}",
        after={"total_fen": invoice.total_fen, "lines": len(result.lines)},  # the lines write_draft wrote
        actor=by,
    )
    return invoice, outcome


def refresh_locked(contract_id: int, period_code: str, by) -> tuple[Invoice | None, str]:
    """One contract's draft in its own write transaction, under the contract's lock (then the invoice's)."""
    with write_transaction():
        # The KPIs and their bands in two queries, not one per KPI (the engine reads them all).
        contract = lock_contract(contract_id, selectinload(Contract.kpis).selectinload(ContractKpi.bands))
        return refresh_draft(contract, period_code, by=by)
