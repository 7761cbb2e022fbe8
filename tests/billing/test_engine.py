"""Billing engine, in-arrears lines: seats, base + commission, per consult, extras, quarters,
term limits and validation (scenarios 1–4).

Every expected amount is worked out by hand in the comments (fen unless shown as ¥) and written
literally; nothing is computed by the engine or the pricing functions in the test.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ops import periods
from ops.billing import engine
from ops.billing.engine import (
    AssignmentInput,
    BillingError,
    ContractInput,
    ExtraInput,
    KpiInput,
    SeatInput,
    UsageInput,
    bill,
    parse_period,
)
from ops.quotes.pricing import Tier

D = Decimal
CHINESE = re.compile(r"[\u4e00-\u9fff]")

BASE = ContractInput(
    contract_id=1,
    model="fixed_seat",
    start_on=date(2026, 9, 1),
    end_on=date(2027, 8, 31),
    billing_cycle="monthly",
    billing_timing="in_arrears",
    tax_rate_bp=600,
    prices_include_tax=False,
    seats=(SeatInput("presales", "day", 3, 600_000), SeatInput("aftersales", "night", 2, 500_005)),
)


def contract(**changes) -> ContractInput:
    return replace(BASE, **changes)


def agent(name, go_live, end=None, scope="presales", shift="day"):
    return AssignmentInput(name, scope, shift, go_live, end)


def use(day, consults=0, valid=None, gmv=0, refunds=0, platform="taobao", **kpi):
    return UsageInput(day, platform, consults, consults if valid is None else valid, gmv, refunds, **kpi)


def amounts(result, kind=None):
    return [line.amount_fen for line in result.lines if kind is None or line.kind == kind]


def raises_chinese(func, *args, **kwargs) -> str:
    with pytest.raises(BillingError) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert CHINESE.search(message), message
    return message


# --- 1. fixed seats -------------------------------------------------------------------------


def test_fixed_seats_prorated_by_days_served():
    # November 2026 has 30 days; seat rate ¥6,000.00 = 600,000 fen.
    # A: go-live Nov 11 → 11..30 = 20 days → 600,000 × 20 / 30 = 400,000 (¥4,000.00)
    # B: from September, leaves Nov 20 (not counted) → 1..19 = 19 days → 600,000 × 19 / 30 = 380,000
    # C: the whole month → 30 days → 600,000
    # D has no go-live, E goes live in December: no lines.
    result = bill(
        contract(),
        parse_period("2026-11"),
        assignments=(
            agent("张三", date(2026, 11, 11)),
            agent("李四", date(2026, 9, 1), date(2026, 11, 20)),
            agent("王五", date(2026, 10, 15)),
            agent("赵六", None),
            agent("钱七", date(2026, 12, 1)),
        ),
    )
    assert [
        (x.kind, x.description, x.quantity, x.unit, x.unit_price_fen, x.amount_fen) for x in result.lines
    ] == [
        ("seat", "售前白班席位 · 张三 · 2026-11 服务 20/30 天 × ¥6,000.00/月", D(20), "天", None, 400_000),
        ("seat", "售前白班席位 · 李四 · 2026-11 服务 19/30 天 × ¥6,000.00/月", D(19), "天", None, 380_000),
        ("seat", "售前白班席位 · 王五 · 2026-11 服务 30/30 天 × ¥6,000.00/月", D(30), "天", None, 600_000),
    ]
    # Service 400,000 + 380,000 + 600,000 = 1,380,000; tax 6% excl. = 82,800; total 1,462,800.
    assert result.service_fen == 1_380_000
    assert result.taxable_fen == 1_380_000
    assert result.tax_fen == 82_800
    assert result.net_fen == 1_380_000
    assert result.total_fen == 1_462_800
    assert result.lines[0].month == "2026-11"


def test_half_fen_rounds_up_once_per_line():
    # Aftersales night rate ¥5,000.05 = 500,005 fen. Two agents go live Nov 28 → 28, 29, 30 = 3 days:
    # 500,005 × 3 / 30 = 50,000.5 → half-up → 50,001 each (¥500.01), 100,002 for both
    # (rounding the sum instead would give 100,001: each line is rounded on its own, once).
    # A third goes live Nov 30 → 1 day: 500,005 / 30 = 16,666.83… → 16,667.
    result = bill(
        contract(),
        parse_period("2026-11"),
        assignments=(
            agent("甲", date(2026, 11, 28), scope="aftersales", shift="night"),
            agent("乙", date(2026, 11, 28), scope="aftersales", shift="night"),
            agent("丙", date(2026, 11, 30), scope="aftersales", shift="night"),
        ),
    )
    assert amounts(result) == [50_001, 50_001, 16_667]
    assert result.lines[0].description == "售后夜班席位 · 甲 · 2026-11 服务 3/30 天 × ¥5,000.05/月"
    assert result.lines[0].unit_price_fen is None  # the monthly rate is in the formula
    # 50,001 + 50,001 + 16,667 = 116,669; tax 6% = 7,000.14 → 7,000; total 123,669.
    assert result.service_fen == 116_669
    assert result.tax_fen == 7_000
    assert result.total_fen == 123_669


def test_days_limited_to_the_contract_term():
    # Whole-month agent; rate 600,000, November has 30 days.
    whole = (agent("王五", date(2026, 10, 1)),)
    nov = parse_period("2026-11")
    # Term starts Nov 16 → 16..30 = 15 days → 300,000.
    assert amounts(bill(contract(start_on=date(2026, 11, 16)), nov, assignments=whole)) == [300_000]
    # Term ends Nov 10 (inclusive) → 1..10 = 10 days → 200,000.
    assert amounts(bill(contract(end_on=date(2026, 11, 10)), nov, assignments=whole)) == [200_000]
    # Terminated on Nov 21: service ends the day before → 1..20 = 20 days → 400,000.
    assert amounts(bill(contract(terminated_on=date(2026, 11, 21)), nov, assignments=whole)) == [400_000]
    # Term over before November: nothing at all.
    over = bill(contract(end_on=date(2026, 10, 31)), nov, assignments=whole)
    assert over.lines == () and over.total_fen == 0


def test_missing_seat_row_names_the_agent():
    evening = agent("孙八", date(2026, 11, 1), shift="evening")
    message = raises_chinese(bill, contract(), parse_period("2026-11"), assignments=(evening,))
    assert "孙八" in message and "售前晚班" in message
    # An assignment that serves no day of the period is not priced, so it is not an error.
    later = agent("孙八", date(2026, 12, 1), shift="evening")
    assert bill(contract(), parse_period("2026-11"), assignments=(later,)).lines == ()


def test_extras_per_month_without_proration():
    # 2 extra accounts × ¥300.00 = 60,000 per month with contract days, even a partial one
    # (term starts Nov 16): November 60,000; Q4 with the term starting Nov 16: Nov + Dec = 120,000.
    c = contract(start_on=date(2026, 11, 16), extras=(ExtraInput("额外子账号", "个", 2, 30_000),))
    nov = bill(c, parse_period("2026-11"))
    assert [
        (x.kind, x.description, x.quantity, x.unit, x.unit_price_fen, x.amount_fen) for x in nov.lines
    ] == [("extra", "额外子账号 2026-11：2 个 × ¥300.00", D(2), "个", 30_000, 60_000)]
    q4 = bill(replace(c, billing_cycle="quarterly"), parse_period("2026-Q4"))
    assert amounts(q4, "extra") == [60_000, 60_000]


# --- 2. base + commission -------------------------------------------------------------------


def commission_contract(**changes):
    return contract(
        model="base_commission",
        seats=(SeatInput("presales", "day", 1, 310_000),),
        commission_rate_bp=200,
        **changes,
    )


def test_base_and_commission_with_refunds():
    # October (31 days): base ¥3,100.00 full month → 310,000 × 31 / 31 = 310,000.
    # GMV ¥200,000.00 + ¥100,000.00 = ¥300,000.00; refunds ¥15,000.00 + ¥5,000.00 = ¥20,000.00;
    # commission 2% × ¥280,000.00 = ¥5,600.00 = 560,000 fen. The Nov 1 row is outside the period.
    usage = (
        use(date(2026, 10, 3), gmv=20_000_000, refunds=1_500_000),
        use(date(2026, 10, 4), gmv=10_000_000, refunds=500_000, platform="jd"),
        use(date(2026, 11, 1), gmv=9_999_999),
    )
    result = bill(
        commission_contract(),
        parse_period("2026-10"),
        assignments=(agent("张三", date(2026, 9, 1)),),
        usage=usage,
    )
    base, commission = result.lines
    assert (base.kind, base.description, base.amount_fen) == (
        "base",
        "售前白班底薪 · 张三 · 2026-10 服务 31/31 天 × ¥3,100.00/月",
        310_000,
    )
    assert commission.kind == "commission"
    assert (
        commission.description == "提成 2026-10：服务销售额 ¥300,000.00 − 退款 ¥20,000.00 = ¥280,000.00 × 2%"
    )
    assert commission.amount_fen == 560_000
    # Service 310,000 + 560,000 = 870,000; tax 6% = 52,200; total 922,200.
    assert result.service_fen == 870_000
    assert result.total_fen == 922_200


def test_commission_never_negative():
    # November: GMV ¥10,000.00, refunds ¥15,000.00 → base max(0, −¥5,000.00) = 0 → commission 0,
    # still shown so the client sees why. Base 310,000 × 30 / 30 = 310,000.
    usage = (use(date(2026, 11, 5), gmv=1_000_000, refunds=1_500_000),)
    result = bill(
        commission_contract(),
        parse_period("2026-11"),
        assignments=(agent("张三", date(2026, 9, 1)),),
        usage=usage,
    )
    commission = result.lines[-1]
    assert commission.amount_fen == 0
    assert "退款 ¥15,000.00" in commission.description and "按 0 计" in commission.description
    assert result.service_fen == 310_000


def test_commission_only_counts_usage_inside_the_term():
    # Terminated Oct 16 → service ends Oct 15: the Oct 20 sales do not count.
    # Base: 1..15 = 15 days → 310,000 × 15 / 31 = 150,000. Commission 2% × ¥50,000.00 = 100,000.
    usage = (use(date(2026, 10, 10), gmv=5_000_000), use(date(2026, 10, 20), gmv=8_000_000))
    result = bill(
        commission_contract(terminated_on=date(2026, 10, 16)),
        parse_period("2026-10"),
        assignments=(agent("张三", date(2026, 9, 1)),),
        usage=usage,
    )
    assert amounts(result) == [150_000, 100_000]


# --- 3. per consult -------------------------------------------------------------------------

# Stripe's example tiers scaled to consults: 1–5,000 at ¥0.70, 5,001–10,000 at ¥0.65, above at ¥0.60.
STRIPE = (Tier(5_000, D("0.70")), Tier(10_000, D("0.65")), Tier(None, D("0.60")))
# Lago's example scaled ×100: first 10,000 at ¥1, next 10,000 at ¥0.50, then ¥0.10.
LAGO = (Tier(10_000, D("1")), Tier(20_000, D("0.50")), Tier(None, D("0.10")))
# Bands of the average daily valid consults: ≤100 ¥3,000, 101–300 ¥8,000, above ¥15,000 per month.
BANDS = (Tier(100, D(0), D("3000")), Tier(300, D(0), D("8000")), Tier(None, D(0), D("15000")))


def consult_contract(mode="graduated", tiers=STRIPE, **changes):
    return contract(model="per_consult", seats=(), tier_mode=mode, tiers=tiers, **changes)


# 25,000 valid consults in November (30 days), out of 27,000 consults.
NOV_25K = (use(date(2026, 11, 2), 13_000, 12_000), use(date(2026, 11, 3), 14_000, 13_000))


def test_graduated_topped_up_to_the_minimum():
    # Graduated: 5,000 × 0.70 = 3,500 + 5,000 × 0.65 = 3,250 + 15,000 × 0.60 = 9,000 → ¥15,750.00.
    # Minimum ¥16,000.00 (full month) → top-up ¥250.00.
    result = bill(consult_contract(monthly_minimum_fen=1_600_000), parse_period("2026-11"), usage=NOV_25K)
    consult, minimum = result.lines
    assert (consult.kind, consult.description, consult.quantity, consult.unit, consult.amount_fen) == (
        "consult",
        "咨询服务费 2026-11：有效咨询 25,000 次",
        D(25_000),
        "次",
        1_575_000,
    )
    assert (minimum.kind, minimum.amount_fen) == ("minimum", 25_000)
    assert minimum.description == "最低消费补足 2026-11：月度最低消费 ¥16,000.00，补足 ¥250.00"
    # 1,575,000 + 25,000 = 1,600,000 = the minimum.
    assert result.service_fen == 1_600_000


def test_volume_topped_up_to_the_minimum():
    # Volume: 25,000 falls in the open tier → all at 0.60 = ¥15,000.00; minimum ¥16,000.00 → ¥1,000.00.
    result = bill(
        consult_contract("volume", monthly_minimum_fen=1_600_000), parse_period("2026-11"), usage=NOV_25K
    )
    assert amounts(result) == [1_500_000, 100_000]


def test_tier_boundaries_stripe():
    # 6,000 valid consults (Stripe's 6 units): volume → all at 0.65 = ¥3,900.00;
    # graduated → 5,000 × 0.70 + 1,000 × 0.65 = 3,500 + 650 = ¥4,150.00.
    # 5,000 (the inclusive upper bound) volume → all at 0.70 = ¥3,500.00.
    nov = parse_period("2026-11")
    six = (use(date(2026, 11, 9), 6_000),)
    assert amounts(bill(consult_contract("volume"), nov, usage=six)) == [390_000]
    assert amounts(bill(consult_contract("graduated"), nov, usage=six)) == [415_000]
    assert amounts(bill(consult_contract("volume"), nov, usage=(use(date(2026, 11, 9), 5_000),))) == [350_000]


def test_lago_graduated_with_multiplier_above_the_minimum():
    # 10,000 × 1 + 10,000 × 0.50 + 5,000 × 0.10 = 10,000 + 5,000 + 500 = ¥15,500.00; × 1.10 = ¥17,050.00,
    # above the ¥16,000.00 minimum → no top-up line.
    c = consult_contract(tiers=LAGO, consult_multiplier_bp=11_000, monthly_minimum_fen=1_600_000)
    result = bill(c, parse_period("2026-11"), usage=NOV_25K)
    assert [(x.kind, x.description, x.amount_fen) for x in result.lines] == [
        ("consult", "咨询服务费 2026-11：有效咨询 25,000 次 × 1.10", 1_705_000)
    ]


def test_band_by_average_daily_valid_consults():
    nov = parse_period("2026-11")
    # 6,000 ÷ 30 days = 200 per day → band 101–300 → ¥8,000.00.
    result = bill(consult_contract("band", BANDS), nov, usage=(use(date(2026, 11, 1), 6_000),))
    assert amounts(result) == [800_000]
    assert result.lines[0].description == "咨询服务费 2026-11：有效咨询 6,000 次，日均 200 次（按档包月）"
    # 9,029 ÷ 30 = 300.97 → floor 300 → still ¥8,000.00 (upper bounds inclusive);
    # 9,030 ÷ 30 = 301 → ¥15,000.00.
    assert amounts(bill(consult_contract("band", BANDS), nov, usage=(use(date(2026, 11, 1), 9_029),))) == [
        800_000
    ]
    assert amounts(bill(consult_contract("band", BANDS), nov, usage=(use(date(2026, 11, 1), 9_030),))) == [
        1_500_000
    ]


def test_band_partial_month_averages_over_contract_days_and_prorates():
    # Term starts Nov 16 → 15 contract days. 3,000 ÷ 15 = 200 per day → ¥8,000.00 × 15 / 30 = ¥4,000.00.
    c = consult_contract("band", BANDS, start_on=date(2026, 11, 16))
    result = bill(c, parse_period("2026-11"), usage=(use(date(2026, 11, 20), 3_000),))
    assert amounts(result) == [400_000]
    assert "服务 15/30 天" in result.lines[0].description


def test_minimum_prorated_for_a_partial_month():
    # Term starts Oct 22 → 22..31 = 10 of 31 days. Minimum ¥31,000.00 × 10 / 31 = ¥10,000.00.
    # 1,000 valid consults (the Oct 21 row is before the term) → 1,000 × 0.70 = ¥700.00 → top-up ¥9,300.00.
    c = consult_contract(start_on=date(2026, 10, 22), monthly_minimum_fen=3_100_000)
    usage = (use(date(2026, 10, 21), 4_000), use(date(2026, 10, 25), 1_200, 1_000))
    result = bill(c, parse_period("2026-10"), usage=usage)
    assert amounts(result) == [70_000, 930_000]
    assert result.lines[1].description == (
        "最低消费补足 2026-10：月度最低消费 ¥31,000.00 × 10/31 天 = ¥10,000.00，补足 ¥9,300.00"
    )


def test_no_consults_bills_the_minimum():
    # No usage: consult line ¥0.00 (shown), minimum ¥16,000.00 in full.
    result = bill(consult_contract(monthly_minimum_fen=1_600_000), parse_period("2026-11"))
    assert amounts(result) == [0, 1_600_000]


# --- 4. quarterly, in arrears ---------------------------------------------------------------


def test_quarter_is_the_sum_of_its_months():
    # Q4: Oct 31 + Nov 30 + Dec 31 days; rate 600,000.
    # A (from September): Oct 31/31, Nov 30/30, Dec 31/31 → 600,000 × 3 = 1,800,000
    # B goes live Nov 16: Nov 16..30 = 15/30 → 300,000; Dec 31/31 → 600,000.
    # Total 1,800,000 + 900,000 = 2,700,000; tax 6% = 162,000; total 2,862,000.
    team = (agent("张三", date(2026, 9, 20)), agent("李四", date(2026, 11, 16)))
    c = contract(billing_cycle="quarterly")
    q4 = bill(c, parse_period("2026-Q4"), assignments=team)
    assert [(x.description, x.amount_fen) for x in q4.lines] == [
        ("售前白班席位 · 张三 · 2026-10 服务 31/31 天 × ¥6,000.00/月", 600_000),
        ("售前白班席位 · 张三 · 2026-11 服务 30/30 天 × ¥6,000.00/月", 600_000),
        ("售前白班席位 · 李四 · 2026-11 服务 15/30 天 × ¥6,000.00/月", 300_000),
        ("售前白班席位 · 张三 · 2026-12 服务 31/31 天 × ¥6,000.00/月", 600_000),
        ("售前白班席位 · 李四 · 2026-12 服务 31/31 天 × ¥6,000.00/月", 600_000),
    ]
    assert q4.service_fen == 2_700_000
    assert q4.total_fen == 2_862_000
    # The months billed one by one: Oct 600,000, Nov 900,000, Dec 1,200,000 → 2,700,000.
    months = [
        bill(contract(), parse_period(m), assignments=team).service_fen
        for m in ("2026-10", "2026-11", "2026-12")
    ]
    assert months == [600_000, 900_000, 1_200_000]


def test_quarter_commission_nets_refunds_over_the_quarter():
    # Q4 base: 310,000 × 3 months (one agent throughout) = 930,000.
    # GMV: Oct ¥1,000.00 with refunds ¥3,000.00, Dec ¥10,000.00 → quarter ¥11,000.00 − ¥3,000.00 = ¥8,000.00
    # × 2% = ¥160.00 (a month-by-month max(0, …) would have given ¥200.00).
    usage = (use(date(2026, 10, 9), gmv=100_000, refunds=300_000), use(date(2026, 12, 9), gmv=1_000_000))
    result = bill(
        commission_contract(billing_cycle="quarterly"),
        parse_period("2026-Q4"),
        assignments=(agent("张三", date(2026, 9, 1)),),
        usage=usage,
    )
    assert amounts(result) == [310_000, 310_000, 310_000, 16_000]


# --- validation -----------------------------------------------------------------------------


def test_validation_errors_are_chinese():
    nov = parse_period("2026-11")
    assert "计价模式" in raises_chinese(bill, contract(model="per_seat"), nov)
    assert "阶梯" in raises_chinese(bill, consult_contract(tiers=(Tier(100, D("1")),)), nov)
    assert "阶梯" in raises_chinese(bill, consult_contract(tiers=()), nov)
    assert "阶梯" in raises_chinese(bill, consult_contract(mode="stepped"), nov)
    assert "负数" in raises_chinese(bill, contract(), nov, usage=(use(date(2026, 11, 2), -1, 0),))
    assert "负数" in raises_chinese(bill, contract(), nov, usage=(use(date(2026, 11, 2), refunds=-100),))
    assert "负数" in raises_chinese(
        bill, contract(), nov, usage=(use(date(2026, 11, 2), 10, first_response_ms=-5),)
    )
    message = raises_chinese(bill, contract(), nov, usage=(use(date(2026, 11, 2), 100, 120),))
    assert "有效咨询数不能大于咨询数" in message and "2026-11-02" in message
    # previous_usage is checked too.
    assert "有效咨询" in raises_chinese(bill, contract(), nov, previous_usage=(use(date(2026, 10, 2), 5, 6),))
    assert "考核指标" in raises_chinese(
        bill, contract(kpis=(KpiInput.single("speed", "lte", 30, "percent", 500),)), nov
    )
    assert "结算周期" in raises_chinese(bill, contract(billing_cycle="weekly"), nov)
    assert "结算时点" in raises_chinese(bill, contract(billing_timing="now"), nov)


def test_engine_is_pure():
    # No Flask, no database: the engine's modules and the period arithmetic import only the
    # standard library and ops' pure helpers.
    files = [*Path(engine.__file__).parent.glob("*.py"), Path(periods.__file__)]
    assert len(files) > 2
    modules = set()
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"))
        modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    engine_modules = {f"ops.billing.engine.{file.stem}" for file in files if file.parent.name == "engine"}
    assert modules - engine_modules <= {
        "__future__",
        "re",
        "calendar",
        "collections.abc",
        "dataclasses",
        "datetime",
        "decimal",
        "fractions",
        "ops.contracts.terms",
        "ops.errors",
        "ops.i18n",  # N_ marks a msgid and returns it unchanged; pure (it imports nothing from Flask)
        "ops.money",
        "ops.periods",
        "ops.quotes.pricing",
    }
