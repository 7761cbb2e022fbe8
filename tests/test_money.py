"""Tests for ops.money. Every expected value is written literally."""

from decimal import Decimal

import pytest

from ops.money import (
    apply_bp,
    format_bp,
    format_fen,
    format_multiplier,
    parse_percent,
    parse_yuan,
    round_fen,
    to_chinese_upper,
    to_fen,
    to_yuan,
)

# --- to_fen / to_yuan -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        (Decimal("1.005"), 101),
        (Decimal("1.004"), 100),
        (Decimal("1.0049999"), 100),
        (Decimal("0.005"), 1),
        (Decimal("0.015"), 2),
        (Decimal("2.675"), 268),
        (Decimal("-1.005"), -101),
        (Decimal("-0.004"), 0),
        (Decimal("123.45"), 12345),
        ("12.34", 1234),
        (" 7.125 ", 713),
        ("0", 0),
        (12, 1200),
        (0, 0),
        (-3, -300),
        (Decimal("1E+3"), 100000),
    ],
)
def test_to_fen(yuan, fen):
    assert to_fen(yuan) == fen


@pytest.mark.parametrize("bad", [1.005, 1.0, True, None, [1]])
def test_to_fen_rejects_float_and_others(bad):
    with pytest.raises(TypeError):
        to_fen(bad)


@pytest.mark.parametrize("bad", ["abc", "", "1,000", "NaN", "Infinity"])
def test_to_fen_rejects_bad_strings(bad):
    with pytest.raises(ValueError):
        to_fen(bad)


def test_to_fen_rejects_nan_decimal():
    with pytest.raises(ValueError):
        to_fen(Decimal("NaN"))


@pytest.mark.parametrize(
    ("fen", "text"),
    [(12345, "123.45"), (100, "1.00"), (0, "0.00"), (5, "0.05"), (-5, "-0.05"), (-123400, "-1234.00")],
)
def test_to_yuan(fen, text):
    result = to_yuan(fen)
    assert isinstance(result, Decimal)
    assert result == Decimal(text)
    assert str(result) == text


@pytest.mark.parametrize("bad", [1.5, "100", True, Decimal("1")])
def test_to_yuan_rejects_non_int(bad):
    with pytest.raises(TypeError):
        to_yuan(bad)


# --- round_fen / apply_bp ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "fen"),
    [
        (Decimal("2.5"), 3),
        (Decimal("-2.5"), -3),
        (Decimal("3.5"), 4),
        (Decimal("2.4999"), 2),
        (Decimal("0.5"), 1),
        (Decimal("-0.5"), -1),
        (Decimal("0.4999999999"), 0),
        (Decimal("740.7000"), 741),
        (Decimal("100"), 100),
        (7, 7),
        (-7, -7),
    ],
)
def test_round_fen_half_up(amount, fen):
    result = round_fen(amount)
    assert type(result) is int
    assert result == fen


@pytest.mark.parametrize("bad", [2.5, "2.5", None])
def test_round_fen_rejects_float(bad):
    with pytest.raises(TypeError):
        round_fen(bad)


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [
        (12345, 600, Decimal("740.7")),
        (10000, 13000, Decimal("13000")),
        (1, 5, Decimal("0.0005")),
        (Decimal("0.5"), 10000, Decimal("0.5")),
        (-12345, 600, Decimal("-740.7")),
        (12345, 0, Decimal("0")),
        (3333, 3333, Decimal("1110.8889")),
    ],
)
def test_apply_bp_exact(amount, bp, expected):
    result = apply_bp(amount, bp)
    assert isinstance(result, Decimal)
    assert result == expected


def test_apply_bp_not_rounded_then_round_fen_half_up():
    # 6% of 25 fen = 1.5 fen: apply_bp keeps the half, round_fen rounds it up once.
    assert apply_bp(25, 600) == Decimal("1.5")
    assert round_fen(apply_bp(25, 600)) == 2
    assert round_fen(apply_bp(-25, 600)) == -2


def test_apply_bp_exact_for_large_amounts():
    assert apply_bp(123456789012345678901, 1) == Decimal("12345678901234567.8901")


@pytest.mark.parametrize(("amount", "bp"), [(1.0, 600), (100, 6.0), (100, "600"), (100, True)])
def test_apply_bp_rejects_floats(amount, bp):
    with pytest.raises(TypeError):
        apply_bp(amount, bp)


# --- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "symbol", "text"),
    [
        (1234567, True, "¥12,345.67"),
        (1234567, False, "12,345.67"),
        (-123400, True, "-¥1,234.00"),
        (-123400, False, "-1,234.00"),
        (0, True, "¥0.00"),
        (5, True, "¥0.05"),
        (-5, True, "-¥0.05"),
        (99999, True, "¥999.99"),
        (100000, True, "¥1,000.00"),
        (12345678901, True, "¥123,456,789.01"),
    ],
)
def test_format_fen(fen, symbol, text):
    assert format_fen(fen, symbol=symbol) == text


def test_format_fen_default_has_symbol():
    assert format_fen(1234567) == "¥12,345.67"


@pytest.mark.parametrize(
    ("bp", "text"),
    [
        (600, "6%"),
        (150, "1.5%"),
        (5, "0.05%"),
        (0, "0%"),
        (1000, "10%"),
        (10000, "100%"),
        (1250, "12.5%"),
        (1, "0.01%"),
        (-150, "-1.5%"),
    ],
)
def test_format_bp(bp, text):
    assert format_bp(bp) == text


@pytest.mark.parametrize(
    ("bp", "text"),
    [
        (11000, "1.10"),
        (10000, "1.00"),
        (11250, "1.125"),
        (13000, "1.30"),
        (15000, "1.50"),
        (11234, "1.1234"),
        (100000, "10.00"),
        (0, "0.00"),
        (125, "0.0125"),
    ],
)
def test_format_multiplier(bp, text):
    assert format_multiplier(bp) == text


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12345", 1234500),
        ("12,345.67", 1234567),
        ("¥12,345.67", 1234567),
        ("￥12,345.67", 1234567),
        (" 12345.6 ", 1234560),
        ("0", 0),
        ("0.05", 5),
        ("1,000", 100000),
        ("1,234,567.8", 123456780),
        ("007", 700),
    ],
)
def test_parse_yuan_good(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("-5", -500), ("-¥1,234.50", -123450), ("-0.01", -1), ("5", 500)],
)
def test_parse_yuan_negative_allowed(text, fen):
    assert parse_yuan(text, allow_negative=True) == fen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "金额不能为空"),
        ("   ", "金额不能为空"),
        (None, "金额不能为空"),
        ("abc", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("12a", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("1,23", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("12,34,567", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("1.2.3", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        (".5", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("5.", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("1e3", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("１２", "金额格式不正确：请输入数字，最多两位小数，例如 12,345.67"),
        ("12.345", "金额最多两位小数（精确到分），例如 12,345.67"),
        ("1.005", "金额最多两位小数（精确到分），例如 12,345.67"),
        ("-5", "金额不能为负数"),
        ("-¥1.00", "金额不能为负数"),
    ],
)
def test_parse_yuan_bad(text, message):
    with pytest.raises(ValueError) as excinfo:
        parse_yuan(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("text", "bp"),
    [
        ("6", 600),
        ("6%", 600),
        ("1.5", 150),
        ("1.5%", 150),
        (" 0.05 % ", 5),
        ("0", 0),
        ("12.34", 1234),
        ("100", 10000),
        ("130％", 13000),
    ],
)
def test_parse_percent_good(text, bp):
    assert parse_percent(text) == bp


def test_parse_percent_negative_allowed():
    assert parse_percent("-1.5%", allow_negative=True) == -150


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "百分比不能为空"),
        (None, "百分比不能为空"),
        ("abc", "百分比格式不正确：请输入数字，最多两位小数，例如 6 或 1.5%"),
        ("6%%", "百分比格式不正确：请输入数字，最多两位小数，例如 6 或 1.5%"),
        ("%6", "百分比格式不正确：请输入数字，最多两位小数，例如 6 或 1.5%"),
        ("1,000", "百分比格式不正确：请输入数字，最多两位小数，例如 6 或 1.5%"),
        ("1.125", "百分比最多两位小数，例如 1.25%"),
        ("-6", "百分比不能为负数"),
    ],
)
def test_parse_percent_bad(text, message):
    with pytest.raises(ValueError) as excinfo:
        parse_percent(text)
    assert str(excinfo.value) == message


@pytest.mark.parametrize("func", [parse_yuan, parse_percent])
def test_parse_rejects_non_str(func):
    with pytest.raises(TypeError):
        func(12)


# --- 大写 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        # Examples from the brief / 中国人民银行 rules.
        (1000, "人民币壹拾元整"),
        (1600, "人民币壹拾陆元整"),
        (10000000, "人民币壹拾万元整"),
        (1200, "人民币壹拾贰元整"),
        (1250, "人民币壹拾贰元伍角整"),
        (140950, "人民币壹仟肆佰零玖元伍角整"),
        (600714, "人民币陆仟零柒元壹角肆分"),
        (168032, "人民币壹仟陆佰捌拾元零叁角贰分"),
        (10700053, "人民币壹拾万柒仟元零伍角叁分"),
        (10001000000, "人民币壹亿零壹万元整"),
        (1640902, "人民币壹万陆仟肆佰零玖元零贰分"),
        (32504, "人民币叁佰贰拾伍元零肆分"),
        (140902, "人民币壹仟肆佰零玖元零贰分"),
        (5, "人民币伍分"),
        (50, "人民币伍角整"),
        (52, "人民币伍角贰分"),
        (0, "人民币零元整"),
        (12345678900, "人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元整"),
        (100000000000000, "人民币壹万亿元整"),
        # More cases.
        (1, "人民币壹分"),
        (100, "人民币壹元整"),
        (101, "人民币壹元零壹分"),
        (110, "人民币壹元壹角整"),
        (11000, "人民币壹佰壹拾元整"),
        (100100, "人民币壹仟零壹元整"),
        (100000, "人民币壹仟元整"),
        (10000100, "人民币壹拾万零壹元整"),
        (10010000, "人民币壹拾万零壹佰元整"),
        (1000000000, "人民币壹仟万元整"),
        (10000000000, "人民币壹亿元整"),
        (10000000100, "人民币壹亿零壹元整"),
        (100010000000000, "人民币壹万零壹亿元整"),
        (123456, "人民币壹仟贰佰叁拾肆元伍角陆分"),
        (
            999999999999999999,
            "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
        (-123400, "人民币负壹仟贰佰叁拾肆元整"),
        (-5, "人民币负伍分"),
        (-168032, "人民币负壹仟陆佰捌拾元零叁角贰分"),
    ],
)
def test_to_chinese_upper(fen, words):
    assert to_chinese_upper(fen) == words


def test_to_chinese_upper_too_large():
    with pytest.raises(ValueError):
        to_chinese_upper(1000000000000000000)


@pytest.mark.parametrize("bad", [12.5, "1250", Decimal("1250"), True])
def test_to_chinese_upper_rejects_non_int(bad):
    with pytest.raises(TypeError):
        to_chinese_upper(bad)
