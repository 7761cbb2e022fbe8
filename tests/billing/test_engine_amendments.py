"""Billing engine with contract amendments (补充协议): terms versioned by effective date.

Every expected amount is worked out by hand in the comments (fen) and written literally.
October 2026 has 31 days; an amendment from 2026-10-16 splits it into 15 + 16 days.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ops.billing.engine import (
    AssignmentInput,
    ContractInput,
    ExtraInput,
    SeatInput,
    TermVersion,
    bill,
    parse_period,
)
from ops.contracts.versions import term_segments, terms_on

OCT16 = date(2026, 10, 16)
BASE = ContractInput(
    contract_id=1,
    model="fixed_seat",
    start_on=date(2026, 9, 1),
    end_on=date(2027, 8, 31),
    billing_cycle="monthly",
    billing_timing="in_arrears",
    tax_rate_bp=600,
    prices_include_tax=False,
    seats=(SeatInput("presales", "day", 2, 500_000),),
)
LIVE = (
    AssignmentInput("甲", "presales", "day", date(2026, 9, 1), None),
    AssignmentInput("乙", "presales", "day", date(2026, 9, 1), None),
)


def _amounts(result, kind):
    return [line.amount_fen for line in result.lines if line.kind == kind]


def test_without_amendments_a_contract_bills_as_before():
    result = bill(BASE, parse_period("2026-10"), assignments=LIVE)
    # 2 agents × a full month × ¥5,000.00
    assert _amounts(result, "seat") == [500_000, 500_000]


def test_an_added_seat_from_the_16th_bills_16_of_31_days_in_arrears():
    added = replace(BASE, versions=(TermVersion(OCT16, (SeatInput("presales", "day", 3, 500_000),), ()),))
    third = AssignmentInput("丙", "presales", "day", OCT16, None)
    result = bill(added, parse_period("2026-10"), assignments=(*LIVE, third))
    # 甲 and 乙: 15 days at the base rate + 16 days at the amended (same) rate:
    #   500_000 × 15 / 31 = 241_935.48 → 241_935; 500_000 × 16 / 31 = 258_064.52 → 258_065
    # 丙 from the 16th: 500_000 × 16 / 31 = 258_064.52 → 258_065
    assert _amounts(result, "seat") == [241_935, 258_065, 241_935, 258_065, 258_065]
    third_line = [line for line in result.lines if "丙" in line.description]
    assert [line.description for line in third_line] == [
        "售前白班席位 · 丙 · 2026-10 服务 16/31 天 × ¥5,000.00/月"
    ]


def test_an_added_seat_from_the_16th_in_advance_bills_each_segment():
    added = replace(
        BASE,
        billing_timing="in_advance",
        versions=(TermVersion(OCT16, (SeatInput("presales", "day", 3, 500_000),), ()),),
    )
    result = bill(added, parse_period("2026-10"), first_invoice=True)
    # Oct 1–15: 2 seats, 1_000_000 × 15 / 31 = 483_870.97 → 483_871
    # Oct 16–31: 3 seats, 1_500_000 × 16 / 31 = 774_193.55 → 774_194
    assert _amounts(result, "seat") == [483_871, 774_194]
    assert "预收 16/31 天" in result.lines[1].description
    # November is one segment, at the amended seats: 3 × 500_000
    assert _amounts(bill(added, parse_period("2026-11")), "seat")[:1] == [1_500_000]


def test_a_price_change_from_the_16th_splits_each_agents_month():
    raised = replace(BASE, versions=(TermVersion(OCT16, (SeatInput("presales", "day", 2, 620_000),), ()),))
    result = bill(raised, parse_period("2026-10"), assignments=LIVE)
    # per agent: 500_000 × 15 / 31 = 241_935.48 → 241_935; 620_000 × 16 / 31 = 320_000 exactly
    assert _amounts(result, "seat") == [241_935, 320_000, 241_935, 320_000]
    # service 2 × (241_935 + 320_000) = 1_123_870; tax 6 % = 67_432.2 → 67_432
    assert result.service_fen == 1_123_870
    assert result.tax_fen == 67_432
    # November: the new rate only, 2 × 620_000
    assert _amounts(bill(raised, parse_period("2026-11"), assignments=LIVE), "seat") == [620_000, 620_000]


def test_monthly_extras_are_prorated_by_days_in_a_split_month():
    extra = ExtraInput("质检报告", "份", 1, 31_000)
    with_extra = replace(
        BASE,
        extras=(extra,),
        versions=(TermVersion(OCT16, BASE.seats, (replace(extra, quantity=2),)),),
    )
    result = bill(with_extra, parse_period("2026-10"), assignments=LIVE)
    # Oct 1–15: 1 × 31_000 × 15 / 31 = 15_000; Oct 16–31: 2 × 31_000 × 16 / 31 = 32_000
    assert _amounts(result, "extra") == [15_000, 32_000]
    # September (before) is not split: 1 × 31_000; November (after): 2 × 31_000
    assert _amounts(bill(with_extra, parse_period("2026-09"), assignments=LIVE), "extra") == [31_000]
    assert _amounts(bill(with_extra, parse_period("2026-11"), assignments=LIVE), "extra") == [62_000]


def test_the_true_up_compares_like_with_like_across_an_amendment():
    added = replace(
        BASE,
        billing_timing="in_advance",
        versions=(TermVersion(OCT16, (SeatInput("presales", "day", 3, 500_000),), ()),),
    )
    third = AssignmentInput("丙", "presales", "day", OCT16, None)
    result = bill(added, parse_period("2026-11"), previous_assignments=(*LIVE, third))
    # actual October: 2 × (241_935 + 258_065) + 258_065 = 1_258_065
    # advance October: 483_871 + 774_194 = 1_258_065 → true-up 0
    assert _amounts(result, "true_up") == [0]


def test_term_segments_split_a_range_at_each_effective_date():
    base = {
        "model": "fixed_seat",
        "seats": [{"scope": "presales", "shift": "day", "seats": 2, "monthly_rate_fen": 1}],
    }
    three = {
        "seats": [{"scope": "presales", "shift": "day", "seats": 3, "monthly_rate_fen": 1}],
        "extras": [],
    }
    four = {"seats": [{"scope": "presales", "shift": "day", "seats": 4, "monthly_rate_fen": 1}], "extras": []}
    versions = [(date(2026, 11, 1), four), (OCT16, three)]
    segments = term_segments(base, versions, date(2026, 10, 1), date(2026, 11, 30))
    assert [(s, e, t["seats"][0]["seats"]) for s, e, t in segments] == [
        (date(2026, 10, 1), date(2026, 10, 15), 2),
        (date(2026, 10, 16), date(2026, 10, 31), 3),
        (date(2026, 11, 1), date(2026, 11, 30), 4),
    ]
    assert terms_on(base, versions, date(2026, 10, 15))["seats"][0]["seats"] == 2
    assert terms_on(base, versions, OCT16)["model"] == "fixed_seat"
    assert term_segments(base, [], date(2026, 10, 1), date(2026, 10, 31)) == [
        (date(2026, 10, 1), date(2026, 10, 31), base)
    ]
