"""The bank pages: formats (with preview), import, a statement's transactions, the queue, a manual
match and its refusals, ignore / un-ignore. Amounts worked out by hand in the comments."""

import io
from datetime import date

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.bank.models import BankFormat, BankTransaction
from ops.billing.models import Invoice, Payment
from ops.billing.services import credit_balance_fen
from tests.bank.helpers import FIXTURES, make_formats, make_open_invoice
from tests.billing.helpers import make_billing_client

CSV = (
    "\ufeff某银行流水\n账号：1234\n\n"
    "交易日期,收入金额,支出金额,对方户名,对方账号,摘要,流水号\n"
    '2026-11-02,"1,000.00",,北京晨光家居用品有限公司,6222000011112222,INV-2026-00901,S1\n'
    "2026-11-03,,250.00,某物业,1111,房租,S2\n"
    "2026-11-04,88.00,,某某公司,9999,往来款,S3\n"
)


def form_data(**values):
    base = {
        "name": "某银行",
        "date_column": "交易日期",
        "date_format": "%Y-%m-%d",
        "amount_column": "",
        "credit_column": "收入金额",
        "debit_column": "支出金额",
        "payer_name_column": "对方户名",
        "payer_account_column": "对方账号",
        "reference_column": "摘要",
        "serial_column": "流水号",
    }
    base.update(values)
    return base


def audits(db, action):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_format_preview_shows_the_file_and_saves_nothing(db, client, login_as):
    login_as("finance")
    data = form_data(preview="1", sample=(io.BytesIO(CSV.encode("utf-8")), "s.csv"))
    response = client.post("/billing/bank/formats/new", data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "某银行流水" in html  # the preamble shown as it is
    assert "按此格式读到 2 笔收入（1 笔支出将被忽略）" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankFormat)) == 0


def test_format_refusals_are_clear_and_change_nothing(db, client, login_as):
    login_as("finance")
    response = client.post("/billing/bank/formats/new", data=form_data(amount_column="金额"))
    assert "金额列与收入/支出列只能二选一。" in response.get_data(as_text=True)
    response = client.post("/billing/bank/formats/new", data=form_data(payer_name_column="摘要"))
    assert "“摘要”已用于另一列。" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankFormat)) == 0
    assert client.post("/billing/bank/formats/new", data=form_data(submit="1")).status_code == 302
    response = client.post("/billing/bank/formats/new", data=form_data(submit="1"))
    assert "已有同名的银行格式。" in response.get_data(as_text=True)
    assert audits(db, "bank.format_created") == 1


def test_import_matches_by_number_and_queues_the_rest(db, client, login_as):
    finance = login_as("finance")
    customer = make_billing_client(db)
    invoice = make_open_invoice(db, customer, "INV-2026-00901", 150_000, date(2026, 10, 5), "2026-09")
    cmb, _icbc = make_formats(db, by=finance)
    bank_format = BankFormat(name="某银行", **{k: v for k, v in form_data().items() if k != "name"})
    db.session.add(bank_format)
    db.session.commit()

    response = client.post(
        "/billing/bank/import",
        data={"format_id": bank_format.id, "file": (io.BytesIO(CSV.encode("utf-8")), "nov.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "已导入 2 笔收入（0 笔已导入过，1 笔支出未导入），自动匹配 1 笔。" in html
    db.session.expire_all()
    # ¥1,000.00 of the ¥1,500.00 invoice: a partial payment, ¥500.00 still open.
    assert db.session.get(Invoice, invoice.id).balance_fen == 50_000
    paid = db.session.scalars(sa.select(Payment).where(Payment.invoice_id == invoice.id)).one()
    assert (paid.amount_fen, paid.method, paid.reference) == (100_000, "银行转账", "S1")
    assert "部分匹配" in html and "未匹配" in html
    assert "INV-2026-00901</a> ¥1,000.00" in html  # the statement shows what each transfer paid

    queue = client.get("/billing/bank/queue").get_data(as_text=True)
    assert "某某公司" in queue and "北京晨光" not in queue

    again = client.post(
        "/billing/bank/import",
        data={"format_id": bank_format.id, "file": (io.BytesIO(CSV.encode("utf-8")), "nov.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "没有新的流水：文件中的 2 笔收入都已导入过，未做任何更改。" in again.get_data(as_text=True)


def test_import_refuses_a_file_of_another_layout(db, client, login_as):
    finance = login_as("finance")
    cmb, icbc = make_formats(db, by=finance)
    response = client.post(
        "/billing/bank/import",
        data={
            "format_id": cmb.id,
            "file": (io.BytesIO((FIXTURES / "icbc_2026-11.csv").read_bytes()), "i.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "找不到表头" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankTransaction)) == 0


def unmatched_transfer(db, amount_fen=300_000):
    from ops.bank.models import BankStatement

    bank_format = db.session.scalars(sa.select(BankFormat)).first()
    statement = BankStatement(format_id=bank_format.id, filename="x.csv", encoding="UTF-8", sha256="0" * 64)
    db.session.add(statement)
    db.session.flush()
    transaction = BankTransaction(
        statement_id=statement.id,
        dedupe_key=f"test:{amount_fen}",
        line=5,
        booked_on=date(2026, 11, 10),
        amount_fen=amount_fen,
        payer_name="某集团财务公司",
        payer_account="6222999988887777",
        reference="代付货款",
        status="unmatched",
        suggestions=[],
    )
    db.session.add(transaction)
    db.session.commit()
    return transaction


def test_manual_match_pays_invoices_and_credits_the_rest(db, client, login_as):
    finance = login_as("finance")
    make_formats(db, by=finance)
    customer = make_billing_client(db)
    first = make_open_invoice(db, customer, "INV-2026-00911", 120_000, date(2026, 9, 5), "2026-08")
    second = make_open_invoice(db, customer, "INV-2026-00912", 100_000, date(2026, 10, 5), "2026-09")
    transaction = unmatched_transfer(db, 300_000)
    url = f"/billing/bank/transactions/{transaction.id}/match"

    page = client.get(url, query_string={"client_id": customer.id}).get_data(as_text=True)
    assert "INV-2026-00911" in page and "INV-2026-00912" in page

    # ¥3,000.00 received: ¥1,200.00 and ¥1,000.00 to the two invoices, ¥800.00 to the client's credit.
    response = client.post(
        url,
        data={"client_id": customer.id, f"invoice_{first.id}": "1,200.00", f"invoice_{second.id}": "1000"},
    )
    assert response.status_code == 302
    # ¥1,200.00 + ¥1,000.00 = ¥2,200.00 recorded; ¥3,000.00 − ¥2,200.00 = ¥800.00 kept as credit
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "收款 ¥2,200.00 已登记到所选账单，余额 ¥800.00 计入客户余额" in flashed
    db.session.expire_all()
    assert db.session.get(Invoice, first.id).status == "paid"
    assert db.session.get(Invoice, second.id).status == "paid"
    transaction = db.session.get(BankTransaction, transaction.id)
    assert (transaction.status, transaction.matched_fen, transaction.credit_fen) == (
        "matched",
        220_000,
        80_000,
    )
    assert credit_balance_fen(customer.id) == 80_000
    assert audits(db, "bank.transaction_matched") == 1

    # Matched once: the same form again is refused and records nothing.
    client.post(url, data={"client_id": customer.id})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 2
    assert audits(db, "bank.transaction_matched") == 1

    account = client.get(f"/billing/clients/{customer.id}/account").get_data(as_text=True)
    assert "预收款" in account and "800.00" in account


def test_manual_match_refusals_change_nothing(db, client, login_as):
    finance = login_as("finance")
    make_formats(db, by=finance)
    customer = make_billing_client(db)
    invoice = make_open_invoice(db, customer, "INV-2026-00921", 120_000, date(2026, 9, 5), "2026-08")
    transaction = unmatched_transfer(db, 100_000)
    url = f"/billing/bank/transactions/{transaction.id}/match"

    cases = [
        ({f"invoice_{invoice.id}": "1,300.00"}, "不超过其未付余额"),  # beyond the ¥1,200.00 balance
        ({f"invoice_{invoice.id}": "1,100.00"}, "超过流水金额"),  # ¥1,100.00 > the ¥1,000.00 received
        ({f"invoice_{invoice.id}": "12.345"}, "金额最多两位小数"),
        ({f"invoice_{invoice.id}": "abc"}, "金额格式不正确"),
    ]
    for values, message in cases:
        response = client.post(url, data={"client_id": customer.id, **values}, follow_redirects=True)
        assert message in response.get_data(as_text=True), message
    response = client.post(url, data={}, follow_redirects=True)
    assert "请选择客户。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    assert db.session.get(BankTransaction, transaction.id).status == "unmatched"
    assert audits(db, "bank.transaction_matched") == 0


def test_ignore_and_unignore(db, client, login_as):
    finance = login_as("finance")
    make_formats(db, by=finance)
    transaction = unmatched_transfer(db)
    base = f"/billing/bank/transactions/{transaction.id}"
    response = client.post(f"{base}/ignore", data={"reason": ""}, follow_redirects=True)
    assert "请填写忽略原因。" in response.get_data(as_text=True)
    assert client.post(f"{base}/ignore", data={"reason": "利息收入"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(BankTransaction, transaction.id).status == "ignored"
    assert "利息收入" in client.get("/billing/bank/ignored").get_data(as_text=True)
    response = client.post(f"{base}/ignore", data={"reason": "再来一次"}, follow_redirects=True)
    assert "只能忽略未匹配的流水。" in response.get_data(as_text=True)
    assert client.post(f"{base}/unignore").status_code == 302
    db.session.expire_all()
    assert db.session.get(BankTransaction, transaction.id).status == "unmatched"
    assert (audits(db, "bank.transaction_ignored"), audits(db, "bank.transaction_unignored")) == (1, 1)


def test_pages_render(db, client, login_as):
    finance = login_as("finance")
    cmb, icbc = make_formats(db, by=finance)
    for url in ("/billing/bank/", "/billing/bank/queue", "/billing/bank/ignored", "/billing/bank/formats"):
        assert client.get(url).status_code == 200, url
    assert client.get("/billing/bank/formats/new").status_code == 200


def test_undo_a_match_while_it_can_be_reversed_cleanly(db, client, login_as):
    finance = login_as("finance")
    make_formats(db, by=finance)
    customer = make_billing_client(db)
    invoice = make_open_invoice(db, customer, "INV-2026-00951", 120_000, date(2026, 9, 5), "2026-08")
    following = make_open_invoice(db, customer, "INV-2026-00952", 30_000, date(2026, 10, 5), "2026-09")
    transaction = unmatched_transfer(db, 150_000)
    base = f"/billing/bank/transactions/{transaction.id}"
    # ¥1,500.00: ¥1,200.00 to INV-2026-00951, ¥300.00 to the credit.
    client.post(f"{base}/match", data={"client_id": customer.id, f"invoice_{invoice.id}": "1200"})
    response = client.post(f"{base}/undo", data={"reason": ""}, follow_redirects=True)
    assert "请填写撤销原因。" in response.get_data(as_text=True)

    assert client.post(f"{base}/undo", data={"reason": "匹配错了客户"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).status == "issued"
    assert db.session.get(Invoice, invoice.id).balance_fen == 120_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    assert credit_balance_fen(customer.id) == 0
    undone = db.session.get(BankTransaction, transaction.id)
    assert (undone.status, undone.client_id, undone.matched_fen, undone.credit_fen) == (
        "unmatched",
        None,
        0,
        0,
    )
    assert (audits(db, "bank.match_undone"), audits(db, "invoice.payment_reversed")) == (1, 1)

    # Matched again; its ¥300.00 credit applied to INV-2026-00952: the match can no longer be undone.
    client.post(f"{base}/match", data={"client_id": customer.id, f"invoice_{invoice.id}": "1200"})
    assert (
        client.post(f"/billing/invoices/{following.id}/apply-credit", data={"amount": ""}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Invoice, following.id).status == "paid"
    response = client.post(f"{base}/undo", data={"reason": "再撤销"}, follow_redirects=True)
    assert "已被抵扣或退款，不能撤销匹配" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BankTransaction, transaction.id).status == "matched"
    assert audits(db, "bank.match_undone") == 1


def test_a_manual_match_with_no_invoice_says_everything_went_to_credit(db, client, login_as):
    finance = login_as("finance")
    make_formats(db, by=finance)
    customer = make_billing_client(db)
    transaction = unmatched_transfer(db, 50_000)  # ¥500.00, no invoice of the client chosen
    response = client.post(
        f"/billing/bank/transactions/{transaction.id}/match", data={"client_id": customer.id}
    )
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已匹配：¥500.00 全部计入客户余额（预收款）。" in flashed
    assert credit_balance_fen(customer.id) == 50_000
