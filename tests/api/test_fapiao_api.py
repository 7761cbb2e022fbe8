"""GET /api/v1/invoices/{id}/fapiao: the 数电票 data of one issued invoice, as the batch file holds it
(amounts worked out by hand in tests/fapiao/test_export.py for the same invoice), and the fapiao
fields on the invoice and credit-note answers."""

import pytest

from ops.auth.tokens import create_token
from ops.billing.models import Invoice
from ops.extensions import db as _db
from ops.fapiao import services as fapiao_services
from tests.api.test_behaviour import assert_problem, bearer
from tests.factories import make_client
from tests.fapiao.helpers import exclusive_invoice


@pytest.fixture
def reader(db):
    _token, secret = create_token("开票软件", None, scopes=["read"])
    db.session.commit()
    return secret


def test_an_issued_invoice_as_the_e_invoicing_software_imports_it(client, db, reader):
    invoice = exclusive_invoice(db)
    db.session.commit()
    answer = client.get(f"/api/v1/invoices/{invoice.id}/fapiao", headers=bearer(reader))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    # Tax 62,271 split over 1,000,000 / 25,500 / 12,345 by the largest remainder (tests/fapiao/test_export.py)
    assert [(line["kind"], line["amount_fen"], line["tax_fen"]) for line in body["lines"]] == [
        ("seat", 1_000_000, 60_000),
        ("late_fee", 25_500, 1_530),
        ("adjustment", 12_345, 741),
    ]
    assert (body["amount_fen"], body["tax_fen"], body["total_fen"]) == (1_037_845, 62_271, 1_100_116)
    assert body["serial"] == invoice.number and body["fapiao"] is None and body["problems"] == []
    assert body["buyer"]["tax_id"] == invoice.client.tax_id
    tag = answer.headers["ETag"]
    again = client.get(
        f"/api/v1/invoices/{invoice.id}/fapiao", headers=bearer(reader, **{"If-None-Match": tag})
    )
    assert again.status_code == 304


def test_the_fapiao_number_shows_on_the_invoice_and_in_the_fapiao_data(client, db, reader, app):
    invoice = exclusive_invoice(db)
    number = "26440000000012345678"
    fapiao_services.record_fapiao(invoice, number, invoice.issued_on, "issued")
    db.session.commit()
    body = client.get(f"/api/v1/invoices/{invoice.id}", headers=bearer(reader)).get_json()
    assert (body["fapiao_number"], body["fapiao_status"]) == (number, "issued")
    assert body["fapiao_date"] == invoice.issued_on.isoformat()
    data = client.get(f"/api/v1/invoices/{invoice.id}/fapiao", headers=bearer(reader)).get_json()
    assert data["fapiao"]["number"] == number and data["fapiao"]["status"] == "issued"


def test_a_draft_has_no_fapiao_data_and_another_clients_token_sees_nothing(client, db, reader):
    invoice = exclusive_invoice(db)
    other = make_client(db, name="别家店铺", shops=[])
    _token, other_secret = create_token("别家", other.id, scopes=["read"])
    db.session.commit()
    assert_problem(client.get(f"/api/v1/invoices/{invoice.id}/fapiao", headers=bearer(other_secret)), 404)
    invoice = _db.session.get(Invoice, invoice.id)
    invoice.status = "draft"
    db.session.commit()
    assert_problem(client.get(f"/api/v1/invoices/{invoice.id}/fapiao", headers=bearer(reader)), 409)
