"""Billing engine: deposit offsets (scenario 7), tax inclusive/exclusive (scenario 8), adjustments and
property tests that every statement adds up to the fen.

Every expected amount is worked out by hand in the comments (fen unless shown as ¥) and written
literally; nothing is computed by the engine or the pricing functions in the test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ops.billing.engine import (
    AdjustmentInput,
    AssignmentInput,
    ContractInput,
    KpiInput,
    SeatInput,
    UsageInput,
    bill,
    parse_period,
)
from ops.quotes.pricing import Tier

D = Decimal
NOV = parse_period("2026-11")

BASE = ContractInput(
    contract_id=3,
    model="fixed_seat",
    start_on=date(2026, 9, 1),
    end_on=date(2027, 8, 31),
    billing_cycle="monthly",
    billing_timing="in_arrears",
    tax_rate_bp=600,
    prices_include_tax=False,
    seats=(SeatInput("presales", "day", 1, 600_000),),
)
# One agent the whole of November: 600,000 × 30/30 = 600,000; tax 6% excl. = 36,000; gross 636,000.
ONE = (AssignmentInput("张三", "presales", "day", date(2026, 9, 1), None),)


def contract(**changes) -> ContractInput:
    return replace(BASE, **changes)


# --- 7. deposit -----------------------------------------------------------------------------


def test_deposit_on_the_first_invoice():
    # Deposit ¥5,000.00 received, used on the first invoice: 636,000 − 500,000 = 136,000.
    c = contract(deposit_fen=500_000, deposit_usage="first_invoice", deposit_received=True)
    result = bill(c, NOV, assignments=ONE, first_invoice=True)
    deposit = result.lines[-1]
    assert (deposit.kind, deposit.amount_fen) == ("deposit", -500_000)
    assert deposit.description.startswith("定金抵扣")
    assert (result.net_fen, result.tax_fen, result.deposit_offset_fen, result.total_fen) == (
        600_000,
        36_000,
        -500_000,
        136_000,
    )
    # Tax is on the service, not reduced by the deposit.
    assert result.taxable_fen == 600_000
    # Not the first invoice → no offset: 636,000.
    assert bill(c, NOV, assignments=ONE).total_fen == 636_000


def test_deposit_on_the_last_invoice():
    c = contract(deposit_fen=500_000, deposit_usage="last_invoice", deposit_received=True)
    assert bill(c, NOV, assignments=ONE, last_invoice=True).total_fen == 136_000
    # first_invoice does not trigger a last-invoice deposit.
    assert bill(c, NOV, assignments=ONE, first_invoice=True).total_fen == 636_000


def test_deposit_not_received_or_refunded_at_end():
    not_received = contract(deposit_fen=500_000, deposit_usage="first_invoice", deposit_received=False)
    result = bill(not_received, NOV, assignments=ONE, first_invoice=True)
    assert [x.kind for x in result.lines] == ["seat"]
    assert (result.deposit_offset_fen, result.total_fen) == (0, 636_000)
    refund = contract(deposit_fen=500_000, deposit_usage="refund_at_end", deposit_received=True)
    assert bill(refund, NOV, assignments=ONE, first_invoice=True, last_invoice=True).total_fen == 636_000


def test_deposit_larger_than_the_invoice():
    # Deposit ¥10,000.00 against 636,000 → offset 636,000, total 0, remainder ¥3,640.00 noted.
    c = contract(deposit_fen=1_000_000, deposit_usage="last_invoice", deposit_received=True)
    result = bill(c, NOV, assignments=ONE, last_invoice=True)
    assert (result.deposit_offset_fen, result.total_fen) == (-636_000, 0)
    assert result.notes == ("定金 ¥10,000.00 本期抵扣 ¥6,360.00，余额 ¥3,640.00 未抵扣",)


# --- 8. tax ---------------------------------------------------------------------------------

TEN_K = contract(seats=(SeatInput("presales", "day", 1, 1_000_000),))


def test_tax_inclusive():
    # Taxable ¥10,000.00 including 6%: tax 1,000,000 × 600 / 10,600 = 56,603.77… → 56,604 (¥566.04);
    # net 1,000,000 − 56,604 = 943,396 (¥9,433.96); total 1,000,000.
    result = bill(replace(TEN_K, prices_include_tax=True), NOV, assignments=ONE)
    assert (result.taxable_fen, result.tax_fen, result.net_fen, result.total_fen) == (
        1_000_000,
        56_604,
        943_396,
        1_000_000,
    )
    assert sum(x.amount_fen for x in result.lines) == 1_000_000


def test_tax_exclusive():
    # Same amounts excluding 6%: tax 1,000,000 × 6% = 60,000 (¥600.00); total ¥10,600.00.
    result = bill(TEN_K, NOV, assignments=ONE)
    assert (result.taxable_fen, result.tax_fen, result.net_fen, result.total_fen) == (
        1_000_000,
        60_000,
        1_000_000,
        1_060_000,
    )
    assert sum(x.amount_fen for x in result.lines) == 1_000_000


def test_tax_rounded_once_half_up():
    # Rate ¥10,000.25 full month → 1,000,025; 6% = 60,001.5 → 60,002; total 1,060,027.
    c = contract(seats=(SeatInput("presales", "day", 1, 1_000_025),))
    result = bill(c, NOV, assignments=ONE)
    assert (result.tax_fen, result.total_fen) == (60_002, 1_060_027)


def test_adjustments_and_deductions_are_taxed():
    # Service 1,000,000; KPI 5% → −50,000; adjustment −¥100.00 "补偿" → −10,000.
    # Taxable 1,000,000 − 50,000 − 10,000 = 940,000.
    # Inclusive: tax 940,000 × 600 / 10,600 = 53,207.54… → 53,208; net 886,792; total 940,000.
    # Exclusive: tax 56,400; total 996,400.
    kpi = KpiInput.single("first_response_seconds", "lte", 30, "percent", 500)
    adj = AdjustmentInput("系统故障补偿", -10_000, "11 月 3 日平台故障 2 小时，经双方确认补偿")
    usage = (UsageInput(date(2026, 11, 2), "taobao", 100, 100, 0, 0, first_response_ms=50_000),)
    c = replace(TEN_K, kpis=(kpi,))
    inclusive = bill(
        replace(c, prices_include_tax=True), NOV, assignments=ONE, usage=usage, adjustments=(adj,)
    )
    adjustment = inclusive.lines[-1]
    assert (adjustment.kind, adjustment.description, adjustment.amount_fen, adjustment.reason) == (
        "adjustment",
        "系统故障补偿",
        -10_000,
        "11 月 3 日平台故障 2 小时，经双方确认补偿",
    )
    assert (
        inclusive.service_fen,
        inclusive.deductions_fen,
        inclusive.adjustments_fen,
        inclusive.taxable_fen,
    ) == (1_000_000, -50_000, -10_000, 940_000)
    assert (inclusive.tax_fen, inclusive.net_fen, inclusive.total_fen) == (53_208, 886_792, 940_000)
    exclusive = bill(c, NOV, assignments=ONE, usage=usage, adjustments=(adj,))
    assert (exclusive.tax_fen, exclusive.net_fen, exclusive.total_fen) == (56_400, 940_000, 996_400)


def test_negative_invoice_gets_no_deposit():
    # Service 600,000 with an adjustment of −¥8,000.00 → taxable −200,000; tax 6% −12,000; total −212,000.
    # The first-invoice deposit has nothing to offset: ¥5,000.00 stays, noted.
    c = contract(deposit_fen=500_000, deposit_usage="first_invoice", deposit_received=True)
    result = bill(
        c,
        NOV,
        assignments=ONE,
        adjustments=(AdjustmentInput("退还多收", -800_000, "上月重复收费"),),
        first_invoice=True,
    )
    assert (result.taxable_fen, result.tax_fen, result.deposit_offset_fen, result.total_fen) == (
        -200_000,
        -12_000,
        0,
        -212_000,
    )
    assert result.notes == ("定金 ¥5,000.00 本期抵扣 ¥0.00，余额 ¥5,000.00 未抵扣",)


# --- properties -----------------------------------------------------------------------------

DAYS = st.integers(min_value=0, max_value=140).map(lambda n: date(2026, 9, 1) + timedelta(days=n))


@st.composite
def assignments(draw):
    go_live = draw(st.none() | DAYS)
    end = draw(st.none() | DAYS)
    shift = draw(st.sampled_from(["day", "night"]))
    return AssignmentInput(draw(st.sampled_from("甲乙丙丁")), "presales", shift, go_live, end)


@st.composite
def usages(draw):
    consults = draw(st.integers(0, 5_000))
    return UsageInput(
        draw(DAYS),
        "taobao",
        consults,
        draw(st.integers(0, consults)),
        draw(st.integers(0, 50_000_000)),
        draw(st.integers(0, 50_000_000)),
        first_response_ms=draw(st.none() | st.integers(0, 90_000)),
        satisfaction_bp=draw(st.none() | st.integers(0, 10_000)),
    )


@st.composite
def contracts(draw):
    model = draw(st.sampled_from(["fixed_seat", "base_commission", "per_consult"]))
    start = draw(DAYS)
    return ContractInput(
        contract_id=9,
        model=model,
        start_on=start,
        end_on=start + timedelta(days=draw(st.integers(0, 200))),
        billing_cycle=draw(st.sampled_from(["monthly", "quarterly"])),
        billing_timing=draw(st.sampled_from(["in_arrears", "in_advance"])),
        tax_rate_bp=draw(st.sampled_from([0, 100, 300, 600, 900, 1300])),
        prices_include_tax=draw(st.booleans()),
        seats=(
            SeatInput("presales", "day", draw(st.integers(0, 5)), draw(st.integers(0, 3_000_000))),
            SeatInput("presales", "night", draw(st.integers(0, 5)), draw(st.integers(0, 3_000_000))),
        ),
        commission_rate_bp=draw(st.integers(0, 2_000)),
        tier_mode=draw(st.sampled_from(["graduated", "volume", "band"])),
        tiers=(Tier(100, D("1.37"), D("5")), Tier(2_000, D("0.333")), Tier(None, D("0.1"), D("999.99"))),
        consult_multiplier_bp=draw(st.integers(1, 30_000)),
        monthly_minimum_fen=draw(st.integers(0, 3_000_000)),
        kpis=(
            KpiInput.single("first_response_seconds", "lte", 30, "percent", draw(st.integers(1, 3_000))),
            KpiInput.single(
                "satisfaction", "gte", 9_000, "fixed", deduction_fen=draw(st.integers(1, 500_000))
            ),
        ),
        kpi_cap_bp=draw(st.integers(0, 10_000)),
        breakin_months=draw(st.integers(0, 2)),
        deposit_fen=draw(st.integers(0, 5_000_000)),
        deposit_usage=draw(st.sampled_from(["first_invoice", "last_invoice", "refund_at_end"])),
        deposit_received=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(
    contract=contracts(),
    period=st.sampled_from(["2026-10", "2026-11", "2026-12", "2027-01", "2026-Q4", "2027-Q1"]),
    team=st.lists(assignments(), max_size=6),
    previous_team=st.lists(assignments(), max_size=6),
    usage=st.lists(usages(), max_size=8),
    adjustments=st.lists(st.integers(-500_000, 500_000), max_size=3),
    first=st.booleans(),
    last=st.booleans(),
)
def test_statement_always_adds_up(contract, period, team, previous_team, usage, adjustments, first, last):
    result = bill(
        contract,
        parse_period(period),
        assignments=team,
        usage=usage,
        previous_usage=usage,
        previous_assignments=previous_team,
        adjustments=[AdjustmentInput("调整", a, "测试") for a in adjustments],
        first_invoice=first,
        last_invoice=last,
    )
    lines = result.lines
    assert all(isinstance(x.amount_fen, int) for x in lines)
    assert result.total_fen == result.net_fen + result.tax_fen + result.deposit_offset_fen
    assert sum(x.amount_fen for x in lines) == result.taxable_fen + result.deposit_offset_fen
    assert result.taxable_fen == result.service_fen + result.deductions_fen + result.adjustments_fen
    assert result.deductions_fen == sum(x.amount_fen for x in lines if x.kind == "kpi") <= 0
    assert result.deposit_offset_fen <= 0
    assert result.deposit_offset_fen >= -max(0, result.net_fen + result.tax_fen)
    assert all(x.amount_fen < 0 for x in lines if x.kind in ("kpi", "deposit"))
    if contract.prices_include_tax:
        assert result.net_fen + result.tax_fen == result.taxable_fen
    else:
        assert result.net_fen == result.taxable_fen


@settings(max_examples=300, deadline=None)
@given(
    rate=st.integers(0, 5_000_000),
    team=st.lists(assignments(), min_size=1, max_size=6),
    period=st.sampled_from(["2026-10", "2026-11", "2027-02", "2026-Q4", "2027-Q1"]),
)
def test_proration_never_exceeds_the_monthly_rate(rate, team, period):
    c = contract(
        seats=(SeatInput("presales", "day", 1, rate), SeatInput("presales", "night", 1, rate)),
        end_on=date(2027, 12, 31),
    )
    result = bill(c, parse_period(period), assignments=team)
    for line in result.lines:
        assert line.kind == "seat"
        assert 0 <= line.amount_fen <= rate and line.unit_price_fen is None
        assert 1 <= line.quantity <= 31
    # One agent's lines in a period never add up to more than the rate × the months.
    for name in {a.agent_name for a in team}:
        mine = [x for x in result.lines if f"· {name} ·" in x.description]
        per_assignment = sum(1 for a in team if a.agent_name == name)
        assert sum(x.amount_fen for x in mine) <= rate * len(parse_period(period).months) * per_assignment
