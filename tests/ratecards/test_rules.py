"""Pure helpers behind the rate-card pages: parsing multipliers and counts, tiers in words."""

import pytest

from ops.money import parse_count, parse_multiplier
from ops.ratecards.rules import (
    DEFAULT_RATE_CARD,
    describe_band_tiers,
    describe_consult_tiers,
    yuan_text,
)


@pytest.mark.parametrize(
    ("text", "bp"),
    [
        ("1.30", 13_000),
        ("1.3", 13_000),
        ("×1.30", 13_000),
        ("x0.95", 9_500),
        (" 1 ", 10_000),
        ("1.125", 11_250),
        ("0.0001", 1),
        ("10", 100_000),
        ("2.00", 20_000),
    ],
)
def test_parse_multiplier(text, bp):
    assert parse_multiplier(text) == bp


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "系数不能为空"),
        (None, "系数不能为空"),
        ("abc", "系数格式不正确"),
        ("1,3", "系数格式不正确"),
        ("-1.2", "系数格式不正确"),
        ("1.00001", "系数最多四位小数"),
        ("0", "系数必须大于 0"),
        ("0.00", "系数必须大于 0"),
        ("10.01", "不超过 10"),
        ("１.３", "系数格式不正确"),
    ],
)
def test_parse_multiplier_refuses_with_chinese_messages(text, message):
    with pytest.raises(ValueError, match=message):
        parse_multiplier(text)


def test_parse_count():
    assert parse_count("3,000") == 3_000
    assert parse_count(" 200 ") == 200
    for bad, message in (
        ("", "数量不能为空"),
        ("1.5", "请输入整数"),
        ("-3", "请输入整数"),
        ("三千", "请输入整数"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_count(bad)


def test_consult_tiers_in_words():
    assert describe_consult_tiers(DEFAULT_RATE_CARD["consult_tiers"]["tiers"]) == [
        "1–3,000 次：¥2.00/次",
        "3,001–10,000 次：¥1.50/次",
        "10,001–30,000 次：¥1.00/次",
        "30,001 次以上：¥0.60/次",
    ]
    tiers = [{"up_to": 500, "unit_price": "0", "flat_fee": "800"}, {"up_to": None, "unit_price": "1.2"}]
    assert describe_consult_tiers(tiers) == ["1–500 次：¥0.00/次，另加固定费 ¥800.00", "501 次以上：¥1.20/次"]


def test_band_tiers_in_words():
    assert describe_band_tiers(DEFAULT_RATE_CARD["band_tiers"]) == [
        "日均 0–49 次：¥1,500.00/月",
        "日均 50–99 次：¥2,000.00/月",
        "日均 100–149 次：¥3,000.00/月",
        "日均 150 次以上：¥4,500.00/月",
    ]


def test_yuan_text_keeps_extra_decimals():
    assert yuan_text("1500") == "¥1,500.00"
    assert yuan_text("0.125") == "¥0.125"
    assert yuan_text(12) == "¥12.00"
