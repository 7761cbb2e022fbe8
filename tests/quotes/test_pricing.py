"""Tests for ops.quotes.pricing.

Every expected amount below is worked out by hand (the working is in the comments) and written
literally; nothing is computed by the code under test.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.quotes.pricing import (
    MODELS,
    SCOPES,
    SHIFTS,
    TIER_MODES,
    Extra,
    QuoteLine,
    QuoteTerms,
    SeatRequest,
    Tier,
    calculate_quote,
    tiered_amount,
    tiers_from_data,
    tiers_to_data,
    validate_tiers,
)

D = Decimal
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def raises_chinese(func, *args, **kwargs) -> str:
    """Call ``func`` expecting ValueError with a Chinese message; return the message."""
    with pytest.raises(ValueError) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert CHINESE.search(message), message
    return message


# Stripe docs: units 1–5 at 7, 6–10 at 6.5, 11+ at 6.
STRIPE = (Tier(5, D("7")), Tier(10, D("6.5")), Tier(None, D("6")))
# Lago docs: first 100 at 1, next 100 at 0.50, then 0.10.
LAGO = (Tier(100, D("1")), Tier(200, D("0.50")), Tier(None, D("0.10")))
# Flat fees: 0–10 at 1 + 5, 11–20 at 2 + 10, 21+ at 3 + 20.
FLAT = (
    Tier(10, D("1"), D("5")),
    Tier(20, D("2"), D("10")),
    Tier(None, D("3"), D("20")),
)
# Market band example: <50/day ≈ 1,500/month, 50–99 ≈ 2,000, 100–149 ≈ 3,000, 150+ 4,000.
MARKET_BAND = (
    Tier(49, D("0"), D("1500")),
    Tier(99, D("0"), D("2000")),
    Tier(149, D("0"), D("3000")),
    Tier(None, D("0"), D("4000")),
)


def test_labels():
    assert SCOPES == {"presales": "售前", "aftersales": "售后"}
    assert SHIFTS == {"day": "白班", "evening": "晚班", "night": "夜班", "full": "24小时"}
    assert MODELS == {"fixed_seat": "专人专席", "base_commission": "底薪+提成", "per_consult": "按咨询量"}
    assert TIER_MODES == {
        "graduated": "累进阶梯",
        "volume": "总量阶梯",
        "band": "按档包月",
        "daily_allowance": "每日包量",
    }


# ---------------------------------------------------------------------------
# tiered_amount: public worked examples and boundaries
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, D("0")),
        (5, D("35")),  # 5 × 7
        (6, D("39")),  # 6 × 6.5
        (10, D("65")),  # 10 × 6.5
        (11, D("66")),  # 11 × 6
        (25, D("150")),  # 25 × 6
    ],
)
def test_stripe_volume(quantity, expected):
    assert tiered_amount(quantity, STRIPE, "volume") == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, D("0")),
        (5, D("35")),  # 5 × 7
        (6, D("41.50")),  # 35 + 1 × 6.5
        (10, D("67.50")),  # 35 + 5 × 6.5
        (11, D("73.50")),  # 67.5 + 1 × 6
        (25, D("157.50")),  # 67.5 + 15 × 6
    ],
)
def test_stripe_graduated(quantity, expected):
    assert tiered_amount(quantity, STRIPE, "graduated") == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, D("0")),
        (100, D("100")),  # 100 × 1
        (101, D("100.50")),  # 100 + 1 × 0.5
        (200, D("150")),  # 100 + 100 × 0.5
        (201, D("150.10")),  # 150 + 1 × 0.1
        (250, D("155")),  # 100 + 50 + 50 × 0.1 (Lago's example)
    ],
)
def test_lago_graduated(quantity, expected):
    assert tiered_amount(quantity, LAGO, "graduated") == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, D("0")),
        (100, D("100")),  # 100 × 1
        (101, D("50.50")),  # 101 × 0.5
        (200, D("100")),  # 200 × 0.5
        (201, D("20.10")),  # 201 × 0.1
        (250, D("25")),  # 250 × 0.1
    ],
)
def test_lago_volume(quantity, expected):
    assert tiered_amount(quantity, LAGO, "volume") == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, D("5")),  # first tier reached at zero usage: flat 5
        (1, D("6")),  # 1 × 1 + 5
        (10, D("15")),  # 10 × 1 + 5
        (11, D("27")),  # 15 + 1 × 2 + 10
        (20, D("45")),  # 15 + 10 × 2 + 10
        (21, D("68")),  # 45 + 1 × 3 + 20
        (25, D("80")),  # 45 + 5 × 3 + 20
    ],
)
def test_flat_fees_graduated(quantity, expected):
    assert tiered_amount(quantity, FLAT, "graduated") == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (0, D("5")),  # 0 × 1 + 5
        (10, D("15")),  # 10 × 1 + 5
        (11, D("32")),  # 11 × 2 + 10
        (20, D("50")),  # 20 × 2 + 10
        (21, D("83")),  # 21 × 3 + 20
    ],
)
def test_flat_fees_volume(quantity, expected):
    assert tiered_amount(quantity, FLAT, "volume") == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(0, D("5")), (10, D("5")), (11, D("10")), (20, D("10")), (21, D("20")), (500, D("20"))],
)
def test_flat_fees_band(quantity, expected):
    assert tiered_amount(quantity, FLAT, "band") == expected


@pytest.mark.parametrize(
    ("daily", "expected"),
    [
        (0, D("1500")),
        (30, D("1500")),
        (49, D("1500")),
        (50, D("2000")),
        (80, D("2000")),
        (99, D("2000")),
        (100, D("3000")),
        (149, D("3000")),
        (150, D("4000")),
        (1000, D("4000")),
    ],
)
def test_market_band(daily, expected):
    assert tiered_amount(daily, MARKET_BAND, "band") == expected


def test_sub_fen_unit_price_is_not_rounded():
    # 7 × 0.035 = 0.245 yuan (24.5 fen): tiered_amount returns it exactly.
    assert tiered_amount(7, (Tier(None, D("0.035")),), "graduated") == D("0.245")


def test_first_tier_bounded_at_zero():
    tiers = (Tier(0, D("0"), D("100")), Tier(None, D("2")))
    assert tiered_amount(0, tiers, "graduated") == D("100")
    assert tiered_amount(3, tiers, "graduated") == D("106")  # 100 + 3 × 2
    assert tiered_amount(3, tiers, "volume") == D("6")  # 3 × 2


def test_tiered_amount_rejects_bad_input():
    raises_chinese(tiered_amount, -1, STRIPE, "graduated")
    raises_chinese(tiered_amount, 1, STRIPE, "stairs")
    raises_chinese(tiered_amount, True, STRIPE, "volume")
    raises_chinese(tiered_amount, 1.0, STRIPE, "volume")
    # tiers are validated on every call
    raises_chinese(tiered_amount, 1, (Tier(5, D("1")),), "volume")


# ---------------------------------------------------------------------------
# validate_tiers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tiers",
    [
        pytest.param((), id="empty"),
        pytest.param((Tier(10, D("1")), Tier(5, D("1")), Tier(None, D("1"))), id="unsorted"),
        pytest.param((Tier(10, D("1")), Tier(10, D("2")), Tier(None, D("1"))), id="duplicate-bound"),
        pytest.param((Tier(-1, D("1")), Tier(None, D("1"))), id="negative-bound"),
        pytest.param((Tier(10, D("-0.01")), Tier(None, D("1"))), id="negative-price"),
        pytest.param((Tier(10, D("1"), D("-5")), Tier(None, D("1"))), id="negative-flat-fee"),
        pytest.param((Tier(None, D("1")), Tier(10, D("1"))), id="open-tier-not-last"),
        pytest.param((Tier(None, D("1")), Tier(None, D("1"))), id="two-open-tiers"),
        pytest.param((Tier(10, D("1")), Tier(20, D("1"))), id="no-open-last-tier"),
        pytest.param((Tier(None, 0.5),), id="float-price"),  # type: ignore[arg-type]
        pytest.param((Tier(None, D("NaN")),), id="nan-price"),
        pytest.param((Tier(True, D("1")), Tier(None, D("1"))), id="bool-bound"),
    ],
)
def test_invalid_tiers(tiers):
    raises_chinese(validate_tiers, tiers)


def test_valid_tiers_pass():
    for tiers in (STRIPE, LAGO, FLAT, MARKET_BAND, (Tier(None, D("0")),)):
        validate_tiers(tiers)


# ---------------------------------------------------------------------------
# tiers_from_data / tiers_to_data
# ---------------------------------------------------------------------------


def test_tiers_from_data():
    data = [
        {"up_to": 100, "unit_price": "1", "flat_fee": "0"},
        {"up_to": 200, "unit_price": "0.50"},
        {"up_to": None, "unit_price": "0.10", "flat_fee": "12.5"},
    ]
    assert tiers_from_data(data) == (
        Tier(100, D("1"), D("0")),
        Tier(200, D("0.50"), D("0")),
        Tier(None, D("0.10"), D("12.5")),
    )


def test_tiers_to_data():
    assert tiers_to_data(FLAT) == [
        {"up_to": 10, "unit_price": "1", "flat_fee": "5"},
        {"up_to": 20, "unit_price": "2", "flat_fee": "10"},
        {"up_to": None, "unit_price": "3", "flat_fee": "20"},
    ]
    # never scientific notation
    assert tiers_to_data((Tier(None, D("1E+3"), D("0E-2")),)) == [
        {"up_to": None, "unit_price": "1000", "flat_fee": "0.00"}
    ]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([], id="empty"),
        pytest.param([{"up_to": None, "unit_price": 0.5}], id="float-price"),
        pytest.param([{"up_to": None, "unit_price": "abc"}], id="bad-price"),
        pytest.param([{"up_to": None, "unit_price": "Infinity"}], id="infinite-price"),
        pytest.param([{"up_to": None}], id="missing-price"),
        pytest.param(
            [{"up_to": "10", "unit_price": "1"}, {"up_to": None, "unit_price": "1"}], id="str-bound"
        ),
        pytest.param([{"up_to": 10, "unit_price": "1"}], id="no-open-last"),
        pytest.param([{"up_to": 10, "unit_price": "1"}, {"up_to": 5, "unit_price": "1"}], id="unsorted"),
        pytest.param(["x"], id="not-a-dict"),
    ],
)
def test_tiers_from_data_invalid(data):
    raises_chinese(tiers_from_data, data)


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

money = st.integers(min_value=0, max_value=1_000_000).map(lambda n: D(n).scaleb(-3))  # 0.000–1000 yuan


@st.composite
def tier_tables(draw):
    bounds = sorted(draw(st.sets(st.integers(min_value=0, max_value=500), max_size=4)))
    ups: list[int | None] = [*bounds, None]
    return tuple(Tier(up, draw(money), draw(money)) for up in ups)


@st.composite
def table_tier_and_quantity(draw):
    """A tier table, the index of one tier, and a quantity that falls in that tier."""
    tiers = draw(tier_tables())
    index = draw(st.integers(min_value=0, max_value=len(tiers) - 1))
    lower = 0 if index == 0 else tiers[index - 1].up_to + 1
    upper = tiers[index].up_to if tiers[index].up_to is not None else lower + 5000
    return tiers, index, draw(st.integers(min_value=lower, max_value=upper))


@given(tier_tables(), st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=2000))
def test_graduated_is_non_decreasing(tiers, a, b):
    low, high = sorted((a, b))
    assert tiered_amount(low, tiers, "graduated") <= tiered_amount(high, tiers, "graduated")


@given(tier_tables())
def test_graduated_step_at_each_boundary(tiers):
    for index, tier in enumerate(tiers[:-1]):
        b = tier.up_to
        following = tiers[index + 1]
        step = tiered_amount(b + 1, tiers, "graduated") - tiered_amount(b, tiers, "graduated")
        assert step == following.unit_price + following.flat_fee


@given(table_tier_and_quantity())
def test_graduated_step_inside_a_tier(case):
    tiers, index, quantity = case
    if quantity == (0 if index == 0 else tiers[index - 1].up_to + 1):
        return  # first unit of the tier: covered by the boundary test
    step = tiered_amount(quantity, tiers, "graduated") - tiered_amount(quantity - 1, tiers, "graduated")
    assert step == tiers[index].unit_price


@given(table_tier_and_quantity())
def test_band_is_flat_fee_of_its_band(case):
    tiers, index, quantity = case
    assert tiered_amount(quantity, tiers, "band") == tiers[index].flat_fee


@given(table_tier_and_quantity())
def test_volume_is_quantity_times_its_tier_price_plus_flat_fee(case):
    tiers, index, quantity = case
    expected = quantity * tiers[index].unit_price + tiers[index].flat_fee
    assert tiered_amount(quantity, tiers, "volume") == expected


@given(tier_tables())
def test_tiers_data_round_trip(tiers):
    assert tiers_from_data(tiers_to_data(tiers)) == tiers


# ---------------------------------------------------------------------------
# calculate_quote
# ---------------------------------------------------------------------------


def line(kind, description, quantity, unit, amount_fen, explanation):
    return QuoteLine(kind, description, D(quantity), unit, amount_fen, explanation)


def test_fixed_seat():
    terms = QuoteTerms(
        model="fixed_seat",
        seats=(
            SeatRequest("presales", "evening", 2, 500_000, shift_bp=13000),
            SeatRequest("aftersales", "day", 1, 420_000),
        ),
        complexity=4,
        complexity_bp=11000,
    )
    result = calculate_quote(terms)
    # 2 × 500,000 fen × 1.10 × 1.30 = 1,430,000 fen; 1 × 420,000 × 1.10 = 462,000 fen
    assert result.lines == (
        line(
            "seat",
            "售前晚班席位",
            2,
            "席·月",
            1_430_000,
            "2 个售前晚班席位 × ¥5,000.00 × 复杂度 1.10 × 晚班 1.30 = ¥14,300.00",
        ),
        line(
            "seat",
            "售后白班席位",
            1,
            "席·月",
            462_000,
            "1 个售后白班席位 × ¥4,200.00 × 复杂度 1.10 = ¥4,620.00",
        ),
    )
    assert result.subtotal_fen == 1_892_000
    assert result.discount_fen == 0
    assert result.total_fen == 1_892_000


def test_fixed_seat_no_multipliers_shown_when_all_one():
    result = calculate_quote(
        QuoteTerms(model="fixed_seat", seats=(SeatRequest("presales", "day", 3, 450_000),))
    )
    assert result.lines == (
        line("seat", "售前白班席位", 3, "席·月", 1_350_000, "3 个售前白班席位 × ¥4,500.00 = ¥13,500.00"),
    )
    assert result.total_fen == 1_350_000


def test_fixed_seat_half_fen_rounds_up():
    # 300,015 fen × 1.10 = 330,016.5 fen -> 330,017 (half-up; half-even would give 330,016)
    result = calculate_quote(
        QuoteTerms(
            model="fixed_seat", seats=(SeatRequest("aftersales", "day", 1, 300_015),), complexity_bp=11000
        )
    )
    assert result.lines[0].amount_fen == 330_017
    assert result.lines[0].explanation == "1 个售后白班席位 × ¥3,000.15 × 复杂度 1.10 = ¥3,300.17"
    assert result.total_fen == 330_017


def test_fixed_seat_rounds_once_at_the_end_of_the_chain():
    # 333,333 × 1.10 = 366,666.3; × 1.05 = 384,999.615; × 0.85 = 327,249.67275;
    # × 1.30 = 425,424.574575 -> 425,425 fen.
    # (Rounding after every step would give 366,666 -> 384,999 -> 327,249 -> 425,424.)
    terms = QuoteTerms(
        model="fixed_seat",
        seats=(SeatRequest("presales", "evening", 1, 333_333, shift_bp=13000),),
        complexity_bp=11000,
        category="美妆",
        category_bp=10500,
        platform="拼多多",
        platform_bp=8500,
    )
    result = calculate_quote(terms)
    assert result.lines == (
        line(
            "seat",
            "售前晚班席位",
            1,
            "席·月",
            425_425,
            "1 个售前晚班席位 × ¥3,333.33 × 复杂度 1.10 × 类目 1.05 × 拼多多 0.85 × 晚班 1.30 = ¥4,254.25",
        ),
    )
    assert result.total_fen == 425_425


def test_fixed_seat_full_shift_and_zero_seat_group():
    # 1 × 400,000 × 2.00 = 800,000; a group of 0 seats costs 0 but is still listed.
    result = calculate_quote(
        QuoteTerms(
            model="fixed_seat",
            seats=(
                SeatRequest("aftersales", "full", 1, 400_000, shift_bp=20000),
                SeatRequest("presales", "night", 0, 400_000, shift_bp=15000),
            ),
        )
    )
    assert [(ln.amount_fen, ln.explanation) for ln in result.lines] == [
        (800_000, "1 个售后24小时席位 × ¥4,000.00 × 24小时 2.00 = ¥8,000.00"),
        (0, "0 个售前夜班席位 × ¥4,000.00 × 夜班 1.50 = ¥0.00"),
    ]
    assert result.total_fen == 800_000


def test_base_commission():
    terms = QuoteTerms(
        model="base_commission",
        seats=(SeatRequest("presales", "day", 2, 300_000),),
        complexity_bp=11000,
        commission_rate_bp=200,
        expected_monthly_gmv_fen=50_000_000,
    )
    result = calculate_quote(terms)
    # base: 2 × 300,000 × 1.10 = 660,000; commission: 50,000,000 × 2% = 1,000,000 (no multipliers)
    assert result.lines == (
        line(
            "base",
            "售前白班底薪",
            2,
            "席·月",
            660_000,
            "2 个售前白班席位 × 底薪 ¥3,000.00 × 复杂度 1.10 = ¥6,600.00",
        ),
        line(
            "commission",
            "销售提成",
            "500000",
            "元",
            1_000_000,
            "预计月服务销售额 ¥500,000.00 × 提成 2% = ¥10,000.00",
        ),
    )
    assert result.subtotal_fen == 1_660_000
    assert result.total_fen == 1_660_000


def test_base_commission_half_fen_commission():
    # 3,333,300 fen × 1.5% = 49,999.5 fen -> 50,000
    result = calculate_quote(
        QuoteTerms(
            model="base_commission",
            seats=(SeatRequest("aftersales", "day", 1, 250_000),),
            commission_rate_bp=150,
            expected_monthly_gmv_fen=3_333_300,
        )
    )
    commission = result.lines[1]
    assert commission.amount_fen == 50_000
    assert commission.explanation == "预计月服务销售额 ¥33,333.00 × 提成 1.5% = ¥500.00"
    assert result.total_fen == 300_000  # 250,000 + 50,000


CONSULT_TIERS = (Tier(3000, D("0.60")), Tier(8000, D("0.50")), Tier(None, D("0.40")))


def test_per_consult_graduated():
    # 3,000 × 0.60 + 3,000 × 0.50 = 3,300 yuan = 330,000 fen; × 1.10 = 363,000 fen
    terms = QuoteTerms(
        model="per_consult",
        complexity_bp=11000,
        monthly_consults=6000,
        tiers=CONSULT_TIERS,
        tier_mode="graduated",
        monthly_minimum_fen=150_000,  # already exceeded: no top-up line
    )
    result = calculate_quote(terms)
    assert result.lines == (
        line(
            "consult",
            "咨询服务费",
            6000,
            "次",
            363_000,
            "每月有效咨询 6,000 次，累进阶梯计价 ¥3,300.00 × 复杂度 1.10 = ¥3,630.00",
        ),
    )
    assert result.total_fen == 363_000


def test_per_consult_volume():
    # 6,000 × 0.50 = 3,000 yuan; × 1.10 = 3,300 yuan = 330,000 fen
    result = calculate_quote(
        QuoteTerms(
            model="per_consult",
            complexity_bp=11000,
            monthly_consults=6000,
            tiers=CONSULT_TIERS,
            tier_mode="volume",
        )
    )
    assert result.lines[0].amount_fen == 330_000
    assert (
        result.lines[0].explanation
        == "每月有效咨询 6,000 次，总量阶梯计价 ¥3,000.00 × 复杂度 1.10 = ¥3,300.00"
    )
    assert result.total_fen == 330_000


def test_per_consult_band():
    # 80/day falls in 50–99: 2,000 yuan; × 1.10 = 2,200 yuan = 220,000 fen
    result = calculate_quote(
        QuoteTerms(
            model="per_consult",
            complexity_bp=11000,
            average_daily_consults=80,
            monthly_consults=99999,  # ignored in band mode
            tiers=MARKET_BAND,
            tier_mode="band",
        )
    )
    assert result.lines == (
        line(
            "consult",
            "咨询服务包月费",
            1,
            "月",
            220_000,
            "日均咨询 80 次，按档包月 ¥2,000.00 × 复杂度 1.10 = ¥2,200.00",
        ),
    )
    assert result.total_fen == 220_000


def test_per_consult_band_without_multipliers():
    result = calculate_quote(
        QuoteTerms(model="per_consult", average_daily_consults=30, tiers=MARKET_BAND, tier_mode="band")
    )
    assert result.lines[0].amount_fen == 150_000
    assert result.lines[0].explanation == "日均咨询 30 次，按档包月 ¥1,500.00"


def test_per_consult_rounds_once_after_tiers_and_multipliers():
    # 1,007 × 0.035 = 35.245 yuan = 3,524.5 fen (not rounded yet); × 1.10 = 3,876.95 -> 3,877 fen.
    # (Rounding the tier amount first would give 3,525 × 1.10 = 3,877.5 -> 3,878.)
    result = calculate_quote(
        QuoteTerms(
            model="per_consult",
            complexity_bp=11000,
            monthly_consults=1007,
            tiers=(Tier(None, D("0.035")),),
        )
    )
    assert result.lines[0].amount_fen == 3_877
    # the tier amount is displayed to the fen; the line is computed from the exact amount
    assert result.lines[0].explanation == "每月有效咨询 1,007 次，累进阶梯计价 ¥35.25 × 复杂度 1.10 = ¥38.77"


def test_per_consult_minimum_top_up():
    # 1,000 × 0.60 = 600 yuan = 60,000 fen; minimum 150,000 -> top up 90,000
    result = calculate_quote(
        QuoteTerms(
            model="per_consult",
            monthly_consults=1000,
            tiers=CONSULT_TIERS,
            monthly_minimum_fen=150_000,
        )
    )
    assert result.lines == (
        line("consult", "咨询服务费", 1000, "次", 60_000, "每月有效咨询 1,000 次，累进阶梯计价 ¥600.00"),
        line("minimum", "最低消费补足", "900", "元", 90_000, "月度最低消费 ¥1,500.00，补足 ¥900.00"),
    )
    assert result.subtotal_fen == 150_000
    assert result.total_fen == 150_000


def test_per_consult_exactly_at_minimum_has_no_top_up():
    # 2,500 × 0.60 = 1,500 yuan = 150,000 fen == minimum
    result = calculate_quote(
        QuoteTerms(
            model="per_consult", monthly_consults=2500, tiers=CONSULT_TIERS, monthly_minimum_fen=150_000
        )
    )
    assert [ln.kind for ln in result.lines] == ["consult"]
    assert result.total_fen == 150_000


def test_extras_and_discount():
    # seat 500,000 + extras 3 × 5,000 + 2 × 80,000 = 675,000; 5% = 33,750; total 641,250
    result = calculate_quote(
        QuoteTerms(
            model="fixed_seat",
            seats=(SeatRequest("presales", "day", 1, 500_000),),
            extras=(Extra("额外子账号", 3, "个/月", 5_000), Extra("驻场培训", 2, "人·天", 80_000)),
            discount_bp=500,
        )
    )
    assert result.lines[1:] == (
        line("extra", "额外子账号", 3, "个/月", 15_000, "额外子账号 3 个/月 × ¥50.00 = ¥150.00"),
        line("extra", "驻场培训", 2, "人·天", 160_000, "驻场培训 2 人·天 × ¥800.00 = ¥1,600.00"),
        line("discount", "折扣", "6750", "元", -33_750, "折扣 5%：−¥337.50"),
    )
    assert result.subtotal_fen == 675_000
    assert result.discount_fen == 33_750
    assert result.total_fen == 641_250


def test_discount_half_fen_rounds_up():
    # 500,010 × 5% = 25,000.5 -> 25,001; total 500,010 − 25,001 = 475,009
    result = calculate_quote(
        QuoteTerms(model="fixed_seat", seats=(SeatRequest("presales", "day", 1, 500_010),), discount_bp=500)
    )
    assert result.discount_fen == 25_001
    assert result.lines[-1].amount_fen == -25_001
    assert result.lines[-1].explanation == "折扣 5%：−¥250.01"
    assert result.subtotal_fen == 500_010
    assert result.total_fen == 475_009


def test_extras_apply_to_per_consult_and_minimum_ignores_extras():
    # consult 60,000 < minimum 150,000 -> top up 90,000 (extras are not counted towards the minimum)
    # extra 1 × 20,000; subtotal 170,000
    result = calculate_quote(
        QuoteTerms(
            model="per_consult",
            monthly_consults=1000,
            tiers=CONSULT_TIERS,
            monthly_minimum_fen=150_000,
            extras=(Extra("短信通知", 1, "月", 20_000),),
        )
    )
    assert [(ln.kind, ln.amount_fen) for ln in result.lines] == [
        ("consult", 60_000),
        ("minimum", 90_000),
        ("extra", 20_000),
    ]
    assert result.total_fen == 170_000


# ---------------------------------------------------------------------------
# calculate_quote validation
# ---------------------------------------------------------------------------

SEAT = SeatRequest("presales", "day", 1, 500_000)


@pytest.mark.parametrize(
    "terms",
    [
        pytest.param(QuoteTerms(model="hourly", seats=(SEAT,)), id="unknown-model"),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SeatRequest("vip", "day", 1, 1),)), id="unknown-scope"
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SeatRequest("presales", "noon", 1, 1),)), id="unknown-shift"
        ),
        pytest.param(
            QuoteTerms(model="per_consult", tiers=STRIPE, tier_mode="stairs"), id="unknown-tier-mode"
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SeatRequest("presales", "day", -1, 1),)),
            id="negative-seats",
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SeatRequest("presales", "day", 1, -1),)), id="negative-rate"
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SeatRequest("presales", "day", 1, 1, shift_bp=0),)),
            id="zero-shift-bp",
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SEAT,), complexity_bp=-10000), id="negative-complexity-bp"
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SEAT,), category_bp=110_000), id="category-bp-too-big"
        ),
        pytest.param(QuoteTerms(model="fixed_seat", seats=(SEAT,), platform_bp=0.85), id="float-platform-bp"),  # type: ignore[arg-type]
        pytest.param(QuoteTerms(model="fixed_seat", seats=(SEAT,), complexity=0), id="complexity-0"),
        pytest.param(QuoteTerms(model="fixed_seat", seats=(SEAT,), complexity=6), id="complexity-6"),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SEAT,), discount_bp=10_001), id="discount-over-100%"
        ),
        pytest.param(QuoteTerms(model="fixed_seat", seats=(SEAT,), discount_bp=-1), id="negative-discount"),
        pytest.param(QuoteTerms(model="fixed_seat"), id="fixed-seat-without-seats"),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SeatRequest("presales", "day", 0, 1),)),
            id="fixed-seat-zero-seats",
        ),
        pytest.param(
            QuoteTerms(model="base_commission", commission_rate_bp=200, expected_monthly_gmv_fen=1),
            id="base-commission-without-seats",
        ),
        pytest.param(
            QuoteTerms(model="base_commission", seats=(SEAT,), expected_monthly_gmv_fen=1),
            id="base-commission-zero-rate",
        ),
        pytest.param(
            QuoteTerms(model="base_commission", seats=(SEAT,), commission_rate_bp=10_001),
            id="commission-over-100%",
        ),
        pytest.param(
            QuoteTerms(
                model="base_commission", seats=(SEAT,), commission_rate_bp=200, expected_monthly_gmv_fen=-1
            ),
            id="negative-gmv",
        ),
        pytest.param(QuoteTerms(model="per_consult", monthly_consults=100), id="per-consult-without-tiers"),
        pytest.param(
            QuoteTerms(model="per_consult", tiers=(Tier(10, D("1")),), monthly_consults=5),
            id="per-consult-bad-tiers",
        ),
        pytest.param(
            QuoteTerms(model="per_consult", tiers=STRIPE, monthly_consults=-1), id="negative-consults"
        ),
        pytest.param(
            QuoteTerms(model="per_consult", tiers=STRIPE, monthly_minimum_fen=-1), id="negative-minimum"
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SEAT,), extras=(Extra("培训", -1, "次", 100),)),
            id="negative-extra-quantity",
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SEAT,), extras=(Extra("培训", 1, "次", -100),)),
            id="negative-extra-price",
        ),
        pytest.param(
            QuoteTerms(model="fixed_seat", seats=(SEAT,), extras=(Extra(" ", 1, "次", 100),)),
            id="blank-extra-label",
        ),
    ],
)
def test_invalid_terms(terms):
    raises_chinese(calculate_quote, terms)


def test_full_discount_is_allowed():
    result = calculate_quote(QuoteTerms(model="fixed_seat", seats=(SEAT,), discount_bp=10_000))
    assert result.subtotal_fen == 500_000
    assert result.discount_fen == 500_000
    assert result.total_fen == 0


def test_module_is_pure():
    """pricing.py itself imports only the standard library and the pure ops.money, ops.i18n and ops.vocab (no Flask,
    no database)."""
    import ast
    import inspect

    import ops.quotes.pricing as pricing

    tree = ast.parse(inspect.getsource(pricing))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {
        "__future__",
        "decimal",
        "collections.abc",
        "dataclasses",
        "typing",
        "ops.i18n",
        "ops.money",
        "ops.vocab",
    }
