"""Holiday allowance and promotion staff on a quote: per-day prices, never part of the monthly total.

A contract from such a quote has no monthly holiday extra; finance records the days worked as a dated
extra at the agreed per-day price, and the run bills it once.
"""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from ops.billing.services.extras import add_entry
from ops.contracts import services as contracts
from ops.quotes import services
from ops.quotes.documents import quote_pdf_data
from tests.billing.helpers import draft_for, make_contract
from tests.factories.quotes import make_accepted_quote
from tests.quotes.quote_factories import client_with_needs, make_quote, send


def test_quote_lists_per_day_prices_outside_the_monthly_total(db):
    quote = make_quote(db)
    services.update_quote(quote, {"extras": {"extra_subaccount_month": 0}}, 1_000, 30, "", None)
    db.session.commit()
    assert [line["kind"] for line in quote.lines if line["kind"] == "extra"] == []
    assert all("节假日" not in line["description"] for line in quote.lines)
    assert quote.terms["extras"] == []
    # Rate card: holiday ¥200.00 / person-day, promotion staff ¥300.00 / person-shift-day; 10 % off
    # → ¥180.00 and ¥270.00.
    assert quote.per_day_prices == [("节假日补贴", "人·天", 18_000), ("临时/大促客服", "人·班·天", 27_000)]
    data = quote_pdf_data(quote, "某某客服外包有限公司")
    assert data.per_day_prices == (("节假日补贴", "人·天", 18_000), ("临时/大促客服", "人·班·天", 27_000))
    assert sum(line.amount_fen for line in data.lines) == quote.subtotal_fen


def test_a_monthly_holiday_quantity_is_refused(db):
    quote = make_quote(db)
    total = quote.total_fen
    with pytest.raises(services.QuoteError, match="按实际人天结算"):
        services.update_quote(quote, {"extras": {"holiday_person_day": 2}}, 0, 30, "", None)
    db.session.rollback()
    assert quote.total_fen == total and quote.terms.get("extras", []) == []


def test_quote_pages_show_the_per_day_prices(client, login_as, db):
    quote = make_quote(db)
    login_as("sales")
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "按实际人天结算（不计入月度合计）" in page
    assert "¥200.00 / 人·天" in page and "¥300.00 / 人·班·天" in page
    edit = client.get(f"/quotes/{quote.id}/edit").get_data(as_text=True)
    assert 'name="holiday_person_day"' not in edit and 'name="temp_person_shift_day"' not in edit
    assert 'name="extra_subaccount_month"' in edit


def test_contract_from_the_quote_bills_the_recorded_holiday_days_once(db):
    quote = make_accepted_quote(db)
    draft = contracts.create_from_quote(quote, None, start_on=date(2026, 12, 1), months=12)
    db.session.commit()
    terms = draft.terms
    assert [e for e in terms["extras"] if "节假日" in e["label"] or "大促" in e["label"]] == []
    assert terms["extras_catalogue"]["holiday_person_day"]["unit_price_fen"] == 20_000
    # The same frozen terms on an active contract (4 agents live from 2026-12-01, monthly in arrears).
    contract = make_contract(
        db, terms=terms, seats=4, start_on=date(2026, 12, 1), go_live_on=date(2026, 12, 1)
    )

    entry = add_entry(
        contract,
        code="holiday_person_day",
        start_on=date(2027, 2, 10),
        end_on=date(2027, 2, 16),
        headcount=2,
    )
    db.session.commit()
    assert entry.unit_price_fen == 20_000  # the quote's ¥200.00 per person-day, no discount

    def extras(period):
        return [line.amount_fen for line in draft_for(db, contract, period).lines if line.kind == "extra"]

    # 2 agents × 7 days × ¥200.00 = ¥2,800.00, in February only; no monthly holiday line elsewhere.
    assert extras("2027-02") == [280_000]
    assert extras("2027-01") == []
    assert extras("2027-03") == []


def test_portal_quote_page_and_pdf_show_the_per_day_prices(client, login_as, db):
    ours = client_with_needs(db)
    sent = send(db, make_quote(db, client=ours))
    login_as("client", client_id=ours.id)
    html = client.get(f"/portal/quotes/{sent.id}").get_data(as_text=True)
    # The monthly total stays 4 seats × ¥5,250.00 = ¥21,000.00; the per-day prices are listed apart.
    assert "¥21,000.00" in html and "按实际人天结算（不计入月度合计）" in html
    assert "¥200.00 / 人·天" in html
    pdf = client.get(f"/portal/quotes/{sent.id}/pdf").data
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert "节假日补贴：¥200.00/人·天，按实际人天结算" in text and "人民币贰万壹仟元整" in text
