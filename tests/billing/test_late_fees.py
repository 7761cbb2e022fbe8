"""Late fees (滞纳金): the pure accrual rule. Every expected amount is worked out by hand (fen)."""

from __future__ import annotations

from datetime import date

from ops.billing.engine import ContractInput, LateFeeInput, SeatInput, bill, parse_period
from ops.billing.engine.late_fees import Reduction, accrue, description

TOTAL = 3_000_000  # ¥30,000.00
DUE = date(2026, 1, 28)  # grace 5 days: Jan 29, 30, 31, Feb 1, Feb 2 — the first accruing day is Feb 3


def test_grace_period_across_a_month_end():
    # As of Feb 2 the grace (Jan 29 – Feb 2) is not over: nothing accrues.
    assert accrue(TOTAL, DUE, 5, 5, (), date(2026, 2, 2)).amount_fen == 0
    assert accrue(TOTAL, DUE, 5, 5, (), date(2026, 2, 2)).start is None
    # Feb 3 is the first day: 3,000,000 × 1 × 5 ÷ 10000 = 1,500.
    one = accrue(TOTAL, DUE, 5, 5, (), date(2026, 2, 3))
    assert (one.start, one.end, one.days, one.amount_fen) == (date(2026, 2, 3), date(2026, 2, 3), 1, 1_500)
    # Feb 3 – Feb 19 = 17 days: 3,000,000 × 17 × 5 ÷ 10000 = 25,500 (¥255.00).
    fee = accrue(TOTAL, DUE, 5, 5, (), date(2026, 2, 19))
    assert (fee.days, fee.amount_fen) == (17, 25_500)
    assert description("INV-2026-00012", fee) == (
        "滞纳金 INV-2026-00012 逾期 17 天（宽限 5 天后）× ¥30,000.00 × 0.05%/天"
    )


def test_a_part_payment_in_the_middle():
    # ¥20,000.00 paid on Feb 10 (counts from that day): Feb 3 – Feb 9 = 7 days on 3,000,000, Feb 10 –
    # Feb 19 = 10 days on 1,000,000: (21,000,000 + 10,000,000) × 5 ÷ 10000 = 15,500.
    paid = (Reduction(date(2026, 2, 10), 2_000_000),)
    fee = accrue(TOTAL, DUE, 5, 5, paid, date(2026, 2, 19))
    assert fee.amount_fen == 15_500
    assert [(s.start, s.end, s.unpaid_fen) for s in fee.segments] == [
        (date(2026, 2, 3), date(2026, 2, 9), 3_000_000),
        (date(2026, 2, 10), date(2026, 2, 19), 1_000_000),
    ]
    assert description("INV-2026-00012", fee) == (
        "滞纳金 INV-2026-00012 逾期 17 天（宽限 5 天后）：（¥30,000.00 × 7 天 + ¥10,000.00 × 10 天）× 0.05%/天"
    )


def test_payments_before_the_first_day_and_credit_notes_reduce_the_base():
    # ¥10,000.00 paid on Jan 20 (before due), a credit note of ¥5,000.00 issued Feb 5:
    # Feb 3 – 4 = 2 days on 2,000,000, Feb 5 – 6 = 2 days on 1,500,000:
    # (4,000,000 + 3,000,000) × 5 ÷ 10000 = 3,500.
    reductions = (Reduction(date(2026, 1, 20), 1_000_000), Reduction(date(2026, 2, 5), 500_000))
    assert accrue(TOTAL, DUE, 5, 5, reductions, date(2026, 2, 6)).amount_fen == 3_500


def test_rounded_once_at_the_end_not_per_day():
    # 1,234,567 × 3 days × 5 ÷ 10000 = 1,851.8505 → 1,852 (per day 617.2835 → 617, × 3 = 1,851 would be wrong).
    assert accrue(1_234_567, DUE, 5, 5, (), date(2026, 2, 5)).amount_fen == 1_852


def test_fully_paid_stops_accruing_and_since_skips_what_was_billed():
    # Paid in full on Feb 8: Feb 3 – 7 = 5 days × 3,000,000 × 5 ÷ 10000 = 7,500; nothing after.
    paid = (Reduction(date(2026, 2, 8), TOTAL),)
    fee = accrue(TOTAL, DUE, 5, 5, paid, date(2026, 3, 31))
    assert (fee.end, fee.amount_fen) == (date(2026, 2, 7), 7_500)
    # Already billed up to Feb 10: from Feb 11 to Feb 19 = 9 days × 3,000,000 × 5 ÷ 10000 = 13,500.
    later = accrue(TOTAL, DUE, 5, 5, (), date(2026, 2, 19), since=date(2026, 2, 11))
    assert (later.start, later.days, later.amount_fen) == (date(2026, 2, 11), 9, 13_500)
    # since before the grace ends changes nothing: 17 days, 25,500.
    assert accrue(TOTAL, DUE, 5, 5, (), date(2026, 2, 19), since=date(2026, 1, 1)).amount_fen == 25_500


def test_no_rate_no_fee():
    assert accrue(TOTAL, DUE, 5, 0, (), date(2026, 12, 31)).amount_fen == 0


def _contract(include_tax: bool) -> ContractInput:
    return ContractInput(
        contract_id=1,
        model="fixed_seat",
        start_on=date(2026, 1, 1),
        end_on=date(2026, 12, 31),
        billing_cycle="monthly",
        billing_timing="in_arrears",
        tax_rate_bp=600,
        prices_include_tax=include_tax,
        seats=(SeatInput("presales", "day", 1, 600_000),),
    )


def test_a_billed_late_fee_is_a_taxable_line_of_the_next_invoice():
    fee = LateFeeInput("滞纳金 INV-2026-00012 逾期 17 天（宽限 5 天后）× ¥30,000.00 × 0.05%/天", 25_500)
    # No agents: the late fee is the only line. Tax included 6 %: 25,500 × 6 / 106 = 1,443.4 → 1,443.
    result = bill(_contract(True), parse_period("2026-02"), late_fees=[fee])
    (line,) = result.lines
    assert (line.kind, line.description, line.unit_price_fen, line.amount_fen) == (
        "late_fee",
        fee.description,
        None,
        25_500,
    )
    assert (result.service_fen, result.taxable_fen, result.tax_fen, result.total_fen) == (
        25_500,
        25_500,
        1_443,
        25_500,
    )
    # Tax excluded: 25,500 × 6 % = 1,530; total 27,030.
    result = bill(_contract(False), parse_period("2026-02"), late_fees=[fee])
    assert (result.tax_fen, result.total_fen) == (1_530, 27_030)
