"""A payment POSTed through the API several times at once with one Idempotency-Key, against gunicorn
(several workers): recorded once, whichever request wins."""

import json

import sqlalchemy as sa

from ops.auth.tokens import create_token
from ops.billing.models import Invoice, Payment
from tests.billing.helpers import issued_for, make_contract
from tests.live import parallel


def test_parallel_api_payments_with_one_idempotency_key_record_once(db, live_server):
    invoice = issued_for(db, make_contract(db, seats=1))  # 1 seat × ¥5,000.00 = 500,000 fen to pay
    invoice_id = invoice.id
    _token, secret = create_token("财务系统", None, scopes=["billing:write"])
    db.session.commit()
    # ¥500.00 each: 8 of them (¥4,000.00) would all fit the balance, so only the key keeps it to one.
    body = json.dumps(
        {"invoice_id": invoice_id, "amount_fen": 50_000, "paid_on": "2026-10-20", "method": "银行转账"}
    ).encode()
    headers = {
        "Authorization": f"Bearer {secret}",
        "Content-Type": "application/json",
        "Idempotency-Key": "erp-retry-0000000000001",
    }
    clients = [live_server.client() for _ in range(8)]

    def pay(i):
        return clients[i].request("POST", "/api/v1/payments", body, headers).status

    statuses = parallel(8, pay)
    assert sorted(statuses).count(201) == 1 and set(statuses) <= {200, 201}, statuses
    payments = db.session.scalars(sa.select(Payment).where(Payment.invoice_id == invoice_id)).all()
    assert [p.amount_fen for p in payments] == [50_000]
    assert db.session.get(Invoice, invoice_id).paid_fen == 50_000
