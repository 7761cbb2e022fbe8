"""Service periods: a month ("2026-10") or a quarter ("2026-Q4"), their days, the one before and after.

Pure: no Flask, no database. Billing (the engine, the runs), the usage pages and the forms all
count months and quarters here.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from ops.errors import ServiceError
from ops.i18n import N_

MSG_PERIOD = N_("账期格式应为 2026-10 或 2026-Q4")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")


class PeriodError(ServiceError):
    """Not a period code; the message (Chinese) says what one looks like."""


@dataclass(frozen=True)
class Period:
    """A service period: ``code`` is "2026-10" (a month) or "2026-Q4" (a quarter)."""

    code: str
    start: date
    end: date  # inclusive
    months: tuple[tuple[int, int], ...]  # (year, month) in order

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.code

    @property
    def days(self) -> int:
        """Days in the period (both ends counted)."""
        return (self.end - self.start).days + 1


def month_code(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def month_period(year: int, month: int) -> Period:
    start, end = month_bounds(year, month)
    return Period(month_code(year, month), start, end, ((year, month),))


def quarter_period(year: int, quarter: int) -> Period:
    months = tuple((year, 3 * (quarter - 1) + i) for i in (1, 2, 3))
    start = month_bounds(*months[0])[0]
    end = month_bounds(*months[-1])[1]
    return Period(f"{year:04d}-Q{quarter}", start, end, months)


def parse_period(code: str) -> Period:
    """ "2026-10" → October 2026; "2026-Q4" → October–December 2026 (a lower-case q is accepted).

    Anything else raises PeriodError(MSG_PERIOD).
    """
    if not isinstance(code, str):
        raise PeriodError(MSG_PERIOD)
    text = code.strip().upper()
    if m := _MONTH_RE.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if year >= 1 and 1 <= month <= 12:
            return month_period(year, month)
    elif m := _QUARTER_RE.match(text):
        year = int(m.group(1))
        if year >= 1:
            return quarter_period(year, int(m.group(2)))
    raise PeriodError(MSG_PERIOD)


def next_period(period: Period) -> Period:
    if period.is_quarter:
        year, month = add_months(*period.months[0], 3)
        return quarter_period(year, (month - 1) // 3 + 1)
    return month_period(*add_months(*period.months[0], 1))


def previous_period(period: Period) -> Period:
    if period.is_quarter:
        year, month = add_months(*period.months[0], -3)
        return quarter_period(year, (month - 1) // 3 + 1)
    return month_period(*add_months(*period.months[0], -1))


def days_in_month(year: int, month: int) -> int:
    return monthrange(year, month)[1]


def month_of(day: date) -> str:
    """The code of the month ``day`` falls in: 2026-11-05 → "2026-11"."""
    return month_code(day.year, day.month)


def last_month(on: date) -> str:
    """The code of the month before the one ``on`` falls in: 2026-01-15 → "2025-12"."""
    return previous_period(month_period(on.year, on.month)).code


def parse_month(value: str | None) -> tuple[int, int] | None:
    """(year, month) of a "YYYY-MM" text, or None when it is not one."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return int(match.group(1)), int(match.group(2))
