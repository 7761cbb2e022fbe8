"""Stored XSS: markup typed into a client's name, a contact, a quote note and a material title is
shown as text on every staff and portal page (escaped, never a live tag), and printed literally in
the quote, contract and invoice PDFs (escaped in ReportLab's paragraph markup, not swallowed)."""

import csv
import io
import re

import pytest
from pypdf import PdfReader

from ops.clients import services as client_services
from ops.contracts import services as contract_services
from ops.quotes import services as quote_services
from ops.training import services as training_services
from tests.billing.helpers import issued_for, make_contract
from tests.conftest import login
from tests.factories import make_client, make_needs, make_rate_card
from tests.quotes.quote_factories import RULE_NEEDS
from tests.training.helpers import pdf_bytes, upload

PAYLOAD = '<script>alert("x")</script>晨光'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;晨光"
RAW = "<script>alert("  # any live script tag carrying the payload, however the rest is escaped


@pytest.fixture
def xss(db, make_user):
    """A client named with the payload, with a contact, a sent quote with a note, an active contract
    with an issued invoice and a material, all carrying the payload; and a user of that client."""
    admin = make_user("admin")
    make_rate_card(db)
    client = make_client(db, name=PAYLOAD, legal_name=PAYLOAD, stage="live")
    make_needs(db, client, **RULE_NEEDS)
    client_services.add_contact(client, {"name": PAYLOAD, "title": PAYLOAD, "phone": "13800138000"}, by=admin)
    quote = quote_services.create_quote(client, "fixed_seat", admin)
    quote_services.update_quote(quote, {}, 0, 30, PAYLOAD, admin)
    quote_services.send_quote(quote, admin)
    db.session.commit()
    contract = make_contract(db, client, title=PAYLOAD)
    invoice = issued_for(db, contract, "2026-09")
    material = training_services.create_material(
        client.id, "faq", PAYLOAD, PAYLOAD, upload("faq.pdf", pdf_bytes()), admin
    )
    db.session.commit()
    portal_user = make_user("client", client_id=client.id)
    return {
        "admin": admin,
        "portal_user": portal_user,
        "client": client.id,
        "quote": quote.id,
        "contract": contract.id,
        "invoice": invoice.id,
        "material": material.id,
    }


def staff_pages(x) -> list[str]:
    return [
        "/clients/",
        f"/clients/{x['client']}",
        f"/clients/{x['client']}/edit",
        "/quotes/",
        f"/quotes/{x['quote']}",
        "/contracts/",
        f"/contracts/{x['contract']}",
        "/billing/invoices",
        f"/billing/invoices/{x['invoice']}",
        "/training/materials",
        f"/training/materials/{x['material']}",
        f"/usage/client/{x['client']}",
        "/usage/",
        "/billing/ageing",
        "/billing/runs",
        "/training/",
        "/onboarding/",
        "/onboarding/agents",
        "/onboarding/assignments",
        "/admin/users/",
        "/admin/audit/",
    ]


def portal_pages(x) -> dict[str, bool]:
    """Portal page -> whether it shows the payload (the lists of one's own records omit one's own name)."""
    return {
        "/portal/": True,
        "/portal/quotes": False,
        f"/portal/quotes/{x['quote']}": True,
        "/portal/contracts": False,
        f"/portal/contracts/{x['contract']}": True,
        "/portal/invoices": False,
        f"/portal/invoices/{x['invoice']}": False,
        "/portal/materials": True,
    }


def assert_shown_escaped(client, url: str, shown: bool = True) -> None:
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, url
    assert (ESCAPED in html) == shown, f"{url}: the name is {'not ' if shown else ''}shown"
    assert RAW not in html, f"{url} shows a live script tag"


def test_staff_pages_escape_the_payload(client, xss):
    login(client, xss["admin"].username)
    for url in staff_pages(xss):
        assert_shown_escaped(client, url)


def test_the_dashboard_never_shows_a_live_tag(client, xss):
    login(client, xss["admin"].username)
    html = client.get("/").get_data(as_text=True)
    assert RAW not in html


def test_portal_pages_escape_the_payload(client, xss):
    login(client, xss["portal_user"].username)
    for url, shown in portal_pages(xss).items():
        assert_shown_escaped(client, url, shown)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "".join(re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize(
    "url",
    [
        "/quotes/{quote}/pdf",
        "/contracts/{contract}/pdf",
        "/billing/invoices/{invoice}/pdf",
    ],
)
def test_pdfs_print_the_payload_as_text(client, xss, url):
    login(client, xss["admin"].username)
    response = client.get(url.format(**xss))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert PAYLOAD in pdf_text(response.get_data())


@pytest.mark.parametrize(
    "url",
    ["/portal/quotes/{quote}/pdf", "/portal/contracts/{contract}/pdf", "/portal/invoices/{invoice}/pdf"],
)
def test_portal_pdfs_print_the_payload_as_text(client, xss, url):
    login(client, xss["portal_user"].username)
    response = client.get(url.format(**xss))
    assert response.status_code == 200
    assert PAYLOAD in pdf_text(response.get_data())


def test_the_contract_pdf_of_a_quote_with_the_payload_renders(db, xss):
    """A contract drafted from the quote copies the payload into its frozen terms and still renders."""
    from ops.quotes.models import Quote

    quote = db.session.get(Quote, xss["quote"])
    quote_services.accept_quote(quote, xss["admin"])
    contract = contract_services.create_from_quote(quote, xss["admin"])
    db.session.commit()
    assert PAYLOAD in pdf_text(contract_services.render_pdf(contract))


FORMULA = '=HYPERLINK("http://evil.example/","点我")'


def test_the_accounting_export_never_starts_a_cell_with_a_formula(db, client, make_user):
    """A name typed as a spreadsheet formula is exported as text (a leading '), not run by Excel."""
    client_row = make_client(db, name=FORMULA, legal_name=FORMULA, stage="live")
    issued_for(db, make_contract(db, client_row), "2026-09")
    login(client, make_user("finance").username)
    response = client.get("/billing/export.csv?period=2026-09")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][1] == "'" + FORMULA
    assert not any(cell[:1] in "=+@" for row in rows[1:] for cell in row if cell)
