"""The 数电票 pages: export, fapiao recorded and imported, item codes, reprint, client form, portal."""

import io
import re
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from ops.audit.models import AuditEntry
from ops.billing.models import CreditNote
from ops.clients.models import Client
from ops.fapiao import export, services
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.factories import TAX_IDS
from tests.fapiao.helpers import exclusive_invoice, inclusive_with_kpi_and_deposit

NUMBER = "26112000000000000001"


def _text(data: bytes) -> str:
    return "".join(re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages)


def test_export_page_lists_the_period_and_downloads_the_file(client, login_as, db):
    invoice = inclusive_with_kpi_and_deposit(db)
    login_as("finance")
    page = client.get("/billing/fapiao/export?period=2026-09").get_data(as_text=True)
    assert invoice.number in page and "可导出" in page and "示例编码" in page
    response = client.post(
        "/billing/fapiao/export", data={"period": "2026-09", "invoice_ids": [str(invoice.id)]}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    assert "fapiao_2026-09.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book[export.HEADER_SHEET]["A2"].value == invoice.number


def test_export_refused_lists_what_is_missing(client, login_as, db):
    invoice = exclusive_invoice(db)
    invoice.client.tax_id = None
    db.session.commit()
    login_as("finance")
    response = client.post(
        "/billing/fapiao/export",
        data={"period": "2026-09", "invoice_ids": [str(invoice.id)]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未导出" in page and invoice.number in page and "纳税人识别号" in page
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "fapiao.exported")) is None


def test_record_on_the_invoice_page_and_search_the_list_by_fapiao_number(client, login_as, db):
    invoice = exclusive_invoice(db)
    login_as("finance")
    url = f"/billing/fapiao/invoices/{invoice.id}"
    page = client.post(
        url, data={"number": "12345", "issued_on": "2026-10-02", "status": "issued"}, follow_redirects=True
    )
    assert "20 位数字" in page.get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.fapiao_number is None
    client.post(url, data={"number": NUMBER, "issued_on": "2026-10-02", "status": "issued"})
    db.session.refresh(invoice)
    assert (invoice.fapiao_number, invoice.fapiao_date) == (NUMBER, date(2026, 10, 2))
    detail = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert NUMBER in detail and "登记发票" in detail
    listing = client.get("/billing/invoices?q=000000000001").get_data(as_text=True)
    assert invoice.number in listing and NUMBER in listing


def test_import_page_lists_every_bad_row(client, login_as, db):
    invoice = exclusive_invoice(db)
    login_as("finance")
    body = f"账单编号,发票号码,开票日期\n{invoice.number},{NUMBER},2026-10-02\nINV-X,1,2026-13-01\n".encode()
    page = client.post(
        "/billing/fapiao/import",
        data={"file": (io.BytesIO(body), "f.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "第 3 行" in page and "20 位数字" in page and "无法识别" in page
    db.session.refresh(invoice)
    assert invoice.fapiao_number is None
    response = client.post(
        "/billing/fapiao/import",
        data={"file": (io.BytesIO(body.rsplit(b"INV-X", 1)[0]), "f.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "1 张账单更新" in response.get_data(as_text=True)
    db.session.refresh(invoice)
    assert invoice.fapiao_number == NUMBER


def test_item_codes_page_marks_samples_and_finance_edits(client, login_as, db):
    login_as("finance")
    page = client.get("/billing/fapiao/codes").get_data(as_text=True)
    assert "示例" in page and "3040204000000000000" in page
    bad = client.post(
        "/billing/fapiao/codes/seat", data={"item_name": "客服外包服务", "tax_code": "123", "unit": "月"}
    )
    assert "19 位数字" in bad.get_data(as_text=True)
    client.post(
        "/billing/fapiao/codes/seat",
        data={"item_name": "客服外包服务", "tax_code": "3040204990000000000", "unit": "月"},
    )
    assert services.item_codes()["seat"].tax_code == "3040204990000000000"


def test_reprint_shows_the_fapiao_and_leaves_the_stored_pdf_alone(client, login_as, db):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 1))
    original, checksum = invoice.pdf, invoice.pdf_sha256
    services.record_fapiao(invoice, NUMBER, date(2026, 10, 2), "issued")
    db.session.commit()
    login_as("finance")
    response = client.get(f"/billing/fapiao/invoices/{invoice.id}/reprint.pdf")
    assert response.status_code == 200
    text = _text(response.data)
    assert "重印副本" in text and NUMBER in text and invoice.number in text
    assert NUMBER not in _text(original)
    db.session.refresh(invoice)
    assert (invoice.pdf, invoice.pdf_sha256) == (original, checksum)


def test_credit_note_form_requires_the_red_reason_when_there_is_a_fapiao(client, login_as, db):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 1))
    services.record_fapiao(invoice, NUMBER, date(2026, 10, 2), "issued")
    db.session.commit()
    login_as("finance")
    url = f"/billing/invoices/{invoice.id}/credit-notes"
    page = client.post(url, data={"amount": "1,060", "reason": "停服减免"}, follow_redirects=True)
    assert "请选择红字确认单原因" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditNote)) == 0
    client.post(url, data={"amount": "1,060", "reason": "停服减免", "red_reason": "03"})
    note = db.session.scalar(sa.select(CreditNote))
    assert note.red_reason == "03"
    assert "03 服务中止" in client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)


def test_client_form_special_fapiao_needs_the_invoicing_details(client, login_as, db):
    login_as("admin")
    form = {
        "name": "杭州小店",
        "legal_name": "杭州小店电子商务有限公司",
        "tax_id": TAX_IDS[0],
        "fapiao_type": "special",
        "category": "",
    }
    page = client.post("/clients/new", data=form).get_data(as_text=True)
    assert "开具专票需要填写：地址、电话、开户行、银行账号。" in page
    assert db.session.scalar(sa.select(Client).where(Client.name == "杭州小店")) is None
    form.update(address="杭州市文三路 1 号", phone="0571-1", bank_name="工商银行", bank_account="1202")
    client.post("/clients/new", data=form)
    assert db.session.scalar(sa.select(Client.fapiao_type).where(Client.name == "杭州小店")) == "special"


def test_portal_shows_only_its_own_invoices_fapiao_numbers(client, login_as, db):
    ours = make_billing_client(db)
    theirs = make_billing_client(
        db, name="上海云栖数码专营店", legal_name="上海云栖数码科技有限公司", tax_id=TAX_IDS[2]
    )
    mine = issued_for(db, make_contract(db, ours), issued_on=date(2026, 10, 1))
    other = issued_for(db, make_contract(db, theirs), issued_on=date(2026, 10, 1))
    services.record_fapiao(mine, NUMBER, date(2026, 10, 2), "issued")
    services.record_fapiao(other, "26112000000000000099", date(2026, 10, 2), "issued")
    db.session.commit()
    login_as("client", client_id=ours.id)
    listing = client.get("/portal/invoices").get_data(as_text=True)
    assert NUMBER in listing and "26112000000000000099" not in listing
    assert NUMBER in client.get(f"/portal/invoices/{mine.id}").get_data(as_text=True)
    assert client.get(f"/portal/invoices/{other.id}").status_code == 404
    assert client.get(f"/portal/invoices/{other.id}/reprint.pdf").status_code == 404
    reprint = client.get(f"/portal/invoices/{mine.id}/reprint.pdf")
    assert reprint.status_code == 200 and NUMBER in _text(reprint.data)
