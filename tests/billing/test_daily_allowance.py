"""每日包量 end to end: rate card validation, the quote's estimate, frozen contract terms shown in words,
and the run billing the day-by-day overage from the usage table. Amounts worked out by hand."""

from datetime import date
from decimal import Decimal

from ops.billing.models import InvoiceLine
from ops.contracts import wording
from ops.quotes.pricing import QuoteTerms, Tier, calculate_quote
from ops.ratecards.rules import default_rate_card, validate_rate_card
from ops.usage.models import UsageDaily
from tests.billing.helpers import draft_for, make_contract

TIERS_DATA = [
    {"up_to": 100, "unit_price": "0", "flat_fee": "3000"},
    {"up_to": None, "unit_price": "2.00", "flat_fee": "0"},
]
TERMS = {
    "model": "per_consult",
    "seats": [],
    "tier_mode": "daily_allowance",
    "tiers": TIERS_DATA,
    "consult_multiplier_bp": 10_000,
    "monthly_minimum_fen": 0,
    "extras": [],
}


def test_rate_card_accepts_a_daily_allowance_of_two_tiers_only():
    card = default_rate_card()
    card["consult_tiers"] = {"mode": "daily_allowance", "tiers": TIERS_DATA}
    assert validate_rate_card(card) == []
    card["consult_tiers"] = {
        "mode": "daily_allowance",
        "tiers": [{"up_to": None, "unit_price": "2", "flat_fee": "0"}],
    }
    assert any("每日包量需要两档" in error for error in validate_rate_card(card))


def test_quote_estimates_thirty_days_of_overage():
    terms = QuoteTerms(
        model="per_consult",
        average_daily_consults=120,
        tier_mode="daily_allowance",
        tiers=(Tier(100, Decimal(0), Decimal(3000)), Tier(None, Decimal(2), Decimal(0))),
    )
    [line] = calculate_quote(terms).lines
    # ¥3,000.00 + (120 − 100) × ¥2.00 × 30 days = ¥3,000.00 + ¥1,200.00 = ¥4,200.00
    assert line.amount_fen == 420_000
    assert "每日包量" in line.explanation


def test_contract_terms_in_words():
    assert wording.tier_lines(TERMS) == [
        "月固定费 ¥3,000.00，每日含有效咨询 100 次",
        "超出部分：¥2.00/次（按日计）",
    ]


def test_run_bills_the_fee_and_the_day_by_day_overage(client, login_as, db):
    contract = make_contract(db, seats=0, model="per_consult", terms=TERMS, end_on=date(2026, 12, 31))
    for day, platform, valid in [
        (date(2026, 10, 1), "taobao", 99),  # → 0 above
        (date(2026, 10, 2), "taobao", 100),  # → 0
        (date(2026, 10, 3), "taobao", 101),  # → 1
        (date(2026, 10, 4), "taobao", 70),
        (date(2026, 10, 4), "jd", 40),  # Oct 4: 70 + 40 = 110 → 10
    ]:
        db.session.add(
            UsageDaily(
                client_id=contract.client_id, day=day, platform=platform, consults=valid, valid_consults=valid
            )
        )
    db.session.commit()
    invoice = draft_for(db, contract, "2026-10")
    lines = [line for line in invoice.lines if line.kind == "consult"]
    # fee ¥3,000.00 for the whole month; overage 0 + 0 + 1 + 10 = 11 consults × ¥2.00 = ¥22.00
    assert [line.amount_fen for line in lines] == [300_000, 2_200]
    overage: InvoiceLine = lines[1]
    assert (overage.quantity, overage.unit, overage.unit_price_fen) == ("11", "次", 200)
    assert invoice.subtotal_fen == 302_200

    login_as("finance")
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "每日包量" in page and "每日含有效咨询 100 次" in page
