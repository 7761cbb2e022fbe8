"""Parallel full-balance payments against gunicorn (several workers): exactly one is recorded."""

import sqlalchemy as sa

from ops.billing.models import Invoice, Payment
from ops.money import to_yuan
from tests.billing.helpers import issued_for, make_contract
from tests.live import browsers, parallel


def test_parallel_full_balance_payments_record_once(db, make_user, live_server):
    invoice = issued_for(db, make_contract(db, seats=1))
    balance = invoice.total_fen - invoice.paid_fen
    invoice_id = invoice.id
    clients, tokens = browsers(live_server, make_user, "finance", "fin", 8, f"/billing/invoices/{invoice_id}")

    def pay(i):
        return (
            clients[i]
            .post_form(
                f"/billing/invoices/{invoice_id}/payments",
                {
                    "csrf_token": tokens[i],
                    "paid_on": "2026-10-20",
                    "amount": str(to_yuan(balance)),
                    "method": "银行转账",
                    "reference": f"T{i}",
                },
            )
            .status
        )

    statuses = parallel(8, pay)
    assert all(s in (302, 200, 409) for s in statuses), statuses
    payments = db.session.scalars(sa.select(Payment).where(Payment.invoice_id == invoice_id)).all()
    assert len(payments) == 1
    invoice = db.session.get(Invoice, invoice_id)
    assert invoice.paid_fen == balance == sum(p.amount_fen for p in payments)
    assert invoice.status == "paid"
