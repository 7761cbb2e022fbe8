"""Billing engine: KPI scales (one clause, several bands; the worst band reached applies) and the
results of every assessed clause, printed on the invoice.

Expected amounts are worked out by hand in the comments (fen unless shown as ¥).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ops.billing.engine import (
    AssignmentInput,
    BandInput,
    ContractInput,
    KpiInput,
    SeatInput,
    UsageInput,
    bill,
    parse_period,
)

# 2 seats × ¥5,000.00 the whole of October (31/31 days): the month's fee is 1,000,000 fen.
CONTRACT = ContractInput(
    contract_id=9,
    model="fixed_seat",
    start_on=date(2026, 9, 1),
    end_on=date(2027, 8, 31),
    billing_cycle="monthly",
    billing_timing="in_arrears",
    tax_rate_bp=600,
    prices_include_tax=True,
    seats=(SeatInput("presales", "day", 2, 500_000),),
    kpi_cap_bp=2000,
)
TEAM = (
    AssignmentInput("张三", "presales", "day", date(2026, 9, 1), None),
    AssignmentInput("李四", "presales", "day", date(2026, 9, 1), None),
)
OCT = parse_period("2026-10")
# The trade scale: response-delay rate over 10% → 5% of the month's fee, over 20% → 15%.
DELAY = KpiInput("response_delay_rate", "lte", "percent", (BandInput(1000, 500), BandInput(2000, 1500)))
FRT = KpiInput.single("first_response_seconds", "lte", 30, "percent", 500)


def day(d, consults, **kpi):
    return UsageInput(date(2026, 10, d), "taobao", consults, consults, 0, 0, **kpi)


def kpi_amounts(result):
    return [line.amount_fen for line in result.lines if line.kind == "kpi"]


def test_delay_scale_is_strict_at_each_band():
    c = replace(CONTRACT, kpis=(DELAY,))
    cases = (
        # delay = 100% − reply rate; "over 10%": 10.00% is met.
        (9000, [], 1_000_000, "达标"),
        # 10.01% → band 1: 5% × 1,000,000 = 50,000; total 1,000,000 − 50,000 = 950,000.
        (8999, [-50_000], 950_000, "高于 10%"),
        # 20.00% is still band 1 (not over 20%): 50,000.
        (8000, [-50_000], 950_000, "高于 10%"),
        # 20.01% → band 2 only (bands do not add up): 15% × 1,000,000 = 150,000; total 850,000.
        (7999, [-150_000], 850_000, "高于 20%"),
    )
    for reply, expected, total, outcome in cases:
        result = bill(c, OCT, assignments=TEAM, usage=(day(5, 200, reply_3min_bp=reply),))
        assert kpi_amounts(result) == expected, reply
        assert result.total_fen == total, reply
        (r,) = result.kpi_results
        assert (r.month, r.label, r.target, r.outcome) == ("2026-10", "响应延迟率", "不高于 10%", outcome)
        assert r.deduction_fen == -sum(expected)


def test_delay_rate_is_weighted_by_consults():
    # Reply rates 92.00% on 100 consults and 79.98% on 300: weighted reply
    # (9200×100 + 7998×300) / 400 = (920,000 + 2,399,400) / 400 = 8298.5 → delay 17.015% → band 1.
    result = bill(
        replace(CONTRACT, kpis=(DELAY,)),
        OCT,
        assignments=TEAM,
        usage=(day(3, 100, reply_3min_bp=9200), day(4, 300, reply_3min_bp=7998)),
    )
    assert kpi_amounts(result) == [-50_000]
    line = result.lines[-1]
    assert line.reason == "响应延迟率 2026-10 为 17.02%，高于 10%"
    assert line.description == "KPI 扣款 2026-10：响应延迟率高于 10%（当月服务费 ¥10,000.00 × 5%）"
    assert result.kpi_results[0].measured == "17.02%"


def test_every_clause_is_reported_met_breached_or_without_data_and_the_cap_holds():
    # FRT 42 s > 30 s: 5% = 50,000. Delay 25% → 15% = 150,000, but the cap is 20% × 1,000,000 =
    # 200,000 and 50,000 is used: 150,000 fits exactly. A satisfaction clause has no data.
    sat = KpiInput.single("satisfaction", "gte", 9000, "fixed", deduction_fen=100_000)
    result = bill(
        replace(CONTRACT, kpis=(FRT, DELAY, sat)),
        OCT,
        assignments=TEAM,
        usage=(day(5, 100, first_response_ms=42_000, reply_3min_bp=7500),),
    )
    assert kpi_amounts(result) == [-50_000, -150_000]
    assert [(r.label, r.measured, r.outcome, r.deduction_fen) for r in result.kpi_results] == [
        ("首次响应时间", "42.0 秒", "高于 30 秒", 50_000),
        ("响应延迟率", "25%", "高于 20%", 150_000),
        ("客户满意度", "—", "无数据，未考核", 0),
    ]
    assert "客户满意度 2026-10 无数据，未考核" in result.notes
    # Over the cap: with a 15% cap (150,000), the delay clause gets 150,000 − 50,000 = 100,000.
    capped = bill(
        replace(CONTRACT, kpis=(FRT, DELAY), kpi_cap_bp=1500),
        OCT,
        assignments=TEAM,
        usage=(day(5, 100, first_response_ms=42_000, reply_3min_bp=7500),),
    )
    assert kpi_amounts(capped) == [-50_000, -100_000]
    assert capped.kpi_results[1].deduction_fen == 100_000
    assert capped.kpi_results[1].note == "当月 KPI 扣款已达上限 15%，应扣 ¥1,500.00"


def test_met_clause_and_break_in_month_are_reported():
    # September is the break-in month (breakin_months=1 from 2026-09-01); October is assessed and met.
    c = replace(CONTRACT, kpis=(FRT,), breakin_months=1)
    sep = bill(c, parse_period("2026-09"), assignments=TEAM, usage=())
    assert sep.notes == ("2026-09 为磨合期，不考核 KPI",)
    assert [(r.month, r.outcome, r.deduction_fen) for r in sep.kpi_results] == [
        ("2026-09", "磨合期，不考核", 0)
    ]
    met = bill(c, OCT, assignments=TEAM, usage=(day(5, 10, first_response_ms=29_000),))
    assert [(r.measured, r.target, r.outcome, r.deduction_fen) for r in met.kpi_results] == [
        ("29.0 秒", "不高于 30 秒", "达标", 0)
    ]
    assert kpi_amounts(met) == []


def test_fixed_amount_bands():
    # Higher is better: satisfaction below 90% → ¥500.00, below 80% → ¥2,000.00; 79.99% → 200,000.
    sat = KpiInput("satisfaction", "gte", "fixed", (BandInput(9000, 0, 50_000), BandInput(8000, 0, 200_000)))
    result = bill(
        replace(CONTRACT, kpis=(sat,)), OCT, assignments=TEAM, usage=(day(5, 10, satisfaction_bp=7999),)
    )
    assert kpi_amounts(result) == [-200_000]
    assert result.kpi_results[0].outcome == "低于 80%"
