"""Dated extras (节假日补贴, 大促临时客服): billed once, for their days in the period served.

Amounts are worked out by hand in the comments.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ops.billing.engine import BillingError, ContractInput, DatedExtraInput, bill, parse_period

# A monthly, in-arrears contract running August to December 2026, no seats (only the extras bill).
TERM = ContractInput(
    contract_id=1,
    model="fixed_seat",
    start_on=date(2026, 8, 1),
    end_on=date(2026, 12, 31),
    billing_cycle="monthly",
    billing_timing="in_arrears",
    tax_rate_bp=600,
    prices_include_tax=True,
)
NATIONAL_DAY = DatedExtraInput(
    "国庆节假日补贴", date(2026, 10, 1), date(2026, 10, 7), 2, "person_day", 20_000
)


def extras(result):
    return [line for line in result.lines if line.kind == "extra"]


@pytest.mark.parametrize("month", ["2026-08", "2026-09", "2026-11", "2026-12"])
def test_national_day_is_not_billed_outside_october(month):
    assert extras(bill(TERM, parse_period(month), dated_extras=[NATIONAL_DAY])) == []


def test_national_day_billed_once_in_october():
    result = bill(TERM, parse_period("2026-10"), dated_extras=[NATIONAL_DAY])
    [line] = extras(result)
    # 2 agents × 7 days (Oct 1–7) = 14 person-days × ¥200.00 = ¥2,800.00
    assert line.amount_fen == 280_000
    assert line.quantity == Decimal(14)
    assert line.unit_price_fen == 20_000
    assert line.quantity * line.unit_price_fen == line.amount_fen
    assert line.unit == "人·天"
    assert line.month == "2026-10"
    assert line.description == "国庆节假日补贴 2026-10-01～10-07：2 人 × 7 天 × ¥200.00"
    # Tax included at 6 %: tax = 280,000 × 600 / 10,600 = 15,849.06… → 15,849 fen
    assert result.service_fen == 280_000
    assert result.tax_fen == 15_849
    assert result.total_fen == 280_000


def test_quarterly_contract_bills_october_in_q4_only():
    quarterly = replace(TERM, billing_cycle="quarterly")
    assert extras(bill(quarterly, parse_period("2026-Q3"), dated_extras=[NATIONAL_DAY])) == []
    [line] = extras(bill(quarterly, parse_period("2026-Q4"), dated_extras=[NATIONAL_DAY]))
    assert line.amount_fen == 280_000  # 2 × 7 × ¥200.00, as above


def test_entry_across_two_periods_is_split_by_days():
    entry = DatedExtraInput("节假日补贴", date(2026, 9, 28), date(2026, 10, 3), 1, "person_day", 20_000)
    [september] = extras(bill(TERM, parse_period("2026-09"), dated_extras=[entry]))
    [october] = extras(bill(TERM, parse_period("2026-10"), dated_extras=[entry]))
    # September: Sep 28, 29, 30 = 3 days × 1 person × ¥200.00 = ¥600.00; October: Oct 1, 2, 3 = the same.
    assert (september.quantity, september.amount_fen) == (Decimal(3), 60_000)
    assert (october.quantity, october.amount_fen) == (Decimal(3), 60_000)
    assert (
        september.description
        == "节假日补贴 2026-09-28～09-30（登记 2026-09-28～10-03）：1 人 × 3 天 × ¥200.00"
    )
    assert october.description.startswith("节假日补贴 2026-10-01～10-03（登记 2026-09-28～10-03）")


def test_promotion_staff_per_shift_per_day():
    entry = DatedExtraInput(
        "双十一大促临时客服", date(2026, 11, 10), date(2026, 11, 12), 3, "person_shift_day", 35_000, 2
    )
    [line] = extras(bill(TERM, parse_period("2026-11"), dated_extras=[entry]))
    # 3 agents × 2 shifts × 3 days (Nov 10–12) = 18 person-shift-days × ¥350.00 = ¥6,300.00
    assert line.amount_fen == 630_000
    assert line.quantity == Decimal(18)
    assert line.unit == "人·班·天"
    assert line.description == "双十一大促临时客服 2026-11-10～11-12：3 人 × 2 班 × 3 天 × ¥350.00"


def test_days_outside_the_term_are_not_billed():
    entry = DatedExtraInput("节假日补贴", date(2026, 12, 30), date(2027, 1, 2), 1, "person_day", 20_000)
    [line] = extras(bill(TERM, parse_period("2026-12"), dated_extras=[entry]))
    assert line.amount_fen == 40_000  # Dec 30, 31 = 2 days × ¥200.00 (the term ends Dec 31)
    assert extras(bill(TERM, parse_period("2027-01"), dated_extras=[entry])) == []


def test_in_advance_bills_them_on_the_invoice_that_trues_up_their_period():
    advance = replace(TERM, billing_timing="in_advance")
    # The October invoice (billed in advance) does not know October's holidays yet …
    assert extras(bill(advance, parse_period("2026-10"), dated_extras=[NATIONAL_DAY])) == []
    # … the November invoice trues up October and bills them: 2 × 7 × ¥200.00 = ¥2,800.00.
    [line] = extras(bill(advance, parse_period("2026-11"), dated_extras=[NATIONAL_DAY]))
    assert line.amount_fen == 280_000


@pytest.mark.parametrize(
    "entry",
    [
        DatedExtraInput("补贴", date(2026, 10, 7), date(2026, 10, 1), 2, "person_day", 20_000),
        DatedExtraInput("补贴", date(2026, 10, 1), date(2026, 10, 7), 0, "person_day", 20_000),
        DatedExtraInput("补贴", date(2026, 10, 1), date(2026, 10, 7), 2, "person_day", -1),
        DatedExtraInput("补贴", date(2026, 10, 1), date(2026, 10, 7), 2, "person_hour", 20_000),
        DatedExtraInput("补贴", date(2026, 10, 1), date(2026, 10, 7), 2, "person_shift_day", 20_000, 0),
    ],
)
def test_bad_entries_are_refused_in_chinese(entry):
    with pytest.raises(BillingError, match="按日附加费"):
        bill(TERM, parse_period("2026-10"), dated_extras=[entry])
