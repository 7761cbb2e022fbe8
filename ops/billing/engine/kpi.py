"""KPI deductions per assessed month, capped at the contract's share of the month's service fee.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from ops.billing.engine.inputs import METRIC_FIELDS, PREC, ContractInput, EngineLine, UsageInput
from ops.billing.engine.service import in_window, term_window
from ops.contracts.terms import METRICS, RATE_METRICS, format_threshold
from ops.money import apply_bp, format_bp, format_fen, round_fen
from ops.periods import Period, month_bounds, month_code


def _show_metric(metric: str, value: Fraction, threshold: int) -> str:
    """The month's figure as printed: seconds to 0.1 s, rates to 0.01% — more digits when the
    rounded figure would read exactly as the threshold."""
    with localcontext(prec=PREC, rounding=ROUND_HALF_UP):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        if metric in RATE_METRICS:
            percent = exact.scaleb(-2)
            for places in (2, 4, 6):
                shown = percent.quantize(Decimal(1).scaleb(-places))
                if shown != Decimal(threshold).scaleb(-2):
                    break
            return f"{shown.normalize():f}%"
        seconds = exact.scaleb(-3)
        for places in (1, 3, 6):
            shown = seconds.quantize(Decimal(1).scaleb(-places))
            if shown != threshold:
                break
        return f"{shown:f} 秒"


def kpi_lines(
    contract: ContractInput, period: Period, usage: Sequence[UsageInput], month_fees: dict[str, Decimal]
) -> tuple[list[EngineLine], list[str]]:
    lines: list[EngineLine] = []
    notes: list[str] = []
    if not contract.kpis:
        return lines, notes
    for year, month in period.months:
        code = month_code(year, month)
        window = term_window(contract, *month_bounds(year, month))
        if window is None:
            continue
        index = (year - contract.start_on.year) * 12 + month - contract.start_on.month
        if index < contract.breakin_months:
            notes.append(f"{code} 为磨合期，不考核 KPI")
            continue
        fee = month_fees.get(code, Decimal(0))
        cap = round_fen(apply_bp(fee, contract.kpi_cap_bp))
        used = 0
        rows = [u for u in usage if in_window(u.day, window)]
        for kpi in contract.kpis:
            label = METRICS[kpi.metric][0]
            name, factor = METRIC_FIELDS[kpi.metric]
            weighted = [
                (getattr(u, name), u.consults)
                for u in rows
                if getattr(u, name) is not None and u.consults > 0
            ]
            if not weighted:
                notes.append(f"{label} {code} 无数据，未考核")
                continue
            total = sum(value * consults for value, consults in weighted)
            consults = sum(c for _, c in weighted)
            limit = kpi.threshold * factor * consults
            breached = total > limit if kpi.comparison == "lte" else total < limit
            if not breached:
                continue
            shown = _show_metric(kpi.metric, Fraction(total, consults), kpi.threshold)
            reason = (
                f"{label} {code} 为 {shown}，{'高于' if kpi.comparison == 'lte' else '低于'}约定的 "
                f"{format_threshold(kpi.metric, kpi.threshold)}"
            )
            if kpi.deduction_kind == "percent":
                full = round_fen(apply_bp(fee, kpi.deduction_bp))
                how = f"当月服务费 {format_fen(round_fen(fee))} × {format_bp(kpi.deduction_bp)}"
            else:
                full = kpi.deduction_fen
                how = f"固定扣款 {format_fen(full)}"
            amount = min(full, cap - used)
            if amount <= 0:
                if full > 0:
                    notes.append(
                        f"{reason}；当月 KPI 扣款已达上限 {format_bp(contract.kpi_cap_bp)}，不再扣款"
                    )
                continue
            used += amount
            description = f"KPI 扣款 {code}：{label}未达标（{how}"
            if amount < full:
                description += f"，应扣 {format_fen(full)}，已达扣款上限 {format_bp(contract.kpi_cap_bp)}"
            description += "）"
            lines.append(
                EngineLine("kpi", description, Decimal(1), "项", None, -amount, reason=reason, month=code)
            )
    return lines, notes
