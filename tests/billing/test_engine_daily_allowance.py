"""每日包量 (daily consult allowance): a monthly fee with N valid consults a day included, and a unit
price for each valid consult above N on that day (summed over platforms). Amounts worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ops.billing.engine import BillingError, ContractInput, UsageInput, bill, parse_period
from ops.quotes.pricing import Tier

ALLOWANCE = ContractInput(
    contract_id=1,
    start_on=date(2026, 8, 1),
    end_on=date(2026, 12, 31),
    billing_cycle="monthly",
    billing_timing="in_arrears",
    tax_rate_bp=600,
    prices_include_tax=True,
    model="per_consult",
    tier_mode="daily_allowance",
    # ¥3,000.00 a month, 100 valid consults a day included, ¥2.00 each above
    tiers=(Tier(100, Decimal(0), Decimal(3000)), Tier(None, Decimal(2), Decimal(0))),
)


def use(day, valid, platform="taobao"):
    return UsageInput(day, platform, valid, valid, 0, 0)


def consult_lines(result):
    return [line for line in result.lines if line.kind == "consult"]


@pytest.mark.parametrize(("valid", "overage_fen"), [(99, 0), (100, 0), (101, 200)])
def test_daily_allowance_one_day(valid, overage_fen):
    result = bill(ALLOWANCE, parse_period("2026-10"), usage=[use(date(2026, 10, 5), valid)])
    fee, overage = consult_lines(result)
    # max(0, 99 − 100) = 0, max(0, 100 − 100) = 0, max(0, 101 − 100) = 1 × ¥2.00 = ¥2.00
    assert overage.amount_fen == overage_fen
    assert overage.quantity * overage.unit_price_fen == overage.amount_fen
    assert fee.amount_fen == 300_000  # the whole month: ¥3,000.00
    assert (fee.quantity, fee.unit, fee.unit_price_fen) == (Decimal(1), "月", 300_000)


def test_daily_allowance_month_counts_day_by_day_over_platforms():
    usage = [
        use(date(2026, 10, 1), 80, "taobao"),
        use(date(2026, 10, 1), 50, "jd"),  # Oct 1: 80 + 50 = 130 → 30 above
        use(date(2026, 10, 2), 60),  # 60 → 0 above (unused allowance is not carried over)
        use(date(2026, 10, 3), 100),  # → 0
        use(date(2026, 10, 4), 145),  # → 45
    ]
    fee, overage = consult_lines(bill(ALLOWANCE, parse_period("2026-10"), usage=usage))
    # Σ max(0, day − 100) = 30 + 0 + 0 + 45 = 75 consults × ¥2.00 = ¥150.00 (the month's total 435
    # is below 31 × 100, yet the overage is billed: it is counted per day)
    assert (overage.quantity, overage.amount_fen) == (Decimal(75), 15_000)
    assert overage.description == "超出部分 2026-10：Σ max(0, 当日有效咨询 − 100) = 75 次 × ¥2.00"
    assert fee.amount_fen == 300_000


def test_daily_allowance_fee_prorated_for_a_partial_month():
    contract = replace(ALLOWANCE, start_on=date(2026, 8, 22))
    fee, overage = consult_lines(bill(contract, parse_period("2026-08"), usage=[use(date(2026, 8, 25), 110)]))
    # August 22–31 = 10 of 31 days: ¥3,000.00 × 10 / 31 = ¥967.741… → ¥967.74; overage 10 × ¥2.00 = ¥20.00
    assert fee.amount_fen == 96_774
    assert (fee.quantity, fee.unit, fee.unit_price_fen) == (Decimal(10), "天", 300_000)
    assert overage.amount_fen == 2_000


def test_daily_allowance_needs_two_tiers_fee_then_unit_price():
    contract = replace(
        ALLOWANCE, tiers=(Tier(100, Decimal(1), Decimal(3000)), Tier(None, Decimal(2), Decimal(0)))
    )
    with pytest.raises(BillingError, match="每日包量"):
        bill(contract, parse_period("2026-10"))
