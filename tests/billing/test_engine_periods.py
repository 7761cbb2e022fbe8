"""Billing engine: periods, invoice periods per run, due dates and days served (scenario 9).

Every expected value is worked out by hand in the comments and written literally.
"""

from __future__ import annotations

from datetime import date

import pytest

from ops.billing.engine import (
    BillingError,
    Period,
    days_served,
    due_date,
    invoice_period_for_run,
    parse_period,
)

MSG = "账期格式应为 2026-10 或 2026-Q4"


def test_parse_month():
    # October has 31 days.
    assert parse_period("2026-10") == Period("2026-10", date(2026, 10, 1), date(2026, 10, 31), ((2026, 10),))
    assert not parse_period("2026-10").is_quarter


def test_parse_quarter():
    # Q4 = October 1 – December 31, three months in order.
    p = parse_period("2026-Q4")
    assert p == Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), ((2026, 10), (2026, 11), (2026, 12)))
    assert p.is_quarter
    # Q1 2028: January 1 – March 31.
    assert parse_period("2028-Q1").end == date(2028, 3, 31)


def test_parse_leap_february_and_tolerated_spelling():
    # 2028 is a leap year: February ends on the 29th.
    assert parse_period("2028-02").end == date(2028, 2, 29)
    assert parse_period("2027-02").end == date(2027, 2, 28)
    # Surrounding spaces and a lower-case q are accepted; the code is normalised.
    assert parse_period(" 2026-q1 ").code == "2026-Q1"


@pytest.mark.parametrize(
    "code",
    ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "202610", "2026/10", "2026-1", "26-10", "", "2026-Q", None],
)
def test_parse_rejects_bad_codes(code):
    with pytest.raises(BillingError) as info:
        parse_period(code)
    assert str(info.value) == MSG


@pytest.mark.parametrize(
    ("run", "cycle", "timing", "expected"),
    [
        # Monthly, in arrears: the month just ended.
        ("2026-10", "monthly", "in_arrears", "2026-10"),
        ("2026-12", "monthly", "in_arrears", "2026-12"),
        # Monthly, in advance: the next month (across the year end too).
        ("2026-10", "monthly", "in_advance", "2026-11"),
        ("2026-12", "monthly", "in_advance", "2027-01"),
        # A run naming a quarter bills no monthly contract.
        ("2026-Q3", "monthly", "in_arrears", None),
        ("2026-Q3", "monthly", "in_advance", None),
        # Quarterly: only a quarter-end month, or a quarter.
        ("2026-09", "quarterly", "in_arrears", "2026-Q3"),
        ("2026-09", "quarterly", "in_advance", "2026-Q4"),
        ("2026-12", "quarterly", "in_arrears", "2026-Q4"),
        ("2026-12", "quarterly", "in_advance", "2027-Q1"),
        ("2026-03", "quarterly", "in_arrears", "2026-Q1"),
        ("2026-06", "quarterly", "in_advance", "2026-Q3"),
        ("2026-10", "quarterly", "in_arrears", None),
        ("2026-10", "quarterly", "in_advance", None),
        ("2026-11", "quarterly", "in_arrears", None),
        ("2026-11", "quarterly", "in_advance", None),
        ("2026-01", "quarterly", "in_arrears", None),
        ("2026-Q3", "quarterly", "in_arrears", "2026-Q3"),
        ("2026-Q3", "quarterly", "in_advance", "2026-Q4"),
        ("2026-Q4", "quarterly", "in_advance", "2027-Q1"),
    ],
)
def test_invoice_period_for_run(run, cycle, timing, expected):
    assert invoice_period_for_run(run, cycle, timing) == expected


@pytest.mark.parametrize(
    ("run", "cycle", "timing"),
    [
        ("2026-13", "monthly", "in_arrears"),
        ("2026-10", "yearly", "in_arrears"),
        ("2026-10", "monthly", "later"),
    ],
)
def test_invoice_period_for_run_rejects(run, cycle, timing):
    with pytest.raises(BillingError):
        invoice_period_for_run(run, cycle, timing)


def test_due_date_day_of_next_month():
    # In arrears, October invoice: the 5th of the month after October → November 5.
    assert due_date("day_of_next_month", 5, date(2026, 10, 31), date(2026, 11, 2)) == date(2026, 11, 5)
    # In advance, the November invoice of the run that closes October: also November 5.
    assert due_date("day_of_next_month", 5, date(2026, 10, 31), date(2026, 11, 1)) == date(2026, 11, 5)
    # December closes → January of the next year.
    assert due_date("day_of_next_month", 5, date(2026, 12, 31), date(2027, 1, 3)) == date(2027, 1, 5)
    # Q4 closes on December 31 → January 10.
    assert due_date("day_of_next_month", 10, date(2026, 12, 31), date(2027, 1, 3)) == date(2027, 1, 10)
    # Day 31 in a 30-day month → the last day (November 30); day 30 in February 2027 → February 28.
    assert due_date("day_of_next_month", 31, date(2026, 10, 31), date(2026, 11, 1)) == date(2026, 11, 30)
    assert due_date("day_of_next_month", 30, date(2027, 1, 31), date(2027, 2, 1)) == date(2027, 2, 28)


def test_due_date_day_of_next_month_is_never_on_or_before_the_issue_day():
    # October closed; issued on 26 November, after the 5th: due on 5 December, not overdue at once.
    assert due_date("day_of_next_month", 5, date(2026, 10, 31), date(2026, 11, 26)) == date(2026, 12, 5)
    # Issued on the 5th itself: the next 5th (2026-12-05).
    assert due_date("day_of_next_month", 5, date(2026, 10, 31), date(2026, 11, 5)) == date(2026, 12, 5)
    # Issued two months late (2027-01-20): 5 February 2027.
    assert due_date("day_of_next_month", 5, date(2026, 10, 31), date(2027, 1, 20)) == date(2027, 2, 5)


def test_due_date_net_days():
    # Issued November 2 + 15 days = November 17; December 15 + 30 days = January 14.
    assert due_date("net_days", 15, date(2026, 10, 31), date(2026, 11, 2)) == date(2026, 11, 17)
    assert due_date("net_days", 30, date(2026, 11, 30), date(2026, 12, 15)) == date(2027, 1, 14)
    assert due_date("net_days", 0, date(2026, 10, 31), date(2026, 11, 2)) == date(2026, 11, 2)


@pytest.mark.parametrize(
    ("rule", "value"),
    [("day_of_next_month", 0), ("day_of_next_month", 32), ("net_days", -1), ("end_of_month", 5)],
)
def test_due_date_rejects(rule, value):
    with pytest.raises(BillingError):
        due_date(rule, value, date(2026, 10, 31), date(2026, 11, 2))


NOV = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("go_live", "end", "expected"),
    [
        # Go-live on the last day of the month: that day counts → 1.
        (date(2026, 11, 30), None, 1),
        # Ends on the first day: the end day does not count → 0.
        (date(2026, 10, 1), date(2026, 11, 1), 0),
        # Ends on the 2nd: only the 1st → 1.
        (date(2026, 10, 1), date(2026, 11, 2), 1),
        # Both outside, around the month: the whole month → 30.
        (date(2026, 10, 1), date(2026, 12, 15), 30),
        # Both before the month, or go-live after it → 0.
        (date(2026, 9, 1), date(2026, 10, 15), 0),
        (date(2026, 12, 2), None, 0),
        # Go-live on the 11th, open → 11..30 = 20; from before, leaving on the 20th → 1..19 = 19.
        (date(2026, 11, 11), None, 20),
        (date(2026, 10, 20), date(2026, 11, 20), 19),
        # Ending on the go-live day → nothing served.
        (date(2026, 11, 10), date(2026, 11, 10), 0),
        # No go-live yet → not served.
        (None, None, 0),
        (None, date(2026, 11, 20), 0),
    ],
)
def test_days_served(go_live, end, expected):
    assert days_served(go_live, end, *NOV) == expected


def test_days_served_end_after_month_end_is_open_for_the_month():
    # Ending on December 1: the whole of November (1..30) → 30.
    assert days_served(date(2026, 11, 1), date(2026, 12, 1), *NOV) == 30
