"""One invoice: the service lines, KPI deductions, adjustments, tax and the deposit offset.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ops.billing.engine.extras import dated_extra_lines, validate_dated_extras
from ops.billing.engine.inputs import (
    PREC,
    SERVICE_KINDS,
    AdjustmentInput,
    AssignmentInput,
    ContractInput,
    DatedExtraInput,
    EngineLine,
    EngineResult,
    LateFeeInput,
    UsageInput,
    validate,
)
from ops.billing.engine.kpi import kpi_lines
from ops.billing.engine.service import (
    actual_service,
    advance_service,
    extra_lines,
    term_window,
    true_up_lines,
)
from ops.money import apply_bp, format_fen, round_fen
from ops.periods import Period, previous_period


def bill(
    contract: ContractInput,
    period: Period,
    *,
    assignments: Sequence[AssignmentInput] = (),
    usage: Sequence[UsageInput] = (),
    previous_usage: Sequence[UsageInput] = (),
    previous_assignments: Sequence[AssignmentInput] = (),
    adjustments: Sequence[AdjustmentInput] = (),
    late_fees: Sequence[LateFeeInput] = (),
    first_invoice: bool = False,
    last_invoice: bool = False,
    previous_advance: Sequence[EngineLine] | None = None,
    dated_extras: Sequence[DatedExtraInput] = (),
) -> EngineResult:
    """The lines and totals of ONE invoice of ``period`` for ``contract`` (see the module docstring).

    ``period`` is the invoice period (invoice_period_for_run). In arrears, ``assignments`` and
    ``usage`` are those of ``period``. In advance, ``period`` is billed at contracted seats and
    ``previous_assignments`` / ``previous_usage`` are those of the period just before it (trued up
    and assessed for KPIs); ``assignments`` and ``usage`` are then not needed.
    ``previous_advance``: the advance lines the previous period's invoice actually billed (so a
    termination recorded after that invoice is trued up against what the client paid); when None,
    the advance is recomputed from the terms.

    After the term (the period right after the last service period), an in-advance contract is
    billed its final true-up only: ``advance_service`` has no days left to bill. ``late_fees`` are
    billed late fees of earlier invoices (engine.late_fees): one taxable "late_fee" line each.
    ``dated_extras`` are billed for their days in the period served: ``period`` in arrears, the
    trued-up previous period in advance (ops.billing.engine.extras).
    """
    validate(contract, (*usage, *previous_usage))
    validate_dated_extras(dated_extras)
    with localcontext(prec=PREC, rounding=ROUND_HALF_UP):
        notes: list[str] = []
        if contract.billing_timing == "in_arrears":
            actual = actual_service(contract, period, assignments, usage)
            lines = (
                actual.lines
                + extra_lines(contract, period)
                + dated_extra_lines(contract, period, dated_extras)
            )
            kpi, kpi_notes, kpi_results = kpi_lines(contract, period, usage, actual.month_fees)
        else:
            lines = advance_service(contract, period) + extra_lines(contract, period)
            previous = previous_period(period)
            if term_window(contract, previous.start, previous.end) is None:
                kpi, kpi_notes, kpi_results = [], [], []
                if previous.end < contract.start_on:
                    notes.append(f"首期预收，无上期（{previous.code}）多退少补")
            else:
                actual = actual_service(contract, previous, previous_assignments, previous_usage)
                advance = (
                    advance_service(contract, previous)
                    if previous_advance is None
                    else list(previous_advance)
                )
                lines += true_up_lines(contract, previous, actual.lines, advance)
                lines += dated_extra_lines(contract, previous, dated_extras)
                if term_window(contract, period.start, period.end) is None:
                    notes.append(
                        f"合同服务已于上期（{previous.code}）结束：本期只做最后一期多退少补，不再预收"
                    )
                kpi, kpi_notes, kpi_results = kpi_lines(contract, previous, previous_usage, actual.month_fees)
        lines += [
            EngineLine("late_fee", fee.description, Decimal(1), "项", None, fee.amount_fen)
            for fee in late_fees
        ]
        lines += kpi
        notes += kpi_notes
        for adj in adjustments:
            lines.append(
                EngineLine(
                    "adjustment", adj.description, Decimal(1), "项", None, adj.amount_fen, reason=adj.reason
                )
            )

        service = sum(line.amount_fen for line in lines if line.kind in SERVICE_KINDS)
        deductions = sum(line.amount_fen for line in lines if line.kind == "kpi")
        adjusted = sum(line.amount_fen for line in lines if line.kind == "adjustment")
        taxable = service + deductions + adjusted
        rate = contract.tax_rate_bp
        if contract.prices_include_tax:
            tax = round_fen(Decimal(taxable) * rate / (10_000 + rate))
            net = taxable - tax
        else:
            tax = round_fen(apply_bp(taxable, rate))
            net = taxable
        deposit = 0
        applies = (contract.deposit_usage == "first_invoice" and first_invoice) or (
            contract.deposit_usage == "last_invoice" and last_invoice
        )
        if contract.deposit_received and applies and contract.deposit_fen > 0:
            deposit = min(contract.deposit_fen, max(0, net + tax))
            if deposit:
                lines.append(
                    EngineLine(
                        "deposit",
                        f"定金抵扣（已收定金 {format_fen(contract.deposit_fen)}）",
                        Decimal(1),
                        "项",
                        None,
                        -deposit,
                    )
                )
            if deposit < contract.deposit_fen:
                notes.append(
                    f"定金 {format_fen(contract.deposit_fen)} 本期抵扣 {format_fen(deposit)}，"
                    f"余额 {format_fen(contract.deposit_fen - deposit)} 未抵扣"
                )
        return EngineResult(
            period=period,
            lines=tuple(lines),
            service_fen=service,
            deductions_fen=deductions,
            adjustments_fen=adjusted,
            taxable_fen=taxable,
            tax_fen=tax,
            net_fen=net,
            deposit_offset_fen=-deposit,
            total_fen=net + tax - deposit,
            notes=tuple(notes),
            kpi_results=tuple(kpi_results),
        )
