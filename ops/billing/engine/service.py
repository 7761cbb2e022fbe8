"""The service lines: seats, base and commission, consults and minimum, extras, in-advance and true-up.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from ops.billing.engine.dates import days_served
from ops.billing.engine.inputs import (
    CONSULT_KINDS,
    REASON_MAX,
    SEAT_KINDS,
    AssignmentInput,
    BillingError,
    ContractInput,
    EngineLine,
    UsageInput,
)
from ops.money import apply_bp, format_bp, format_fen, format_multiplier, round_fen
from ops.periods import Period, month_bounds, month_code
from ops.quotes.pricing import SCOPES, SHIFTS, daily_allowance_terms, tiered_amount


def _service_end(contract: ContractInput) -> date:
    end = contract.end_on
    if contract.terminated_on is not None:
        end = min(end, contract.terminated_on - timedelta(days=1))
    return end


def term_window(contract: ContractInput, start: date, end: date) -> tuple[date, date] | None:
    """The days of [start, end] inside the contract's term, or None when there are none."""
    first = max(start, contract.start_on)
    last = min(end, _service_end(contract))
    return (first, last) if first <= last else None


def segments(
    contract: ContractInput, window: tuple[date, date] | None
) -> list[tuple[date, date, ContractInput]]:
    """[(first, last, terms in force)] covering ``window``, split at each amendment's effective date.

    The terms of a segment are ``contract`` with the seat rows and extras of the last version
    effective on or before its first day (the base terms before any). Without versions, or without
    one taking effect inside the window, this is one segment: the contract as it is.
    """
    if window is None:
        return []
    first, last = window
    cuts = sorted({v.effective_on for v in contract.versions if first < v.effective_on <= last})
    result = []
    for cut in [*cuts, last + timedelta(days=1)]:
        terms = contract
        if contract.versions:
            terms = replace(contract, versions=())
            for v in contract.versions:
                if v.effective_on <= first:
                    terms = replace(terms, seats=v.seats, extras=v.extras)
        result.append((first, cut - timedelta(days=1), terms))
        first = cut
    return result


def _days(window: tuple[date, date] | None) -> int:
    return 0 if window is None else (window[1] - window[0]).days + 1


def in_window(day: date, window: tuple[date, date] | None) -> bool:
    return window is not None and window[0] <= day <= window[1]


def _seat_label(scope: str, shift: str) -> str:
    return f"{SCOPES.get(scope, scope)}{SHIFTS.get(shift, shift)}"


def _kind_label(contract: ContractInput) -> tuple[str, str]:
    """(line kind, printed word) of the seat lines: 席位 for fixed seats, 底薪 for base + commission."""
    return ("base", "底薪") if contract.model == "base_commission" else ("seat", "席位")


def _seat_rate(contract: ContractInput, assignment: AssignmentInput) -> int:
    for row in contract.seats:
        if row.scope == assignment.scope and row.shift == assignment.shift:
            return row.monthly_rate_fen
    raise BillingError(
        f"坐席 {assignment.agent_name} 的岗位（{_seat_label(assignment.scope, assignment.shift)}）"
        "在合同中没有对应的席位价格"
    )


def _prorate(amount_fen: int, days: int, days_in_month: int) -> Decimal:
    return Decimal(amount_fen) * days / days_in_month


@dataclass
class _Actual:
    """What an in-arrears invoice of a period bills as service (extras excluded)."""

    lines: list[EngineLine]
    month_fees: dict[str, Decimal]  # month code → service fee for KPI percentages


def actual_service(
    contract: ContractInput,
    period: Period,
    assignments: Sequence[AssignmentInput],
    usage: Sequence[UsageInput],
) -> _Actual:
    lines: list[EngineLine] = []
    month_fees: dict[str, Decimal] = {}
    gmv_by_month: dict[str, int] = {}
    for year, month in period.months:
        code = month_code(year, month)
        month_start, month_end = month_bounds(year, month)
        dim = (month_end - month_start).days + 1
        window = term_window(contract, month_start, month_end)
        if window is None:
            continue
        month_lines: list[EngineLine] = []
        rows = [u for u in usage if in_window(u.day, window)]
        gmv_by_month[code] = sum(u.served_gmv_fen for u in rows)
        if contract.model in ("fixed_seat", "base_commission"):
            month_lines.extend(_seat_lines(contract, assignments, code, dim, window))
        else:
            month_lines.extend(_consult_lines(contract, code, rows, _days(window), dim))
        lines.extend(month_lines)
        month_fees[code] = Decimal(sum(line.amount_fen for line in month_lines))
    if contract.model == "base_commission" and month_fees:
        window = term_window(contract, period.start, period.end)
        rows = [u for u in usage if in_window(u.day, window)]
        gmv = sum(u.served_gmv_fen for u in rows)
        refunds = sum(u.refunds_fen for u in rows)
        base = max(0, gmv - refunds)
        amount = round_fen(apply_bp(base, contract.commission_rate_bp))
        shown = format_fen(base) if gmv >= refunds else f"{format_fen(0)}（退款超过销售额，按 0 计）"
        lines.append(
            EngineLine(
                "commission",
                f"提成 {period.code}：服务销售额 {format_fen(gmv)} − 退款 {format_fen(refunds)} = {shown}"
                f" × {format_bp(contract.commission_rate_bp)}",
                Decimal(base) / 100,
                "元",
                None,
                amount,
            )
        )
        if amount:  # gmv > 0 here, so every month's share is defined
            for code in month_fees:
                month_fees[code] += Decimal(amount) * gmv_by_month[code] / gmv
    return _Actual(lines, month_fees)


def _seat_lines(
    contract: ContractInput,
    assignments: Sequence[AssignmentInput],
    code: str,
    dim: int,
    window: tuple[date, date],
) -> list[EngineLine]:
    """One line per assignment and term segment of the month: its days served in the segment at the
    rate of the seat row in force there (an amendment's effective date splits the month)."""
    kind, word = _kind_label(contract)
    lines = []
    parts = segments(contract, window)
    for a in assignments:
        for first, last, terms in parts:
            days = days_served(a.go_live_on, a.end_on, first, last)
            if days == 0:
                continue
            rate = _seat_rate(terms, a)
            lines.append(
                EngineLine(
                    kind,
                    f"{_seat_label(a.scope, a.shift)}{word} · {a.agent_name} · {code} 服务 {days}/{dim} 天"
                    f" × {format_fen(rate)}/月",
                    Decimal(days),
                    "天",
                    None,  # the monthly rate is in the formula: days × it would mislead (docstring)
                    round_fen(_prorate(rate, days, dim)),
                    month=code,
                )
            )
    return lines


def _consult_lines(
    contract: ContractInput, code: str, rows: Sequence[UsageInput], contract_days: int, dim: int
) -> list[EngineLine]:
    valid = sum(u.valid_consults for u in rows)
    multiplier = contract.consult_multiplier_bp
    factor = "" if multiplier == 10_000 else f" × {format_multiplier(multiplier)}"
    if contract.tier_mode == "daily_allowance":
        lines = _daily_allowance_lines(contract, code, rows, contract_days, dim)
    else:
        if contract.tier_mode == "band":
            average = valid // contract_days
            yuan = tiered_amount(average, contract.tiers, "band") * contract_days / dim
            description = f"咨询服务费 {code}：有效咨询 {valid:,} 次，日均 {average:,} 次（按档包月"
            description += "）" if contract_days == dim else f"，服务 {contract_days}/{dim} 天）"
        else:
            yuan = tiered_amount(valid, contract.tiers, contract.tier_mode)
            description = f"咨询服务费 {code}：有效咨询 {valid:,} 次"
        amount = round_fen(apply_bp(yuan * 100, multiplier))
        lines = [EngineLine("consult", description + factor, Decimal(valid), "次", None, amount, month=code)]
    amount = sum(line.amount_fen for line in lines)
    minimum = round_fen(_prorate(contract.monthly_minimum_fen, contract_days, dim))
    if amount < minimum:
        shortfall = minimum - amount
        prorated = "" if contract_days == dim else f" × {contract_days}/{dim} 天 = {format_fen(minimum)}"
        lines.append(
            EngineLine(
                "minimum",
                f"最低消费补足 {code}：月度最低消费 {format_fen(contract.monthly_minimum_fen)}{prorated}，"
                f"补足 {format_fen(shortfall)}",
                Decimal(1),
                "项",
                None,
                shortfall,
                month=code,
            )
        )
    return lines


def _daily_allowance_lines(
    contract: ContractInput, code: str, rows: Sequence[UsageInput], contract_days: int, dim: int
) -> list[EngineLine]:
    """每日包量: the monthly fee prorated by contract days (like a band), and the consults above the
    daily allowance counted day by day (Σ over platforms per day) at the unit price; × multiplier."""
    fee_yuan, allowance, price_yuan = daily_allowance_terms(contract.tiers)
    fee_fen, price_fen = int(fee_yuan * 100), int(price_yuan * 100)
    multiplier = contract.consult_multiplier_bp
    factor = "" if multiplier == 10_000 else f" × {format_multiplier(multiplier)}"
    per_day: dict[date, int] = {}
    for u in rows:
        per_day[u.day] = per_day.get(u.day, 0) + u.valid_consults
    over = sum(max(0, valid - allowance) for valid in per_day.values())
    plain = multiplier == 10_000
    full = contract_days == dim
    days = "" if full else f" × {contract_days}/{dim} 天"
    return [
        EngineLine(
            "consult",
            f"咨询服务月固定费 {code}：{format_fen(fee_fen)}（每日含有效咨询 {allowance:,} 次）{days}{factor}",
            Decimal(1) if full else Decimal(contract_days),
            "月" if full else "天",
            fee_fen if plain else None,
            round_fen(apply_bp(_prorate(fee_fen, contract_days, dim), multiplier)),
            month=code,
        ),
        EngineLine(
            "consult",
            f"超出部分 {code}：Σ max(0, 当日有效咨询 − {allowance:,}) = {over:,} 次 × {format_fen(price_fen)}{factor}",
            Decimal(over),
            "次",
            price_fen if plain else None,
            round_fen(apply_bp(over * price_fen, multiplier)),
            month=code,
        ),
    ]


def advance_service(contract: ContractInput, period: Period) -> list[EngineLine]:
    """Lines billed in advance for ``period``: contracted seats, or the prorated monthly minimum."""
    kind, word = _kind_label(contract)
    lines: list[EngineLine] = []
    for year, month in period.months:
        code = month_code(year, month)
        month_start, month_end = month_bounds(year, month)
        dim = (month_end - month_start).days + 1
        days = _days(term_window(contract, month_start, month_end))
        if days == 0:
            continue
        if contract.model == "per_consult":
            amount = round_fen(_prorate(contract.monthly_minimum_fen, days, dim))
            if amount:
                lines.append(
                    EngineLine(
                        "consult",
                        f"咨询服务费 {code} 预收（月度最低消费 {format_fen(contract.monthly_minimum_fen)}"
                        f" × {days}/{dim} 天）",
                        Decimal(days),
                        "天",
                        None,
                        amount,
                        month=code,
                    )
                )
            continue
        for first, last, terms in segments(contract, term_window(contract, month_start, month_end)):
            days = (last - first).days + 1
            for row in terms.seats:
                if row.seats <= 0:
                    continue
                amount = round_fen(_prorate(row.row_total_fen, days, dim))
                lines.append(
                    EngineLine(
                        kind,
                        f"{_seat_label(row.scope, row.shift)}{word} × {row.seats} 席 · {code} 预收 {days}/{dim} 天"
                        f" × {format_fen(row.monthly_rate_fen)}/月",
                        Decimal(row.seats),
                        "席",
                        None,
                        amount,
                        month=code,
                    )
                )
    return lines


def extra_lines(contract: ContractInput, period: Period) -> list[EngineLine]:
    """Recurring extras: one line per extra and month with contract days, quantity × unit price.

    A month an amendment splits bills each part's extras prorated by its days instead:
    round(quantity × unit price × days in the part ÷ days in the month), "× 16/31 天" in the line.
    """
    lines: list[EngineLine] = []
    for year, month in period.months:
        code = month_code(year, month)
        month_start, month_end = month_bounds(year, month)
        dim = (month_end - month_start).days + 1
        parts = segments(contract, term_window(contract, month_start, month_end))
        for first, last, terms in parts:
            days = (last - first).days + 1
            for extra in terms.extras:
                full = extra.quantity * extra.unit_price_fen
                split = len(parts) > 1
                lines.append(
                    EngineLine(
                        "extra",
                        f"{extra.label} {code}：{extra.quantity:,} {extra.unit} × {format_fen(extra.unit_price_fen)}"
                        + (f" × {days}/{dim} 天" if split else ""),
                        Decimal(extra.quantity),
                        extra.unit,
                        None if split else extra.unit_price_fen,
                        round_fen(_prorate(full, days, dim)) if split else full,
                        month=code,
                    )
                )
    return lines


def true_up_lines(
    contract: ContractInput, previous: Period, actual: list[EngineLine], advance: list[EngineLine]
) -> list[EngineLine]:
    _, word = _kind_label(contract)
    if contract.model == "fixed_seat":
        groups: list[tuple[str, tuple[str, ...]]] = [(word, SEAT_KINDS)]
    elif contract.model == "base_commission":
        groups = [(word, SEAT_KINDS), ("提成", ("commission",))]
    else:
        groups = [("咨询费", CONSULT_KINDS)]
    lines = []
    for label, kinds in groups:
        done = [line for line in actual if line.kind in kinds]
        actual_fen = sum(line.amount_fen for line in done)
        advance_fen = sum(line.amount_fen for line in advance if line.kind in kinds)
        reason = "；".join(f"{line.description} {format_fen(line.amount_fen)}" for line in done)
        if len(reason) > REASON_MAX:
            reason = f"实际明细共 {len(done)} 行，合计 {format_fen(actual_fen)}"
        lines.append(
            EngineLine(
                "true_up",
                f"上期（{previous.code}）{label}多退少补：实际 {format_fen(actual_fen)} − 预收 {format_fen(advance_fen)}",
                Decimal(1),
                "项",
                None,
                actual_fen - advance_fen,
                reason=reason or "上期无实际服务",
            )
        )
    return lines
