"""Payments, voids and re-issues against gunicorn (several workers): paid_fen stays the sum of the
payments; a voided period gets one corrected draft."""

import sqlalchemy as sa

from ops.billing import services
from ops.billing.models import Invoice, Payment
from tests.billing.helpers import issued_for, make_contract
from tests.live import browsers, parallel


def test_parallel_partial_payments_all_count_in_paid_fen(db, make_user, live_server):
    invoice = issued_for(db, make_contract(db, seats=1))
    # 1 seat × ¥5,000.00 for September, 6 % VAT included: ¥5,000.00 to pay.
    assert invoice.total_fen == 500_000
    invoice_id = invoice.id
    clients, tokens = browsers(live_server, make_user, "finance", "fin", 6, f"/billing/invoices/{invoice_id}")

    def pay(i):
        return (
            clients[i]
            .post_form(
                f"/billing/invoices/{invoice_id}/payments",
                {
                    "csrf_token": tokens[i],
                    "paid_on": "2026-10-20",
                    "amount": "500.00",
                    "method": "银行转账",
                    "reference": f"P{i}",
                },
            )
            .status
        )

    assert parallel(6, pay) == [302] * 6
    payments = db.session.scalars(sa.select(Payment).where(Payment.invoice_id == invoice_id)).all()
    assert len(payments) == 6
    invoice = db.session.get(Invoice, invoice_id)
    # 6 × ¥500.00 = ¥3,000.00, none lost to a concurrent update; ¥2,000.00 still open.
    assert invoice.paid_fen == 300_000 == sum(p.amount_fen for p in payments)
    assert invoice.status == "issued"


def test_void_racing_payments_never_voids_a_paid_invoice(db, make_user, live_server):
    invoice = issued_for(db, make_contract(db, seats=1))  # ¥5,000.00
    invoice_id = invoice.id
    clients, tokens = browsers(live_server, make_user, "finance", "fin", 6, f"/billing/invoices/{invoice_id}")

    def act(i):
        if i % 2:
            path, fields = "void", {"reason": "开票信息有误"}
        else:
            path, fields = "payments", {"paid_on": "2026-10-20", "amount": "1000.00", "method": "银行转账"}
        return (
            clients[i]
            .post_form(f"/billing/invoices/{invoice_id}/{path}", {"csrf_token": tokens[i], **fields})
            .status
        )

    assert parallel(6, act) == [302] * 6
    invoice = db.session.get(Invoice, invoice_id)
    payments = db.session.scalars(sa.select(Payment).where(Payment.invoice_id == invoice_id)).all()
    assert invoice.paid_fen == sum(p.amount_fen for p in payments)
    if invoice.status == "void":
        assert payments == []  # voided first: every payment after it was refused
    else:
        assert invoice.status == "issued" and 1 <= len(payments) <= 3  # paid first: every void was refused


def test_parallel_reissues_make_one_corrected_draft(db, make_user, live_server):
    voided = issued_for(db, make_contract(db, seats=1))
    services.void_invoice(voided, "客户名称有误")
    db.session.commit()
    voided_id, contract_id = voided.id, voided.contract_id
    clients, tokens = browsers(live_server, make_user, "finance", "fin", 6, f"/billing/invoices/{voided_id}")

    def reissue(i):
        return (
            clients[i].post_form(f"/billing/invoices/{voided_id}/reissue", {"csrf_token": tokens[i]}).status
        )

    # Each answers with a redirect to the one draft (the contract's lock makes the later ones find it).
    assert parallel(6, reissue) == [302] * 6
    invoices = db.session.scalars(sa.select(Invoice).where(Invoice.contract_id == contract_id)).all()
    drafts = [i for i in invoices if i.status == "draft"]
    assert len(invoices) == 2 and len(drafts) == 1 and drafts[0].replaces_id == voided_id
    # 1 seat × ¥5,000.00 for September, as the voided one
    assert drafts[0].total_fen == 500_000
