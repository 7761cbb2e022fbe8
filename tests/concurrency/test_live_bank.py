"""Matching one bank transfer from several browsers at once (gunicorn, several workers): the
transaction's row lock is taken first and its status re-checked, so it is recorded exactly once."""

from datetime import date

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.bank.models import BankFormat, BankStatement, BankTransaction
from ops.billing.models import Invoice, Payment
from ops.billing.services import credit_balance_fen
from tests.bank.helpers import make_open_invoice
from tests.billing.helpers import make_billing_client
from tests.live import browsers, parallel


def test_parallel_manual_matches_of_one_transfer_record_once(db, make_user, live_server):
    customer = make_billing_client(db)
    invoice = make_open_invoice(db, customer, "INV-2026-00931", 150_000, date(2026, 10, 5), "2026-09")
    bank_format = BankFormat(
        name="并发测试银行",
        date_column="日期",
        date_format="%Y-%m-%d",
        amount_column="金额",
        payer_name_column="对方户名",
        payer_account_column="对方账号",
        reference_column="摘要",
    )
    db.session.add(bank_format)
    db.session.flush()
    statement = BankStatement(format_id=bank_format.id, filename="p.csv", encoding="UTF-8", sha256="0" * 64)
    db.session.add(statement)
    db.session.flush()
    transaction = BankTransaction(
        statement_id=statement.id,
        dedupe_key="live:1",
        line=2,
        booked_on=date(2026, 11, 10),
        amount_fen=200_000,
        payer_name="某付款方",
        status="unmatched",
        suggestions=[],
    )
    db.session.add(transaction)
    db.session.commit()
    transaction_id, invoice_id, client_id = transaction.id, invoice.id, customer.id
    url = f"/billing/bank/transactions/{transaction_id}/match"
    clients, tokens = browsers(
        live_server, make_user, "finance", "bankfin", 8, f"{url}?client_id={client_id}"
    )

    def match(i):
        # ¥500.00 of the ¥1,500.00 invoice: the invoice alone would take three of these.
        form = {"csrf_token": tokens[i], "client_id": str(client_id), f"invoice_{invoice_id}": "500.00"}
        return clients[i].post_form(url, form).status

    statuses = parallel(8, match)
    assert all(s in (302, 200) for s in statuses), statuses
    payments = db.session.scalars(sa.select(Payment).where(Payment.invoice_id == invoice_id)).all()
    assert [p.amount_fen for p in payments] == [50_000]
    assert db.session.get(Invoice, invoice_id).balance_fen == 100_000  # ¥1,500.00 − ¥500.00
    matched = db.session.get(BankTransaction, transaction_id)
    # ¥2,000.00 received: ¥500.00 to the invoice, ¥1,500.00 to the client's credit — once.
    assert (matched.status, matched.matched_fen, matched.credit_fen) == ("partial", 50_000, 150_000)
    assert credit_balance_fen(client_id) == 150_000
    audits = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "bank.transaction_matched")
    )
    assert audits == 1


def multipart(fields: dict, file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----bank-live-test"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_parallel_imports_of_one_file_import_it_once(db, make_user, live_server):
    from tests.bank.helpers import FIXTURES, make_formats

    cmb, _icbc = make_formats(db)
    format_id = cmb.id
    data = (FIXTURES / "cmb_2026-10.csv").read_bytes()
    clients, tokens = browsers(live_server, make_user, "finance", "bankimp", 6, "/billing/bank/")

    def upload(i):
        body, content_type = multipart(
            {"csrf_token": tokens[i], "format_id": format_id}, "file", "cmb.csv", data
        )
        return clients[i].request("POST", "/billing/bank/import", body, {"Content-Type": content_type}).status

    statuses = parallel(6, upload)
    assert all(s == 302 for s in statuses), statuses
    db.session.remove()
    statements = db.session.scalars(sa.select(BankStatement)).all()
    assert len(statements) == 1  # the others found nothing new and wrote nothing
    transactions = db.session.scalar(sa.select(sa.func.count()).select_from(BankTransaction))
    assert transactions == statements[0].new_count == statements[0].incoming_count
    audits = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "bank.statement_imported")
    )
    assert audits == 1
