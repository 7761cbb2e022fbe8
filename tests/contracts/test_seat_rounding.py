"""A contract's seat rows total what the quote said (issue 14: ¥7,137.59 became 3 × ¥2,379.20).

The figures: 3 售后晚班 seats at ¥1,743.00 × complexity 1.05 × evening 1.30 (category and platform
×1.00). The quote rounds the row once: 3 × 174,300 × 1.05 × 1.3 = 713,758.5 fen → ¥7,137.59. One seat
is 174,300 × 1.365 = 237,919.5 fen → ¥2,379.20, and 3 × ¥2,379.20 = ¥7,137.60 (the old 1 fen drift).
"""

import io
from datetime import date

import sqlalchemy as sa
from pypdf import PdfReader

from ops.billing import engine
from ops.billing.engine.service import advance_service
from ops.billing.services.drafts import contract_input
from ops.contracts import services as contract_services
from ops.contracts.models import Contract
from ops.contracts.terms import freeze_terms, seat_row_total_fen
from ops.quotes import services as quote_services
from tests.quotes.quote_factories import client_with_needs, make_quote, send

QUOTE_TERMS = {
    "model": "fixed_seat",
    "complexity_bp": 10_500,
    "category_bp": 10_000,
    "platform_bp": 10_000,
    "discount_bp": 0,
    "seats": [
        {
            "scope": "aftersales",
            "shift": "evening",
            "seats": 3,
            "monthly_rate_fen": 174_300,
            "shift_bp": 13_000,
        }
    ],
}


def test_freezing_keeps_the_quoted_row_total():
    [row] = freeze_terms(QUOTE_TERMS)["seats"]
    assert row["monthly_rate_fen"] == 237_920  # ¥2,379.20 stated per seat
    assert row["monthly_total_fen"] == 713_759  # ¥7,137.59, as quoted
    assert seat_row_total_fen(row) == 713_759


def test_a_row_without_remainder_stays_seats_times_rate():
    terms = {**QUOTE_TERMS, "seats": [{**QUOTE_TERMS["seats"][0], "monthly_rate_fen": 200_000}]}
    [row] = freeze_terms(terms)["seats"]
    # 200,000 × 1.365 = 273,000 fen exactly; 3 × ¥2,730.00 = ¥8,190.00, nothing to keep apart.
    assert row["monthly_rate_fen"] == 273_000 and "monthly_total_fen" not in row
    assert seat_row_total_fen(row) == 819_000


def test_quote_contract_pdf_and_invoice_agree_to_the_fen(client, login_as, db):
    customer = client_with_needs(db, scope="aftersales", shifts=["evening"])
    quote = make_quote(db, customer)
    quote_services.update_quote(
        quote, {"seats": [{"seats": 3, "monthly_rate_fen": 174_300}]}, 0, 30, "", None
    )
    db.session.commit()
    assert quote.total_fen == 713_759  # ¥7,137.59 on the quote
    send(db, quote)
    quote_services.accept_quote(quote, None)
    db.session.commit()

    login_as("sales")
    assert client.post(f"/contracts/from-quote/{quote.id}").status_code == 302
    contract = db.session.scalar(sa.select(Contract).where(Contract.quote_id == quote.id))
    [row] = contract.terms["seats"]
    assert (row["monthly_rate_fen"], row["monthly_total_fen"]) == (237_920, 713_759)

    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "¥7,137.59" in page and "¥7,137.60" not in page
    assert "其中 1 席 ¥2,379.19" in page  # 713,759 − 2 × 237,920 = 237,919

    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(contract_services.render_pdf(contract))).pages
    )
    assert "7,137.59" in text and "7,137.60" not in text

    # Billing a whole month in advance bills the quoted total: 713,759 × 31/31 = ¥7,137.59.
    contract.start_on, contract.billing_timing = date(2026, 12, 1), "in_advance"
    lines = advance_service(contract_input(contract), engine.parse_period("2026-12"))
    assert [line.amount_fen for line in lines] == [713_759]


def test_a_quoted_extra_keeps_its_rate_card_code_on_the_contract():
    # Quotes keep the rate-card code of an extra as "key"; the contract's terms call it "code", which
    # the contract's revise form and the dated-extra prices look extras up by.
    terms = dict(
        QUOTE_TERMS,
        discount_bp=1_000,
        extras=[
            {
                "key": "extra_subaccount_month",
                "label": "额外子账号",
                "unit": "个/月",
                "quantity": 2,
                "unit_price_fen": 20_000,
            }
        ],
    )
    [extra] = freeze_terms(terms)["extras"]
    # ¥200.00 less the 10% discount = ¥180.00.
    assert (extra["code"], extra["quantity"], extra["unit_price_fen"]) == (
        "extra_subaccount_month",
        2,
        18_000,
    )
