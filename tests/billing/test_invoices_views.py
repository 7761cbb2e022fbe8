"""Finance pages: list with filters and totals, detail actions, PDF, runs, ZIP, ageing, CSV, roles."""

import csv
import hashlib
import io
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from ops.billing import services
from ops.billing.models import Invoice, Payment
from ops.timeutil import today
from tests.billing.helpers import draft_for, issued_for, make_billing_client, make_contract

YEAR = today().year


def _other_client(db):
    return make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M")


def test_every_billing_route_needs_login(app, client):
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("billing.")
        or r.endpoint
        in {
            "portal.invoices",
            "portal.invoice_detail",
            "portal.invoice_pdf",
            "portal.credit_note_pdf",
            "portal.statement",
            "portal.statement_pdf",
            "portal.statement_csv",
        }
    ]
    assert len(rules) == 34  # 18 + reissue, apply-credit, client account, refunds, statement PDF/CSV (staff,
    # portal), late-fee bill and waive, dispute mark and clear, dunning pause and resume, statements of many clients
    for rule in rules:
        url = rule.build({name: 1 for name in rule.arguments})[1]
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], rule.endpoint


@pytest.mark.parametrize("role", ["sales", "trainer", "client"])
def test_other_roles_cannot_use_finance_pages(client, login_as, db, role):
    invoice = draft_for(db, make_contract(db))
    login_as(role)
    assert client.get("/billing/invoices").status_code == 403
    assert client.post(f"/billing/invoices/{invoice.id}/issue").status_code == 403
    assert client.post(f"/billing/invoices/{invoice.id}/void", data={"reason": "x"}).status_code == 403
    assert (
        client.post(
            f"/billing/invoices/{invoice.id}/payments",
            data={"paid_on": "2026-10-03", "amount": "1", "method": "银行转账"},
        ).status_code
        == 403
    )
    assert client.post("/billing/runs", data={"period": "2026-09", "client_id": "0"}).status_code == 403
    db.session.refresh(invoice)
    assert invoice.status == "draft"


@pytest.mark.parametrize("role", ["finance", "manager", "admin"])
def test_finance_roles_issue_pay_and_download_the_stored_pdf(client, login_as, db, role):
    invoice = draft_for(db, make_contract(db))
    login_as(role)
    response = client.post(f"/billing/invoices/{invoice.id}/issue")
    assert response.status_code == 302
    db.session.refresh(invoice)
    assert invoice.status == "issued" and invoice.number == f"INV-{YEAR}-00001"
    pdf = client.get(f"/billing/invoices/{invoice.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == invoice.pdf_sha256
    assert "attachment" in pdf.headers["Content-Disposition"]
    response = client.post(
        f"/billing/invoices/{invoice.id}/payments",
        data={"paid_on": "2026-10-03", "amount": "10,000.00", "method": "银行转账", "reference": "HX-778"},
    )
    assert response.status_code == 302
    db.session.refresh(invoice)
    assert invoice.status == "paid" and invoice.paid_fen == 1_000_000


def test_detail_page_of_a_draft_offers_adjustments_issue_and_void(client, login_as, db):
    invoice = draft_for(db, make_contract(db))
    login_as("finance")
    html = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "添加调整项" in html and "开具账单" in html and "作废账单" in html and "登记收款" not in html
    assert "¥10,000.00" in html and "人民币壹万元整" in html
    response = client.post(
        f"/billing/invoices/{invoice.id}/adjustments",
        data={"description": "服务减免", "amount": "-500", "reason": "9 月系统故障 1 天"},
    )
    assert response.status_code == 302
    db.session.refresh(invoice)
    # 10,000.00 − 500.00 = 9,500.00
    assert invoice.total_fen == 950_000 and invoice.adjustments_fen == -50_000
    html = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "9 月系统故障 1 天" in html and "添加调整项" in html


def test_bad_adjustment_and_payment_input_change_nothing(client, login_as, db):
    draft = draft_for(db, make_contract(db))
    login_as("finance")
    response = client.post(
        f"/billing/invoices/{draft.id}/adjustments",
        data={"description": "x", "amount": "12.345", "reason": "y"},
        follow_redirects=True,
    )
    assert "金额最多两位小数" in response.get_data(as_text=True)
    db.session.refresh(draft)
    assert draft.total_fen == 1_000_000
    issued = services.issue_invoice(draft.id)
    response = client.post(
        f"/billing/invoices/{issued.id}/payments",
        data={"paid_on": "2026-10-03", "amount": "10,000.01", "method": "银行转账"},
        follow_redirects=True,
    )
    assert "收款金额超过未付余额（¥10,000.00）" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_draft_pdf_is_a_preview_and_not_stored(client, login_as, db):
    invoice = draft_for(db, make_contract(db))
    login_as("finance")
    response = client.get(f"/billing/invoices/{invoice.id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    db.session.refresh(invoice)
    assert invoice.pdf_sha256 is None and invoice.number is None


def test_void_and_credit_note_through_the_pages(client, login_as, db):
    invoice = issued_for(db, make_contract(db))
    login_as("finance")
    client.post(
        f"/billing/invoices/{invoice.id}/credit-notes", data={"amount": "1,060", "reason": "停服 2 天减免"}
    )
    db.session.refresh(invoice)
    note = invoice.credit_notes[0]
    assert note.total_fen == 106_000 and services.balance_fen(invoice) == 894_000
    pdf = client.get(f"/billing/credit-notes/{note.id}/pdf")
    assert hashlib.sha256(pdf.data).hexdigest() == note.pdf_sha256
    other = issued_for(db, make_contract(db, _other_client(db)))
    response = client.post(f"/billing/invoices/{other.id}/void", data={"reason": ""}, follow_redirects=True)
    assert "请填写作废原因" in response.get_data(as_text=True)
    client.post(f"/billing/invoices/{other.id}/void", data={"reason": "开错客户"})
    db.session.refresh(other)
    assert other.status == "void" and other.void_reason == "开错客户"


def test_list_filters_search_overdue_and_totals(client, login_as, db):
    paid = issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    services.record_payment(paid, 1_000_000, date(2026, 10, 3), "银行转账", "")
    overdue = issued_for(
        db, make_contract(db, _other_client(db)), issued_on=date(2026, 10, 2)
    )  # due 2026-10-05
    draft = draft_for(
        db, make_contract(db, make_billing_client(db, "广州花间美妆", "广州花间化妆品有限公司", None))
    )
    db.session.commit()
    login_as("finance")
    html = client.get("/billing/invoices").get_data(as_text=True)
    assert paid.number in html and overdue.number in html and "草稿" in html
    # billed 3 × 10,000.00 = 30,000.00; received 10,000.00; owed 10,000.00 (the draft owes nothing yet)
    assert "¥30,000.00" in html and "¥10,000.00" in html
    html = client.get("/billing/invoices?status=overdue").get_data(as_text=True)
    assert overdue.number in html and paid.number not in html and "已逾期" in html
    html = client.get(f"/billing/invoices?q={overdue.number[-3:]}").get_data(as_text=True)
    assert overdue.number in html and paid.number not in html
    html = client.get(f"/billing/invoices?client_id={draft.client_id}&status=draft").get_data(as_text=True)
    assert paid.number not in html and overdue.number not in html and "广州花间美妆" in html


def test_run_page_defaults_to_last_month_and_shows_the_summary(client, login_as, db):
    make_contract(db)
    login_as("finance")
    html = client.get("/billing/runs").get_data(as_text=True)
    last = today().replace(day=1).toordinal() - 1
    assert date.fromordinal(last).strftime("%Y-%m") in html
    # The run is a job: the page answers with the job's page, which shows the summary when done.
    response = client.post("/billing/runs", data={"period": "2026-09", "client_id": "0", "issue": "y"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "出账 2026-09" in html and "新建 1" in html and "开具 1" in html
    assert f"INV-{YEAR}-00001" in client.get("/billing/invoices?period=2026-09").get_data(as_text=True)
    response = client.post("/billing/runs", data={"period": "2026/9", "client_id": "0"})
    assert "账期格式应为" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 1


def test_zip_holds_the_stored_pdfs_of_the_period(client, login_as, db):
    first = issued_for(db, make_contract(db))
    second = issued_for(db, make_contract(db, _other_client(db)))
    draft_for(db, make_contract(db, make_billing_client(db, "广州花间美妆", "广州花间化妆品有限公司", None)))
    login_as("finance")
    started = client.post("/billing/zip", data={"period": "2026-09"})
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    response = client.get(started.headers["Location"] + "/download")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    response.close()
    assert sorted(archive.namelist()) == [
        f"{first.number}_北京晨光家居旗舰店.pdf",
        f"{second.number}_上海优品数码.pdf",
    ]
    assert (
        hashlib.sha256(archive.read(f"{first.number}_北京晨光家居旗舰店.pdf")).hexdigest() == first.pdf_sha256
    )


def test_ageing_buckets_by_client(client, login_as, db):
    issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))  # due 2026-10-05
    login_as("manager")
    html = client.get("/billing/ageing").get_data(as_text=True)
    assert "北京晨光家居旗舰店" in html and "¥10,000.00" in html and f"INV-{YEAR}-00001" in html
    rows, totals = services.ageing_report(on=date(2026, 11, 26))  # 52 days past due
    assert totals == {"current": 0, "1-30": 0, "31-60": 1_000_000, "61-90": 0, "90+": 0}
    assert rows[0].client_name == "北京晨光家居旗舰店"


def test_csv_export_for_accounting(client, login_as, db):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    services.record_payment(invoice, 400_000, date(2026, 10, 3), "银行转账", "")
    db.session.commit()
    login_as("finance")
    response = client.get("/billing/export.csv?period=2026-09")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "账单号",
        "客户",
        "统一社会信用代码",
        "账期",
        "开具日期",
        "到期日",
        "不含税金额",
        "税额",
        "价税合计",
        "已收款",
        "未付余额",
        "状态",
    ]
    # net 9,433.96 + tax 566.04 = 10,000.00; paid 4,000.00; open 6,000.00; due 2026-10-05 has passed
    assert rows[1] == [
        f"INV-{YEAR}-00001",
        "北京晨光家居用品有限公司",
        "91110108551385082Q",
        "2026-09",
        "2026-10-02",
        "2026-10-05",
        "9433.96",
        "566.04",
        "10000.00",
        "4000.00",
        "6000.00",
        "已逾期",
    ]


def test_dashboard_panel_for_finance_only(client, login_as, db):
    issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    draft_for(db, make_contract(db, _other_client(db)))
    login_as("finance")
    html = client.get("/").get_data(as_text=True)
    assert (
        "应收账款" in html
        and "未付余额（1 张）" in html
        and "已逾期（1 张）" in html
        and "待开具草稿" in html
    )
    client.post("/logout")
    login_as("trainer")
    assert "应收账款" not in client.get("/").get_data(as_text=True)


def test_list_totals_leave_out_void_invoices_and_subtract_payments_and_credit(client, login_as, db):
    shop = make_billing_client(db)

    def invoice(rate_fen: int, period: str = "2026-09"):
        """One seat at ``rate_fen`` a month, tax included, the whole month served: the invoice total."""
        return issued_for(
            db, make_contract(db, shop, seats=1, rate_fen=rate_fen), period, issued_on=date(2026, 10, 1)
        )

    partly = invoice(1_000_000)  # ¥10,000.00: ¥4,000.00 paid, ¥1,000.00 credited → ¥5,000.00 owed
    services.record_payment(partly, 400_000, date(2026, 10, 3), "银行转账", "")
    services.create_credit_note(partly, 100_000, "协商减免")
    settled = invoice(300_000)  # ¥3,000.00, paid in full
    services.record_payment(settled, 300_000, date(2026, 10, 3), "银行转账", "")
    voided = invoice(2_000_000)  # ¥20,000.00, void: in none of the sums
    services.void_invoice(voided, "开错金额")
    draft = draft_for(db, make_contract(db, shop, seats=1, rate_fen=50_000))  # ¥500.00, billed, owes nothing
    older = invoice(700_000, "2026-08")  # ¥7,000.00, nothing paid
    db.session.commit()
    assert (draft.status, partly.status, settled.status) == ("draft", "issued", "paid")
    login_as("finance")

    html = client.get("/billing/invoices").get_data(as_text=True)
    # billed 10,000 + 3,000 + 500 + 7,000 = 20,500.00 over 4 invoices; received 4,000 + 3,000 = 7,000.00;
    # owed 5,000 + 7,000 = 12,000.00; the list itself shows all 5, the void one included.
    assert "应收合计（不含作废，4 张）" in html
    assert "¥20,500.00" in html and "¥7,000.00" in html and "¥12,000.00" in html
    assert "共 5 条" in html and voided.number in html

    html = client.get("/billing/invoices?period=2026-09").get_data(as_text=True)
    # Without the August invoice: billed 13,500.00 over 3, received 7,000.00, owed 5,000.00.
    assert "应收合计（不含作废，3 张）" in html
    assert "¥13,500.00" in html and "¥7,000.00" in html and "¥5,000.00" in html
    assert "共 4 条" in html and older.number not in html

    html = client.get("/billing/invoices?status=void").get_data(as_text=True)
    assert "应收合计（不含作废，0 张）" in html and html.count("¥0.00") == 3 and "共 1 条" in html
