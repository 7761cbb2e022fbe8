"""The pure 数电票 rules: the largest-remainder split, number and code validation, the line mapping."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.fapiao.rules import (
    SAMPLE_ITEM_CODES,
    FapiaoRuleError,
    SourceLine,
    clean_fapiao_number,
    clean_tax_code,
    fapiao_lines,
    rate_text,
    split_largest_remainder,
    status_code,
    yuan_text,
)


def test_split_gives_the_leftover_units_to_the_largest_fractions():
    # 10 over 1:1:1 → 3.33 each: floors 3, 3, 3, one unit left → the first (ties go to the earlier).
    assert split_largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    # 100 over 1:2:3 → 16.67, 33.33, 50: floors 16, 33, 50 (99), one left → the .67 → 17.
    assert split_largest_remainder(100, [1, 2, 3]) == [17, 33, 50]
    # Signed weights (a discount row): 5 over 3:−1 → 7.5, −2.5: floors 7, −3, one left → 8.
    assert split_largest_remainder(5, [3, -1]) == [8, -3]


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=-(10**8), max_value=10**9), min_size=1, max_size=30),
)
def test_split_sums_exactly_and_each_share_is_within_one_fen_of_its_exact_share(total, weights):
    whole = sum(weights)
    if whole <= 0:
        weights = [*weights, 1 - whole + 10**6]  # the invoices' case: the rows add up to a positive amount
        whole = sum(weights)
    shares = split_largest_remainder(total, weights)
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        exact = Fraction(total * weight, whole)
        assert abs(share - exact) < 1
    assert split_largest_remainder(total, weights) == shares  # deterministic


def test_fapiao_numbers_are_exactly_twenty_digits():
    assert clean_fapiao_number(" 2611 2000 0000 1234 5678 ") == "26112000000012345678"
    for bad in ("", "2611200000001234567", "261120000000123456789", "2611200000001234567X"):
        with pytest.raises(FapiaoRuleError, match="20 位数字"):
            clean_fapiao_number(bad)


def test_tax_codes_are_nineteen_digits_and_statuses_read_their_labels():
    assert clean_tax_code("3040204000000000000") == "3040204000000000000"
    with pytest.raises(FapiaoRuleError, match="19 位数字"):
        clean_tax_code("304020400000000000")
    assert status_code("已红冲") == "red"
    assert status_code("partly_red") == "partly_red"
    with pytest.raises(FapiaoRuleError, match="无法识别"):
        status_code("已作废")


def test_text_cells():
    assert yuan_text(123456) == "1234.56"
    assert yuan_text(-5) == "-0.05"
    assert rate_text(600) == "6%"
    assert rate_text(150) == "1.5%"


def test_a_negative_invoice_cannot_become_a_blue_fapiao():
    lines = [SourceLine("seat", "1", "月", 100, 100), SourceLine("kpi", "1", "项", None, -100)]
    with pytest.raises(FapiaoRuleError, match="不大于 0"):
        fapiao_lines(
            lines, net_fen=0, tax_fen=0, tax_rate_bp=600, prices_include_tax=True, codes=SAMPLE_ITEM_CODES
        )


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=8),
    deduction_share=st.integers(min_value=0, max_value=99),
    rate=st.sampled_from([0, 100, 300, 600, 900, 1300]),
    inclusive=st.booleans(),
)
def test_lines_always_add_up_to_the_invoice(amounts, deduction_share, rate, inclusive):
    """Whatever the lines, Σ 金额 = net and Σ 税额 = tax of the invoice, computed as the engine does."""
    gross = sum(amounts)
    deduction = gross * deduction_share // 100
    taxable = gross - deduction
    if inclusive:
        tax = (2 * taxable * rate + (10_000 + rate)) // (2 * (10_000 + rate))  # half-up of taxable·r/(1+r)
        net = taxable - tax
    else:
        tax = (2 * taxable * rate + 10_000) // 20_000  # half-up of taxable·r
        net = taxable
    lines = [SourceLine("seat", "1", "月", a, a) for a in amounts]
    if deduction:
        lines.append(SourceLine("kpi", "1", "项", None, -deduction))
    rows = fapiao_lines(
        lines,
        net_fen=net,
        tax_fen=tax,
        tax_rate_bp=rate,
        prices_include_tax=inclusive,
        codes=SAMPLE_ITEM_CODES,
    )
    assert sum(r.amount_fen for r in rows) == net
    assert sum(r.tax_fen for r in rows) == tax
    # A 折扣行 always follows the line it reduces, never exceeds it, and has its code and rate.
    for before, row in zip(rows, rows[1:], strict=False):
        if row.nature == "discount":
            assert before.nature == "discounted"
            assert before.tax_code == row.tax_code and before.tax_rate_bp == row.tax_rate_bp
            assert -row.amount_fen <= before.amount_fen
