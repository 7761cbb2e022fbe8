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
