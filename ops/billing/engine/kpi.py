"""KPI deductions per assessed month, capped at the contract's share of the month's service fee.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from ops.billing.engine.inputs import (
    COMPLEMENT_METRICS,
    METRIC_FIELDS,
    PREC,
    BandInput,
    ContractInput,
    EngineLine,
    KpiInput,
    KpiResult,
    UsageInput,
)
from ops.billing.engine.service import in_window, term_window
from ops.contracts.terms import COMPARISONS, METRICS, RATE_METRICS, band_label, format_threshold
from ops.i18n import N_
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


def _measure(kpi: KpiInput, rows: Sequence[UsageInput]) -> Fraction | None:
    """The month's figure in the threshold's unit × factor (ms, or basis points), weighted by consults;
    None when no day has it."""
    name, factor = METRIC_FIELDS[kpi.metric]
    weighted = [
        (getattr(u, name), u.consults) for u in rows if getattr(u, name) is not None and u.consults > 0
    ]
    if not weighted:
        return None
    total = sum(value * consults for value, consults in weighted)
    consults = sum(c for _, c in weighted)
    value = Fraction(total, consults)
    return 10_000 - value if kpi.metric in COMPLEMENT_METRICS else value


def _band_reached(kpi: KpiInput, value: Fraction) -> BandInput | None:
    """The worst band strictly passed, or None when the target is met."""
    _, factor = METRIC_FIELDS[kpi.metric]
    reached = None
    for band in kpi.bands:
        limit = band.threshold * factor
        if value > limit if kpi.comparison == "lte" else value < limit:
            reached = band
    return reached


def _target(kpi: KpiInput) -> str:
    return f"{COMPARISONS[kpi.comparison]} {format_threshold(kpi.metric, kpi.bands[0].threshold)}"


def kpi_lines(
    contract: ContractInput, period: Period, usage: Sequence[UsageInput], month_fees: dict[str, Decimal]
) -> tuple[list[EngineLine], list[str], list[KpiResult]]:
    """The KPI deduction lines of ``period``, the notes, and every clause's result per month."""
    lines: list[EngineLine] = []
    notes: list[str] = []
    results: list[KpiResult] = []
    if not contract.kpis:
        return lines, notes, results
    for year, month in period.months:
        code = month_code(year, month)
        window = term_window(contract, *month_bounds(year, month))
        if window is None:
            continue
        index = (year - contract.start_on.year) * 12 + month - contract.start_on.month
        if index < contract.breakin_months:
            notes.append(f"{code} 为磨合期，不考核 KPI")
            results += [
                KpiResult(code, k.metric, METRICS[k.metric][0], "—", _target(k), N_("磨合期，不考核"), 0)
                for k in contract.kpis
            ]
            continue
        fee = month_fees.get(code, Decimal(0))
        rows = [u for u in usage if in_window(u.day, window)]
        month_lines, month_notes, month_results = _assess_month(contract, code, fee, rows)
        lines += month_lines
        notes += month_notes
        results += month_results
    return lines, notes, results


def _assess_month(
    contract: ContractInput, code: str, fee: Decimal, rows: Sequence[UsageInput]
) -> tuple[list[EngineLine], list[str], list[KpiResult]]:
    lines: list[EngineLine] = []
    notes: list[str] = []
    results: list[KpiResult] = []
    cap = round_fen(apply_bp(fee, contract.kpi_cap_bp))
    used = 0
    for kpi in contract.kpis:
        label = METRICS[kpi.metric][0]
        target = _target(kpi)
        value = _measure(kpi, rows)
        if value is None:
            notes.append(f"{label} {code} 无数据，未考核")
            results.append(KpiResult(code, kpi.metric, label, "—", target, N_("无数据，未考核"), 0))
            continue
        band = _band_reached(kpi, value)
        shown = _show_metric(kpi.metric, value, (band or kpi.bands[0]).threshold)
        if band is None:
            results.append(KpiResult(code, kpi.metric, label, shown, target, N_("达标"), 0))
            continue
        passed = band_label(kpi.metric, kpi.comparison, band.threshold)
        reason = f"{label} {code} 为 {shown}，{passed}"
        if len(kpi.bands) == 1:
            reason = (
                f"{label} {code} 为 {shown}，{'高于' if kpi.comparison == 'lte' else '低于'}约定的 "
                f"{format_threshold(kpi.metric, band.threshold)}"
            )
        if kpi.deduction_kind == "percent":
            full = round_fen(apply_bp(fee, band.deduction_bp))
            how = f"当月服务费 {format_fen(round_fen(fee))} × {format_bp(band.deduction_bp)}"
        else:
            full = band.deduction_fen
            how = f"固定扣款 {format_fen(full)}"
        amount = max(0, min(full, cap - used))
        note = ""
        if amount < full:
            note = f"当月 KPI 扣款已达上限 {format_bp(contract.kpi_cap_bp)}，应扣 {format_fen(full)}"
        results.append(KpiResult(code, kpi.metric, label, shown, target, passed, amount, note))
        if amount <= 0:
            if full > 0:
                notes.append(f"{reason}；当月 KPI 扣款已达上限 {format_bp(contract.kpi_cap_bp)}，不再扣款")
            continue
        used += amount
        description = f"KPI 扣款 {code}：{label}未达标（{how}"
        if len(kpi.bands) > 1:
            description = f"KPI 扣款 {code}：{label}{passed}（{how}"
        if amount < full:
            description += f"，应扣 {format_fen(full)}，已达扣款上限 {format_bp(contract.kpi_cap_bp)}"
        description += "）"
        lines.append(
            EngineLine("kpi", description, Decimal(1), "项", None, -amount, reason=reason, month=code)
        )
    return lines, notes, results
