"""Dated extras: work done on dates (节假日补贴, 大促临时客服), billed once, in the period its days fall in.

Pure: no Flask, no database.

An entry covers the days [start_on, end_on] (inclusive). A line bills the entry's days inside the
billed service period and the contract's term: days × headcount (× shifts per day) × unit price —
an integer number of fen, so nothing is rounded. An entry spanning two periods is split by days:
each period bills its own days, so the parts add up to the whole and no day is billed twice.

Timing: the billed service period is the invoice period in arrears. In advance, dated extras are
not known beforehand, so they are billed in arrears too: on the invoice that trues up the period
they happened in (the period just before the invoice period), alongside the true-up lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from ops.billing.engine.inputs import DATED_UNITS, BillingError, ContractInput, DatedExtraInput, EngineLine
from ops.billing.engine.service import term_window
from ops.money import format_fen
from ops.periods import Period, month_of


def validate_dated_extras(extras: Sequence[DatedExtraInput]) -> None:
    for extra in extras:
        where = f"{extra.label} {extra.start_on.isoformat()}"
        if extra.end_on < extra.start_on:
            raise BillingError(f"按日附加费的结束日期早于开始日期：{where}")
        if extra.unit not in DATED_UNITS:
            raise BillingError(f"按日附加费的单位无效：{where}（{extra.unit!r}）")
        if extra.headcount <= 0:
            raise BillingError(f"按日附加费的人数必须大于 0：{where}")
        if extra.shifts_per_day <= 0 or (extra.unit == "person_day" and extra.shifts_per_day != 1):
            raise BillingError(f"按日附加费的每日班次无效：{where}")
        if extra.unit_price_fen < 0:
            raise BillingError(f"按日附加费的单价不能为负数：{where}")


def _range(first: date, last: date) -> str:
    """2026-10-01～10-07; the year is repeated only when it changes."""
    tail = last.strftime("%m-%d") if first.year == last.year else last.isoformat()
    return f"{first.isoformat()}～{tail}"


def dated_extra_lines(
    contract: ContractInput, period: Period, extras: Sequence[DatedExtraInput]
) -> list[EngineLine]:
    """One "extra" line per entry with days inside ``period`` and the contract's term."""
    lines: list[EngineLine] = []
    for extra in extras:
        window = term_window(contract, max(extra.start_on, period.start), min(extra.end_on, period.end))
        if window is None:
            continue
        days = (window[1] - window[0]).days + 1
        quantity = days * extra.headcount * extra.shifts_per_day
        shifts = f" × {extra.shifts_per_day} 班" if extra.unit == "person_shift_day" else ""
        split = (
            ""
            if window == (extra.start_on, extra.end_on)
            else f"（登记 {_range(extra.start_on, extra.end_on)}）"
        )
        month = month_of(window[0])
        lines.append(
            EngineLine(
                "extra",
                f"{extra.label} {_range(*window)}{split}：{extra.headcount} 人{shifts} × {days} 天"
                f" × {format_fen(extra.unit_price_fen)}",
                Decimal(quantity),
                DATED_UNITS[extra.unit],
                extra.unit_price_fen,
                quantity * extra.unit_price_fen,
                month=month if month == month_of(window[1]) else "",
            )
        )
    return lines
