"""Billing engine: in-advance invoices with their true-up (scenario 5) and KPI deductions (scenario 6).

Every expected amount is worked out by hand in the comments (fen unless shown as ¥) and written
literally; nothing is computed by the engine or the pricing functions in the test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ops.billing.engine import (
    AssignmentInput,
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

ADVANCE = ContractInput(
    contract_id=7,
    model="fixed_seat",
    start_on=date(2026, 11, 1),
    end_on=date(2027, 10, 31),
    billing_cycle="monthly",
    billing_timing="in_advance",
    tax_rate_bp=600,
    prices_include_tax=False,
    seats=(SeatInput("presales", "day", 3, 600_000),),
)


def advance(**changes) -> ContractInput:
    return replace(ADVANCE, **changes)


def arrears(**changes) -> ContractInput:
    return replace(ADVANCE, **({"billing_timing": "in_arrears", "start_on": date(2026, 9, 1)} | changes))


def agent(name, go_live, end=None, scope="presales", shift="day"):
    return AssignmentInput(name, scope, shift, go_live, end)


def use(day, consults=0, valid=None, gmv=0, refunds=0, platform="taobao", **kpi):
    return UsageInput(day, platform, consults, consults if valid is None else valid, gmv, refunds, **kpi)


def amounts(result, kind=None):
    return [line.amount_fen for line in result.lines if kind is None or line.kind == kind]


# --- 5. in advance with true-up -------------------------------------------------------------

NOV_TEAM = (
    agent("张三", date(2026, 10, 28)),
    agent("李四", date(2026, 11, 1)),
    agent("王五", date(2026, 11, 1), date(2026, 11, 16)),
)


def test_advance_december_with_negative_november_true_up():
    # December billed in advance at 3 contracted seats: 3 × 600,000 × 31 / 31 = 1,800,000.
    # November actual (30 days): 张三 30/30 → 600,000; 李四 30/30 → 600,000; 王五 leaves Nov 16 → 1..15
    # = 15/30 → 300,000; actual 1,500,000. Billed in advance for November: 3 × 600,000 × 30/30 = 1,800,000.
    # True-up 1,500,000 − 1,800,000 = −300,000.
    # Taxable 1,800,000 − 300,000 = 1,500,000; tax 6% = 90,000; total 1,590,000.
    result = bill(advance(), parse_period("2026-12"), previous_assignments=NOV_TEAM)
    seat, true_up = result.lines
    assert (seat.kind, seat.description, seat.quantity, seat.unit, seat.unit_price_fen, seat.amount_fen) == (
        "seat",
        "售前白班席位 × 3 席 · 2026-12 预收 31/31 天 × ¥6,000.00/月",
        D(3),
        "席",
        None,
        1_800_000,
    )
    assert true_up.kind == "true_up"
    assert true_up.description == "上期（2026-11）席位多退少补：实际 ¥15,000.00 − 预收 ¥18,000.00"
    assert true_up.amount_fen == -300_000
    assert "王五 · 2026-11 服务 15/30 天 × ¥6,000.00/月 ¥3,000.00" in true_up.reason
    assert result.service_fen == 1_500_000
    assert result.tax_fen == 90_000
    assert result.total_fen == 1_590_000


def test_first_advance_invoice_has_no_true_up():
    # November is the first month: 3 × 600,000 × 30/30 = 1,800,000; October lies before the term.
    result = bill(advance(), parse_period("2026-11"))
    assert amounts(result) == [1_800_000]
    assert result.notes == ("首期预收，无上期（2026-10）多退少补",)


def test_advance_partial_first_month_and_zero_true_up():
    # Term starts Nov 16 → November advance 3 × 600,000 × 15/30 = 900,000.
    c = advance(start_on=date(2026, 11, 16))
    assert amounts(bill(c, parse_period("2026-11"))) == [900_000]
    # December: advance 1,800,000; November actual: three agents from Nov 16 → 3 × 300,000 = 900,000,
    # advance 900,000 → true-up 0 (still shown).
    team = tuple(agent(n, date(2026, 11, 16)) for n in ("甲", "乙", "丙"))
    result = bill(c, parse_period("2026-12"), previous_assignments=team)
    assert amounts(result) == [1_800_000, 0]


def test_last_period_settled_by_billing_the_period_after_the_term():
    # Term ends Dec 31. The January invoice bills nothing in advance, only December's true-up:
    # December actual 2 agents × 600,000 = 1,200,000 − advance 1,800,000 = −600,000 (a credit).
    c = advance(end_on=date(2026, 12, 31))
    team = (agent("张三", date(2026, 11, 1)), agent("李四", date(2026, 11, 1)))
    result = bill(c, parse_period("2027-01"), previous_assignments=team)
    assert [(x.kind, x.amount_fen) for x in result.lines] == [("true_up", -600_000)]
    # Tax 6% on −600,000 = −36,000; total −636,000.
    assert result.total_fen == -636_000


def test_advance_base_commission_trues_up_commission():
    # Base 1 seat ¥3,000.00: December advance 300,000 × 31/31 = 300,000; no commission in advance.
    # November: base actual 30/30 = 300,000 − advance 300,000 = 0;
    # commission: GMV ¥100,000.00, refunds ¥0 → 2% = ¥2,000.00 − ¥0 advanced = +200,000.
    c = advance(
        model="base_commission", seats=(SeatInput("presales", "day", 1, 300_000),), commission_rate_bp=200
    )
    result = bill(
        c,
        parse_period("2026-12"),
        previous_assignments=(agent("张三", date(2026, 11, 1)),),
        previous_usage=(use(date(2026, 11, 11), gmv=10_000_000),),
        usage=(use(date(2026, 12, 1), gmv=99_000_000),),
    )
    assert [(x.kind, x.amount_fen) for x in result.lines] == [
        ("base", 300_000),
        ("true_up", 0),
        ("true_up", 200_000),
    ]
    assert result.lines[0].description == "售前白班底薪 × 1 席 · 2026-12 预收 31/31 天 × ¥3,000.00/月"
    assert result.lines[2].description == "上期（2026-11）提成多退少补：实际 ¥2,000.00 − 预收 ¥0.00"


def test_advance_per_consult_bills_minimum_and_trues_up_consults():
    # Minimum ¥16,000.00: December advance 1,600,000.
    # November actual: 30,000 valid consults graduated: 5,000 × 0.70 + 5,000 × 0.65 + 20,000 × 0.60
    # = 3,500 + 3,250 + 12,000 = ¥18,750.00 (above the minimum, no top-up) − advance ¥16,000.00 = +275,000.
    tiers = (Tier(5_000, D("0.70")), Tier(10_000, D("0.65")), Tier(None, D("0.60")))
    c = advance(
        model="per_consult", seats=(), tier_mode="graduated", tiers=tiers, monthly_minimum_fen=1_600_000
    )
    result = bill(c, parse_period("2026-12"), previous_usage=(use(date(2026, 11, 3), 30_000),))
    assert [(x.kind, x.amount_fen) for x in result.lines] == [("consult", 1_600_000), ("true_up", 275_000)]
    assert result.lines[0].description == "咨询服务费 2026-12 预收（月度最低消费 ¥16,000.00 × 31/31 天）"
    assert result.lines[1].description == "上期（2026-11）咨询费多退少补：实际 ¥18,750.00 − 预收 ¥16,000.00"


def test_quarterly_advance_with_extras():
    # Run 2026-12 → invoice 2027-Q1. 1 seat: Jan, Feb, Mar 600,000 each = 1,800,000 in advance;
    # extras ¥200.00 × 1 per month → 20,000 × 3 = 60,000 (never trued up).
    # Q4 true-up: the agent leaves Dec 1 → Oct 600,000 + Nov 600,000 = 1,200,000 − advance 1,800,000 = −600,000.
    c = advance(
        billing_cycle="quarterly",
        start_on=date(2026, 10, 1),
        seats=(SeatInput("presales", "day", 1, 600_000),),
        extras=(ExtraInput("节假日值班", "次", 1, 20_000),),
    )
    result = bill(
        c,
        parse_period("2027-Q1"),
        previous_assignments=(agent("张三", date(2026, 10, 1), date(2026, 12, 1)),),
    )
    assert [(x.kind, x.amount_fen) for x in result.lines] == [
        ("seat", 600_000),
        ("seat", 600_000),
        ("seat", 600_000),
        ("extra", 20_000),
        ("extra", 20_000),
        ("extra", 20_000),
        ("true_up", -600_000),
    ]
    # 1,800,000 + 60,000 − 600,000 = 1,260,000.
    assert result.service_fen == 1_260_000


def test_advance_kpis_assess_the_previous_month_on_its_actual_fee():
    # As in the December test: November actual 1,500,000. First response ≤ 30 s, 5%:
    # November 45.0 s → breach → 1,500,000 × 5% = 75,000. December's own (slow) usage is not assessed.
    kpi = KpiInput.single("first_response_seconds", "lte", 30, "percent", 500)
    result = bill(
        advance(kpis=(kpi,)),
        parse_period("2026-12"),
        previous_assignments=NOV_TEAM,
        previous_usage=(use(date(2026, 11, 5), 100, first_response_ms=45_000),),
        usage=(use(date(2026, 12, 1), 100, first_response_ms=99_000),),
    )
    assert amounts(result, "kpi") == [-75_000]
    assert result.lines[-1].reason == "首次响应时间 2026-11 为 45.0 秒，高于约定的 30 秒"
    # 1,800,000 − 300,000 − 75,000 = 1,425,000.
    assert result.taxable_fen == 1_425_000


# --- 6. KPI deductions (in arrears) ---------------------------------------------------------

# Two agents the whole of October: 2 × 600,000 × 31/31 = 1,200,000 = the month's service fee.
OCT_TEAM = (agent("张三", date(2026, 9, 1)), agent("李四", date(2026, 9, 1)))
OCT = parse_period("2026-10")
FRT = KpiInput.single("first_response_seconds", "lte", 30, "percent", 500)
REPLY = KpiInput.single("reply_3min_rate", "gte", 9000, "percent", 1500)
SAT = KpiInput.single("satisfaction", "gte", 9000, "fixed", deduction_fen=100_000)


def test_breach_deducts_a_percent_of_the_month_fee():
    # 42.0 s > 30 s → 5% × 1,200,000 = 60,000. Taxable 1,140,000; tax 6% 68,400; total 1,208,400.
    result = bill(
        arrears(kpis=(FRT,)),
        OCT,
        assignments=OCT_TEAM,
        usage=(use(date(2026, 10, 5), 1_000, first_response_ms=42_000),),
    )
    line = result.lines[-1]
    assert (line.kind, line.amount_fen, line.month) == ("kpi", -60_000, "2026-10")
    assert line.reason == "首次响应时间 2026-10 为 42.0 秒，高于约定的 30 秒"
    assert line.description == "KPI 扣款 2026-10：首次响应时间未达标（当月服务费 ¥12,000.00 × 5%）"
    assert result.deductions_fen == -60_000
    assert result.taxable_fen == 1_140_000
    assert result.total_fen == 1_208_400


def test_threshold_compared_exactly():
    # Exactly 30,000 ms = 30 s is not above 30 s; 30,001 ms is (shown with ms so it does not read "30.0").
    c = arrears(kpis=(FRT,))
    at = bill(c, OCT, assignments=OCT_TEAM, usage=(use(date(2026, 10, 5), 7, first_response_ms=30_000),))
    assert amounts(at, "kpi") == []
    over = bill(c, OCT, assignments=OCT_TEAM, usage=(use(date(2026, 10, 5), 7, first_response_ms=30_001),))
    assert amounts(over, "kpi") == [-60_000]
    assert over.lines[-1].reason == "首次响应时间 2026-10 为 30.001 秒，高于约定的 30 秒"


def test_deductions_capped():
    # Cap 10% of 1,200,000 = 120,000. First response 5% → 60,000 (room left 60,000);
    # 3-minute reply 85% < 90% → 15% = 180,000 → cut to 60,000 "已达扣款上限";
    # satisfaction 85% < 90% (fixed ¥1,000.00) → nothing left: no line, a note.
    c = arrears(kpis=(FRT, REPLY, SAT), kpi_cap_bp=1000)
    usage = (
        use(date(2026, 10, 5), 1_000, first_response_ms=42_000, reply_3min_bp=8_500, satisfaction_bp=8_500),
    )
    result = bill(c, OCT, assignments=OCT_TEAM, usage=usage)
    first, second = [x for x in result.lines if x.kind == "kpi"]
    assert (first.amount_fen, second.amount_fen) == (-60_000, -60_000)
    assert "已达扣款上限" not in first.description
    assert second.description == (
        "KPI 扣款 2026-10：3分钟回复率未达标（当月服务费 ¥12,000.00 × 15%，应扣 ¥1,800.00，已达扣款上限 10%）"
    )
    assert second.reason == "3分钟回复率 2026-10 为 85%，低于约定的 90%"
    assert result.deductions_fen == -120_000
    assert result.notes == ("客户满意度 2026-10 为 85%，低于约定的 90%；当月 KPI 扣款已达上限 10%，不再扣款",)


def test_fixed_deduction_and_rate_metric():
    # Satisfaction 89.5% < 90% → fixed ¥1,000.00 = 100,000.
    result = bill(
        arrears(kpis=(SAT,)),
        OCT,
        assignments=OCT_TEAM,
        usage=(use(date(2026, 10, 5), 10, satisfaction_bp=8_950),),
    )
    assert amounts(result, "kpi") == [-100_000]
    assert result.lines[-1].reason == "客户满意度 2026-10 为 89.5%，低于约定的 90%"
    assert result.lines[-1].description == "KPI 扣款 2026-10：客户满意度未达标（固定扣款 ¥1,000.00）"


def test_breakin_month_not_assessed():
    # Term starts Oct 1 with one break-in month: October (index 0) is skipped, November (index 1) assessed.
    c = arrears(start_on=date(2026, 10, 1), kpis=(FRT,), breakin_months=1)
    slow = (
        use(date(2026, 10, 5), 100, first_response_ms=60_000),
        use(date(2026, 11, 5), 100, first_response_ms=60_000),
    )
    october = bill(c, OCT, assignments=OCT_TEAM, usage=slow)
    assert amounts(october, "kpi") == []
    assert october.notes == ("2026-10 为磨合期，不考核 KPI",)
    # November (30 days): 2 × 600,000 = 1,200,000 × 5% = 60,000.
    november = bill(c, parse_period("2026-11"), assignments=OCT_TEAM, usage=slow)
    assert amounts(november, "kpi") == [-60_000]
    assert november.notes == ()


def test_partial_start_month_counts_as_the_first_breakin_month():
    # Term starts Oct 20 (partial): October is index 0 → skipped; November is index 1 → assessed.
    c = arrears(start_on=date(2026, 10, 20), kpis=(FRT,), breakin_months=1)
    slow = (
        use(date(2026, 10, 25), 100, first_response_ms=60_000),
        use(date(2026, 11, 5), 100, first_response_ms=60_000),
    )
    assert bill(c, OCT, assignments=OCT_TEAM, usage=slow).notes == ("2026-10 为磨合期，不考核 KPI",)
    assert amounts(bill(c, parse_period("2026-11"), assignments=OCT_TEAM, usage=slow), "kpi") == [-60_000]


def test_metric_weighted_by_consults():
    # Day 1: 900 consults at 35 s; day 2: 100 consults at 10 s. Unweighted mean (35 + 10) / 2 = 22.5 s
    # would pass; weighted (900 × 35 + 100 × 10) / 1,000 = (31,500 + 1,000) / 1,000 = 32.5 s > 30 s → breach.
    # The day with 0 consults (999 s) and the day without a figure are ignored.
    usage = (
        use(date(2026, 10, 1), 900, first_response_ms=35_000),
        use(date(2026, 10, 2), 100, first_response_ms=10_000),
        use(date(2026, 10, 3), 0, first_response_ms=999_000),
        use(date(2026, 10, 4), 500),
    )
    result = bill(arrears(kpis=(FRT,)), OCT, assignments=OCT_TEAM, usage=usage)
    assert amounts(result, "kpi") == [-60_000]
    assert result.lines[-1].reason == "首次响应时间 2026-10 为 32.5 秒，高于约定的 30 秒"


def test_no_data_is_noted_not_assessed():
    result = bill(arrears(kpis=(FRT,)), OCT, assignments=OCT_TEAM, usage=(use(date(2026, 10, 5), 100),))
    assert amounts(result, "kpi") == []
    assert result.notes == ("首次响应时间 2026-10 无数据，未考核",)


def test_quarter_kpis_per_month_with_commission_allocated_by_gmv():
    # Q4 base + commission, one agent all quarter at ¥3,100.00 → 310,000 per month (31/31, 30/30, 31/31).
    # GMV Oct ¥100,000.00, Nov ¥100,000.00, Dec ¥200,000.00 → ¥400,000.00 × 2% = ¥8,000.00 commission,
    # allocated by GMV share: Oct ¥2,000.00, Nov ¥2,000.00, Dec ¥4,000.00.
    # Only December is slow (40 s): fee ¥3,100.00 + ¥4,000.00 = ¥7,100.00 × 10% = ¥710.00.
    kpi = KpiInput.single("first_response_seconds", "lte", 30, "percent", 1000)
    c = arrears(
        model="base_commission",
        billing_cycle="quarterly",
        seats=(SeatInput("presales", "day", 1, 310_000),),
        commission_rate_bp=200,
        kpis=(kpi,),
    )
    usage = (
        use(date(2026, 10, 5), 100, gmv=10_000_000, first_response_ms=20_000),
        use(date(2026, 11, 5), 100, gmv=10_000_000, first_response_ms=20_000),
        use(date(2026, 12, 5), 100, gmv=20_000_000, first_response_ms=40_000),
    )
    result = bill(c, parse_period("2026-Q4"), assignments=(agent("张三", date(2026, 9, 1)),), usage=usage)
    assert amounts(result) == [310_000, 310_000, 310_000, 800_000, -71_000]
    assert result.lines[-1].month == "2026-12"
    # 930,000 + 800,000 − 71,000 = 1,659,000.
    assert result.taxable_fen == 1_659_000


def test_extras_not_in_the_kpi_fee_and_fixed_deduction_capped_by_the_fee():
    # October fee = seats only: one agent 1/31 day at ¥3,100.00 → 10,000 (extras ¥500.00 excluded).
    # Fixed ¥1,000.00 deduction, default cap 100% of 10,000 → cut to 10,000.
    c = arrears(
        seats=(SeatInput("presales", "day", 1, 310_000),),
        kpis=(SAT,),
        extras=(ExtraInput("大促加派", "人次", 1, 50_000),),
    )
    result = bill(
        c,
        OCT,
        assignments=(agent("张三", date(2026, 10, 31)),),
        usage=(use(date(2026, 10, 31), 10, satisfaction_bp=5_000),),
    )
    assert [(x.kind, x.amount_fen) for x in result.lines] == [
        ("seat", 10_000),
        ("extra", 50_000),
        ("kpi", -10_000),
    ]
    assert "已达扣款上限 100%" in result.lines[-1].description


def test_long_true_up_reason_is_summarised():
    # 30 agents all November: 30 × 600,000 = 18,000,000 actual; advance 3 seats 1,800,000 → +16,200,000.
    # Listing 30 lines would exceed the 300 characters kept, so the reason is a summary.
    team = tuple(agent(f"坐席{i:02d}", date(2026, 11, 1)) for i in range(30))
    result = bill(advance(), parse_period("2026-12"), previous_assignments=team)
    true_up = result.lines[-1]
    assert true_up.amount_fen == 16_200_000
    assert true_up.reason == "实际明细共 30 行，合计 ¥180,000.00"
