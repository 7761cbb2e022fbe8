"""Double submits of money forms: the same form key sent twice records once and says so."""

import re

import sqlalchemy as sa

from ops.billing.models import CreditNote, Invoice, Payment
from ops.contracts.models import Contract
from ops.contracts.services import submit_for_signature
from ops.idempotency import IdempotencyKey
from tests.billing.helpers import issued_for, make_billing_client
from tests.billing.helpers import make_contract as make_billed_contract
from tests.contracts.helpers import make_contract

ALREADY = "该操作已登记，未重复记录。"


def _keys(html: str) -> list[str]:
    return re.findall(
        r'name="idempotency_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="idempotency_key"', html
    )


def _key(client, path: str, index: int) -> str:
    """The key rendered into the ``index``-th money form of the page."""
    found = [a or b for a, b in _keys(client.get(path).get_data(as_text=True))]
    assert found, f"{path}: no idempotency_key field"
    return found[index]


def test_each_rendered_money_form_gets_its_own_fresh_key(client, login_as, db):
    login_as("finance")
    invoice = issued_for(db, make_billed_contract(db, seats=1))
    first = [a or b for a, b in _keys(client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True))]
    second = [a or b for a, b in _keys(client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True))]
    assert len(first) == 3  # payment, credit note, void
    assert len(set(first + second)) == 6


def test_payment_double_submit_records_once(client, login_as, db):
    login_as("finance")
    invoice = issued_for(db, make_billed_contract(db, seats=1))  # ¥5,000.00
    page = f"/billing/invoices/{invoice.id}"
    form = {
        "paid_on": "2026-10-20",
        "amount": "1000.00",
        "method": "银行转账",
        "reference": "T1",
        "idempotency_key": _key(client, page, 0),
    }
    first = client.post(f"{page}/payments", data=form, follow_redirects=True).get_data(as_text=True)
    second = client.post(f"{page}/payments", data=form, follow_redirects=True).get_data(as_text=True)
    assert "收款已登记" in first and ALREADY not in first
    assert ALREADY in second and "收款已登记" not in second
    payments = db.session.scalars(sa.select(Payment)).all()
    assert [p.amount_fen for p in payments] == [100_000]
    assert db.session.get(Invoice, invoice.id).paid_fen == 100_000
    # A new rendering of the form is a new payment: ¥1,000.00 + ¥1,000.00 = ¥2,000.00 paid.
    form["idempotency_key"] = _key(client, page, 0)
    client.post(f"{page}/payments", data=form)
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).paid_fen == 200_000


def test_refused_payment_leaves_its_key_free(client, login_as, db):
    login_as("finance")
    invoice = issued_for(db, make_billed_contract(db, seats=1))  # ¥5,000.00
    page = f"/billing/invoices/{invoice.id}"
    form = {
        "paid_on": "2026-10-20",
        "amount": "6000.00",
        "method": "银行转账",
        "idempotency_key": _key(client, page, 0),
    }
    html = client.post(f"{page}/payments", data=form, follow_redirects=True).get_data(as_text=True)
    assert "收款金额超过未付余额" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0
    form["amount"] = "5000.00"  # corrected and sent again from the same form
    html = client.post(f"{page}/payments", data=form, follow_redirects=True).get_data(as_text=True)
    assert "收款已登记" in html
    assert db.session.get(Invoice, invoice.id).status == "paid"


def test_credit_note_and_void_double_submits_act_once(client, login_as, db):
    login_as("finance")
    shop = make_billing_client(db)
    credited = issued_for(db, make_billed_contract(db, shop, seats=1))
    voided = issued_for(db, make_billed_contract(db, shop, seats=1))
    form = {
        "amount": "100.00",
        "reason": "服务中断一天",
        "idempotency_key": _key(client, f"/billing/invoices/{credited.id}", 1),
    }
    for _ in range(2):
        html = client.post(f"/billing/invoices/{credited.id}/credit-notes", data=form, follow_redirects=True)
    assert ALREADY in html.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditNote)) == 1

    form = {"reason": "开票信息有误", "idempotency_key": _key(client, f"/billing/invoices/{voided.id}", 2)}
    for _ in range(2):
        html = client.post(f"/billing/invoices/{voided.id}/void", data=form, follow_redirects=True)
    assert ALREADY in html.get_data(as_text=True)
    assert db.session.get(Invoice, voided.id).status == "void"


def test_deposit_double_submit_records_once(client, login_as, db):
    login_as("finance")
    contract = make_contract(db)  # deposit ¥21,000.00
    submit_for_signature(contract)
    db.session.commit()
    page = f"/contracts/{contract.id}"
    form = {
        "amount": "21000.00",
        "received_on": "2026-11-20",
        "reference": "DEP1",
        "idempotency_key": _key(client, page, 0),
    }
    first = client.post(f"{page}/deposit/receive", data=form, follow_redirects=True).get_data(as_text=True)
    second = client.post(f"{page}/deposit/receive", data=form, follow_redirects=True).get_data(as_text=True)
    assert "定金到账已登记" in first
    assert ALREADY in second and "不能改为" not in second
    assert db.session.get(Contract, contract.id).deposit_status == "received"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 1


def test_a_malformed_key_is_a_form_error_not_a_500(client, login_as, db):
    login_as("finance")
    invoice = issued_for(db, make_billed_contract(db, seats=1))
    response = client.post(
        f"/billing/invoices/{invoice.id}/payments",
        data={
            "paid_on": "2026-10-20",
            "amount": "1000.00",
            "method": "银行转账",
            "idempotency_key": "x" * 500,
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "表单已失效，请刷新页面后重新提交" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
