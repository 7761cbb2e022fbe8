"""Which period a run bills, days served and due dates.

Pure: no Flask, no database. The period arithmetic itself lives in ``ops.periods``.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from ops.billing.engine.inputs import BillingError, check_cycle_timing
from ops.periods import Period, PeriodError, add_months, next_period, quarter_period
from ops.periods import parse_period as parse_period_code


def parse_period(code: str) -> Period:
    """ "2026-10" → October 2026; "2026-Q4" → October–December 2026 (a lower-case q is accepted).

    Anything else raises BillingError("账期格式应为 2026-10 或 2026-Q4").
    """
    try:
        return parse_period_code(code)
    except PeriodError as exc:
        raise BillingError(str(exc)) from None


def invoice_period_for_run(run_period: str, billing_cycle: str, billing_timing: str) -> str | None:
    """The period a contract's invoice covers in the run for ``run_period`` (the period just ended).

    monthly: in arrears → the run month, in advance → the next month; a run naming a quarter bills
    no monthly contract (None). quarterly: only when the run month ends a quarter (03, 06, 09, 12)
    or the run names a quarter — in arrears → that quarter, in advance → the next one; else None.
    """
    run = parse_period(run_period)
    check_cycle_timing(billing_cycle, billing_timing)
    if billing_cycle == "monthly":
        if run.is_quarter:
            return None
        return run.code if billing_timing == "in_arrears" else next_period(run).code
    if run.is_quarter:
        quarter = run
    else:
        year, month = run.months[0]
        if month % 3:
            return None
        quarter = quarter_period(year, month // 3)
    return quarter.code if billing_timing == "in_arrears" else next_period(quarter).code


def days_served(go_live_on: date | None, end_on: date | None, start: date, end: date) -> int:
    """Days in [go_live_on, end_on) ∩ [start, end] (``end`` inclusive).

    No go-live date means not served yet (0); no end date means still serving.
    """
    if go_live_on is None:
        return 0
    first = max(go_live_on, start)
    last = end if end_on is None else min(end, end_on - timedelta(days=1))
    return max(0, (last - first).days + 1)


def due_date(rule: str, value: int, closing_period_end: date, issued_on: date) -> date:
    """When an invoice is due.

    "day_of_next_month": day ``value`` (1–31) of the month after ``closing_period_end`` (the end of
    the period the run closed), or that month's last day when it is shorter — but never before the
    invoice exists: a statement issued after that day is due on day ``value`` of the following
    month instead (an invoice is never overdue on the day it is issued);
    "net_days": ``issued_on`` + ``value`` days (value ≥ 0).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise BillingError("付款期限必须是整数")
    if rule == "day_of_next_month":
        if not 1 <= value <= 31:
            raise BillingError("次月付款日必须在 1 到 31 之间")
        year, month = add_months(closing_period_end.year, closing_period_end.month, 1)
        due = date(year, month, min(value, monthrange(year, month)[1]))
        while due <= issued_on:
            year, month = add_months(year, month, 1)
            due = date(year, month, min(value, monthrange(year, month)[1]))
        return due
    if rule == "net_days":
        if value < 0:
            raise BillingError("付款天数不能为负数")
        return issued_on + timedelta(days=value)
    raise BillingError(
        f"付款期限规则无效：{rule!r}（应为次月固定日 day_of_next_month 或开票后天数 net_days）"
    )
