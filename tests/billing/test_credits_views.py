"""The credit balance, refunds and the statement through the pages: finance may, others may not;
the portal shows a client only its own company's."""

import csv
import io
import subprocess
from datetime import date

import pytest

from ops.billing import services
from ops.billing.models import Refund
from ops.extensions import db as _db
from tests.billing.helpers import issued_for, make_billing_client, make_contract


def _credit_case(db):
    """¥30,428.07 invoiced, ¥20,000 paid, ¥20,000 credited → ¥9,571.93 credit balance."""
    client = make_billing_client(db)
    invoice = issued_for(
        db, make_contract(db, client, seats=1, rate_fen=3_042_807), "2026-09", date(2026, 10, 1)
    )
    services.record_payment(invoice, 2_000_000, date(2026, 10, 10), "银行转账", "B1")
    db.session.commit()
    services.create_credit_note(invoice, 2_000_000, "协商减免")
    return client, invoice


def _other(db):
    other = make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M")
    invoice = issued_for(
        db, make_contract(db, other, seats=1, rate_fen=123_456), "2026-09", date(2026, 10, 1)
    )
    return other, invoice


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_sees_the_balance_applies_it_and_refunds(client, login_as, db, role):
    customer, invoice = _credit_case(db)
    login_as(role)
    html = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    # outstanding ¥0.00 (never −¥10,571.93); the client's balance ¥9,571.93 shown
    assert "¥9,571.93" in html and "−¥10,571.93" not in html and "-10,571.93" not in html
    page = client.get(f"/clients/{customer.id}").get_data(as_text=True)
    assert "¥9,571.93" in page and f"/billing/clients/{customer.id}/account" in page
    account = client.get(f"/billing/clients/{customer.id}/account")
    assert account.status_code == 200 and "¥9,571.93" in account.get_data(as_text=True)
    # a refund larger than the balance is refused on the form; nothing is recorded
    response = client.post(
        f"/billing/clients/{customer.id}/refunds",
        data={"refunded_on": date(2026, 11, 2).isoformat(), "amount": "9571.94", "method": "银行转账"},
    )
    assert response.status_code == 200 and "不超过客户余额" in response.get_data(as_text=True)
    assert _db.session.query(Refund).count() == 0
    response = client.post(
        f"/billing/clients/{customer.id}/refunds",
        data={
            "refunded_on": date(2026, 11, 2).isoformat(),
            "amount": "5000",
            "method": "银行转账",
            "reference": "R1",
        },
    )
    assert response.status_code == 302
    # 9,571.93 − 5,000.00 = 4,571.93 left, applied to the next invoice of ¥1,234.56 → 3,337.37 left
    second = issued_for(
        db, make_contract(db, customer, seats=1, rate_fen=123_456), "2026-10", date(2026, 11, 1)
    )
    assert client.post(f"/billing/invoices/{second.id}/apply-credit", data={"amount": ""}).status_code == 302
    assert services.credit_balance_fen(customer.id) == 333_737
    assert services.balance_fen(_db.session.get(type(second), second.id)) == 0


def test_statement_csv_pdf_and_the_ageing_identity(client, login_as, db):
    customer, invoice = _credit_case(db)
    second = issued_for(
        db, make_contract(db, customer, seats=1, rate_fen=123_456), "2026-10", date(2026, 11, 1)
    )
    login_as("finance")
    url = f"/billing/clients/{customer.id}/statement.csv?start=2026-10-01&end=2099-12-31"
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][1] == "期初余额" and rows[1][-1] == "0.00"
    # +30,428.07 − 20,000 − 20,000 + 1,234.56 = −8,337.37 = ageing outstanding 1,234.56 − balance 9,571.93
    assert rows[-1][1] == "期末余额" and rows[-1][-1] == "-8337.37"
    ageing, _totals = services.ageing_report()
    owed = sum(r.total_fen for r in ageing if r.client_id == customer.id)
    assert owed == 123_456 and owed - services.credit_balance_fen(customer.id) == -833_737
    # by date: invoice 10-01, payment 10-10, the next invoice 11-01, the credit note today (issued_on)
    assert [r[1] for r in rows[2:-2]] == ["账单", "收款", "账单", "红字冲销"]
    assert rows[4][2] == second.number
    pdf = client.get(f"/billing/clients/{customer.id}/statement.pdf?start=2026-10-01&end=2099-12-31")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    assert "对账单" in text and "-¥8,337.37" in text.replace("−", "-")


@pytest.mark.parametrize("role", ["sales", "trainer", "client"])
def test_other_roles_cannot_use_the_account_pages(client, login_as, db, role):
    customer, invoice = _credit_case(db)
    extra = {"client_id": customer.id} if role == "client" else {}
    login_as(role, **extra)
    for url in (
        f"/billing/clients/{customer.id}/account",
        f"/billing/clients/{customer.id}/statement.pdf",
        f"/billing/clients/{customer.id}/statement.csv",
    ):
        assert client.get(url).status_code == 403, url
    data = {"refunded_on": "2026-11-02", "amount": "1", "method": "银行转账"}
    assert client.post(f"/billing/clients/{customer.id}/refunds", data=data).status_code == 403
    assert client.post(f"/billing/invoices/{invoice.id}/apply-credit", data={}).status_code == 403
    assert services.credit_balance_fen(customer.id) == 957_193


def test_portal_statement_shows_only_the_clients_own_account(client, login_as, db):
    customer, invoice = _credit_case(db)
    other, theirs = _other(db)
    login_as("client", client_id=customer.id)
    html = client.get("/portal/statement?start=2026-01-01&end=2099-12-31").get_data(as_text=True)
    assert invoice.number in html and theirs.number not in html and "¥9,571.93" in html
    assert client.get("/portal/invoices").get_data(as_text=True).count("¥9,571.93") >= 1
    detail = client.get(f"/portal/invoices/{invoice.id}").get_data(as_text=True)
    assert "红字冲销" in detail and "−¥10,571.93" not in detail
    csv_text = client.get("/portal/statement.csv?start=2026-01-01&end=2099-12-31").get_data(as_text=True)
    assert invoice.number in csv_text and theirs.number not in csv_text
    assert client.get("/portal/statement.pdf").data.startswith(b"%PDF")
    client.post("/logout")
    login_as("client", client_id=other.id)
    html = client.get("/portal/statement?start=2026-01-01&end=2099-12-31").get_data(as_text=True)
    assert theirs.number in html and invoice.number not in html
