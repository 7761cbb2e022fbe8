"""Late fees (滞纳金) on an issued invoice: accrued day by day on what is still unpaid.

Pure: no Flask, no database.

The rule, as a client's finance clerk can check it by hand:

* An invoice due on D with a grace of G days accrues nothing up to and including day D + G; every
  later day d (D + G < d ≤ the "as of" day) accrues ``unpaid(d) × rate`` where ``rate`` is the
  contract's basis points per day and ``unpaid(d)`` is the invoice total minus the payments with
  ``paid_on ≤ d`` and the issued credit notes with ``issued_on ≤ d`` (a payment made on a day
  counts for that day: the amount unpaid at the END of the day). A day with nothing unpaid accrues
  nothing (an overpayment never accrues negative interest).
* The amount of an accrual period is Σ over its days of unpaid(d) × rate ÷ 10000, rounded half-up
  to the fen ONCE at the end (not per day). So ¥30,000.00 unpaid for 17 days at 0.05 %/day is
  round(3,000,000 × 17 × 5 ÷ 10000) = 25,500 fen = ¥255.00.
* ``since`` starts the accrual later (the day after the last day already billed or waived), so a
  period is never charged twice; the grace period still applies from the due date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from ops.billing.engine.inputs import PREC
from ops.money import format_bp, format_fen, round_fen


@dataclass(frozen=True)
class Reduction:
    """Money that reduces the unpaid amount from ``on`` (inclusive): a payment or a credit note."""

    on: date
    amount_fen: int


@dataclass(frozen=True)
class Segment:
    """Consecutive accruing days with the same unpaid amount."""

    start: date
    end: date  # inclusive
    unpaid_fen: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class LateFee:
    """What an invoice accrued between ``start`` and ``end`` (inclusive); no accruing day: start None."""

    start: date | None
    end: date | None
    segments: tuple[Segment, ...]
    rate_bp_per_day: int
    grace_days: int
    amount_fen: int

    @property
    def days(self) -> int:
        return sum(s.days for s in self.segments)


def first_accruing_day(due_on: date, grace_days: int) -> date:
    """The first day that accrues: the day after due date + grace."""
    return due_on + timedelta(days=grace_days + 1)


def accrue(
    total_fen: int,
    due_on: date,
    grace_days: int,
    rate_bp_per_day: int,
    reductions: Sequence[Reduction],
    on: date,
    *,
    since: date | None = None,
) -> LateFee:
    """The late fee accrued up to and including ``on`` (from ``since`` when given); see the module docstring."""
    start = first_accruing_day(due_on, grace_days)
    if since is not None:
        start = max(start, since)
    segments: list[Segment] = []
    if rate_bp_per_day > 0 and start <= on:
        changes = sorted(r for r in {r.on for r in reductions} if start < r <= on)
        bounds = [start, *changes, on + timedelta(days=1)]
        for first, nxt in zip(bounds, bounds[1:], strict=False):
            unpaid = total_fen - sum(r.amount_fen for r in reductions if r.on <= first)
            if unpaid > 0:
                segments.append(Segment(first, nxt - timedelta(days=1), unpaid))
    with localcontext(prec=PREC, rounding=ROUND_HALF_UP):
        exact = sum((Decimal(s.unpaid_fen) * s.days * rate_bp_per_day / 10_000 for s in segments), Decimal(0))
        amount = round_fen(exact)
    return LateFee(
        start=segments[0].start if segments else None,
        end=segments[-1].end if segments else None,
        segments=tuple(segments),
        rate_bp_per_day=rate_bp_per_day,
        grace_days=grace_days,
        amount_fen=amount,
    )


def description(number: str, fee: LateFee) -> str:
    """The 滞纳金 line's formula: "INV-2026-00012 逾期 17 天（宽限 5 天后）× ¥30,000.00 × 0.05%/天"."""
    rate = f"{format_bp(fee.rate_bp_per_day)}/天"
    if len(fee.segments) == 1:
        s = fee.segments[0]
        return f"滞纳金 {number} 逾期 {s.days} 天（宽限 {fee.grace_days} 天后）× {format_fen(s.unpaid_fen)} × {rate}"
    parts = " + ".join(f"{format_fen(s.unpaid_fen)} × {s.days} 天" for s in fee.segments)
    return f"滞纳金 {number} 逾期 {fee.days} 天（宽限 {fee.grace_days} 天后）：（{parts}）× {rate}"
