"""The client portal's invoices: own issued invoices only, PDFs byte-identical to the stored ones."""

import hashlib
from datetime import date

from ops.billing import services
from tests.billing.helpers import draft_for, issued_for, make_billing_client, make_contract


def _setup(db):
    ours = make_billing_client(db)
    issued = issued_for(db, make_contract(db, ours), "2026-09", issued_on=date(2026, 10, 2))
    draft = draft_for(db, make_contract(db, ours), "2026-10")
    theirs_client = make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M")
    theirs = issued_for(db, make_contract(db, theirs_client), "2026-09")
    return ours, issued, draft, theirs


def test_client_sees_only_its_own_issued_invoices(client, login_as, db):
    ours, issued, draft, theirs = _setup(db)
    login_as("client", client_id=ours.id)
    html = client.get("/portal/invoices").get_data(as_text=True)
    assert issued.number in html and theirs.number not in html and "草稿" not in html
    assert "已逾期" in html and "¥10,000.00" in html
    assert client.get(f"/portal/invoices/{issued.id}").status_code == 200
    for url in (
        f"/portal/invoices/{theirs.id}",
        f"/portal/invoices/{theirs.id}/pdf",
        f"/portal/invoices/{draft.id}",
        f"/portal/invoices/{draft.id}/pdf",
        "/portal/invoices/99999",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/billing/invoices/{issued.id}").status_code == 403


def test_portal_pdf_is_exactly_the_stored_document(client, login_as, db):
    ours, issued, _draft, _theirs = _setup(db)
    login_as("client", client_id=ours.id)
    response = client.get(f"/portal/invoices/{issued.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert hashlib.sha256(response.data).hexdigest() == issued.pdf_sha256


def test_detail_shows_lines_payments_and_credit_notes(client, login_as, db):
    ours, issued, _draft, theirs = _setup(db)
    services.record_payment(issued, 300_000, date(2026, 10, 3), "银行转账", "HX-1")
    db.session.commit()
    note = services.create_credit_note(issued, 106_000, "停服 2 天减免")
    other_note = services.create_credit_note(theirs, 10_000, "对方的冲销")
    login_as("client", client_id=ours.id)
    html = client.get(f"/portal/invoices/{issued.id}").get_data(as_text=True)
    assert "售前白班席位" in html and "¥3,000.00" in html and note.number in html
    # 10,000.00 − paid 3,000.00 − credited 1,060.00 = 5,940.00
    assert "¥5,940.00" in html
    pdf = client.get(f"/portal/credit-notes/{note.id}/pdf")
    assert hashlib.sha256(pdf.data).hexdigest() == note.pdf_sha256
    assert client.get(f"/portal/credit-notes/{other_note.id}/pdf").status_code == 404


def test_overview_has_a_billing_section(client, login_as, db):
    ours, issued, _draft, _theirs = _setup(db)
    login_as("client", client_id=ours.id)
    html = client.get("/portal/").get_data(as_text=True)
    assert "账单" in html and "未付余额" in html and "¥10,000.00" in html and issued.number in html
    assert "1 张已逾期" in html
