"""A bank transfer's excess is the client's credit (预收款): in the credit balance, applied to the next
invoice and refunded through allocations (oldest credit first, beside credit notes), and on the
client statement. Amounts worked out by hand."""

from datetime import date

import pytest
import sqlalchemy as sa

from ops.bank import services as bank_services
from ops.bank.models import BankTransaction
from ops.billing import services
from ops.billing.models import Allocation, Invoice
from ops.timeutil import today
from tests.bank.helpers import make_open_invoice
from tests.bank.test_views import unmatched_transfer
from tests.billing.helpers import make_billing_client, make_contract


def overpaid(db, make_user):
    """¥3,000.00 received for INV-2026-00941 of ¥2,500.00: ¥500.00 to the client's credit."""
    finance = make_user("finance")
    from tests.bank.helpers import make_formats

    make_formats(db, by=finance)
    customer = make_billing_client(db)
    contract = make_contract(db, customer, seats=1)
    invoice = make_open_invoice(
        db, customer, "INV-2026-00941", 250_000, date(2026, 9, 5), "2026-08", contract
    )
    transaction = unmatched_transfer(db, 300_000)
    bank_services.match_manually(transaction, customer.id, {invoice.id: 250_000}, by=finance)
    db.session.commit()
    return finance, customer, contract, transaction


def test_excess_is_credit_applied_to_the_next_invoice(db, make_user):
    finance, customer, contract, transaction = overpaid(db, make_user)
    assert services.credit_balance_fen(customer.id) == 50_000
    following = make_open_invoice(
        db, customer, "INV-2026-00942", 120_000, date(2026, 10, 5), "2026-09", contract
    )
    # min(credit ¥500.00, outstanding ¥1,200.00) = ¥500.00; ¥700.00 left to pay.
    assert services.apply_credit_balance(following, by=finance) == 50_000
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Invoice, following.id).balance_fen == 70_000
    assert services.credit_balance_fen(customer.id) == 0
    allocation = db.session.scalars(sa.select(Allocation).where(Allocation.invoice_id == following.id)).one()
    assert (allocation.kind, allocation.credit_note_id, allocation.bank_transaction_id) == (
        "credit_balance",
        None,
        transaction.id,
    )
    assert db.session.get(BankTransaction, transaction.id).credit_allocated_fen == 50_000


def test_excess_is_refunded_and_never_twice(db, make_user):
    finance, customer, _contract, transaction = overpaid(db, make_user)
    with pytest.raises(services.BillingServiceError, match="不超过客户余额"):
        services.record_refund(customer, 50_001, today(), "银行转账", "R1", by=finance)
    db.session.rollback()
    services.record_refund(customer, 30_000, today(), "银行转账", "R1", by=finance)
    db.session.commit()
    # ¥500.00 − ¥300.00 refunded = ¥200.00 left.
    assert services.credit_balance_fen(customer.id) == 20_000
    assert db.session.get(BankTransaction, transaction.id).remainder_fen == 20_000


def test_the_oldest_credit_is_consumed_first(db, make_user):
    finance, customer, contract, transaction = overpaid(db, make_user)
    paid = db.session.scalars(sa.select(Invoice).where(Invoice.number == "INV-2026-00941")).one()
    services.create_credit_note(paid, 10_000, "多收 ¥100.00", by=finance)  # issued today, after 11-10
    # ¥500.00 (transfer, 2026-11-10) + ¥100.00 (note, today) = ¥600.00.
    assert services.credit_balance_fen(customer.id) == 60_000
    services.record_refund(customer, 55_000, today(), "银行转账", "R2", by=finance)
    db.session.commit()
    db.session.expire_all()
    # Oldest first: the transfer's ¥500.00, then ¥50.00 of the note; ¥50.00 of the note left.
    assert db.session.get(BankTransaction, transaction.id).remainder_fen == 0
    assert services.credit_balance_fen(customer.id) == 5_000


def test_statement_shows_the_prepayment(db, make_user):
    _finance, customer, _contract, transaction = overpaid(db, make_user)
    statement = services.client_statement(customer.id, date(2026, 1, 1), today())
    kinds = [(line.entry.kind, line.entry.debit_fen, line.entry.credit_fen) for line in statement.lines]
    # ¥2,500.00 invoice, ¥2,500.00 paid from the transfer, ¥500.00 prepayment: closing −¥500.00 (in its favour).
    assert ("invoice", 250_000, 0) in kinds
    assert ("payment", 0, 250_000) in kinds
    assert ("prepayment", 0, 50_000) in kinds
    assert statement.closing_fen == -50_000
    assert "预收款" in services.statement_csv(statement).decode("utf-8")
