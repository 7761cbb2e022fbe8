"""Any sequence of payments, credit notes, applied balances, refunds and voids keeps every outstanding
≥ 0, every credit remainder ≥ 0, and the identities of docs/domain.md ("Allocations")."""

from datetime import date

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.billing import services
from ops.billing.models import Allocation, CreditNote, Invoice, Payment, Refund
from ops.timeutil import today
from tests.billing.helpers import issued_for, make_billing_client, make_contract

_n = {"clients": 0}

fraction = st.integers(min_value=1, max_value=100)
step = st.one_of(
    st.tuples(st.just("pay"), st.integers(0, 1), fraction),
    st.tuples(st.just("credit"), st.integers(0, 1), fraction),
    st.tuples(st.just("apply"), st.integers(0, 1), fraction),
    st.tuples(st.just("refund"), st.just(0), fraction),
    st.tuples(st.just("void"), st.integers(0, 1), st.just(0)),
)


def _part(limit: int, percent: int) -> int:
    return max(1, limit * percent // 100)


def _do(db, action: str, invoice: Invoice, percent: int) -> None:
    invoice = db.session.get(Invoice, invoice.id)
    client_id = invoice.client_id
    try:
        if action == "pay":
            services.record_payment(
                invoice, _part(services.balance_fen(invoice), percent), date(2026, 10, 10), "银行转账", ""
            )
        elif action == "credit":
            gross = invoice.total_fen - invoice.deposit_offset_fen
            creditable = gross - services.credited_fen(invoice)
            services.create_credit_note(invoice, _part(creditable, percent), "冲销")
        elif action == "apply":
            services.apply_credit_balance(invoice, _part(services.balance_fen(invoice), percent))
        elif action == "refund":
            balance = services.credit_balance_fen(client_id)
            services.record_refund(invoice.client, _part(balance, percent), today(), "银行转账", "")
        else:
            services.void_invoice(invoice, "错开")
        db.session.commit()
    except services.BillingServiceError:
        db.session.rollback()


def _sum(db, column, *where) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(*where)))


def _check(db, client_id: int) -> None:
    db.session.expire_all()
    invoices = db.session.scalars(sa.select(Invoice).where(Invoice.client_id == client_id)).all()
    outstanding = 0
    for inv in invoices:
        allocated = _sum(db, Allocation.amount_fen, Allocation.invoice_id == inv.id)
        paid = _sum(db, Payment.amount_fen, Payment.invoice_id == inv.id)
        balance = services.balance_fen(inv)
        assert balance >= 0
        assert (inv.allocated_fen, inv.paid_fen) == (allocated, paid)
        # total = paid + credited to it (credit notes and applied balance) + outstanding
        assert inv.total_fen == paid + allocated + balance
        # what its notes credited = what settled it + what returned to the deposit + what went to the balance
        notes = [n for n in inv.credit_notes if n.status == "issued"]
        settled_by_own = _sum(
            db, Allocation.amount_fen, Allocation.invoice_id == inv.id, Allocation.kind == "credit_note"
        )
        assert sum(n.total_fen for n in notes) == settled_by_own + sum(n.deposit_fen for n in notes) + sum(
            n.total_fen - n.deposit_fen - _own(db, n) for n in notes
        )
        assert inv.total_fen - inv.deposit_offset_fen >= sum(n.total_fen for n in notes)
        if inv.status == "issued":
            outstanding += balance
    notes = db.session.scalars(
        sa.select(CreditNote).join(Invoice).where(Invoice.client_id == client_id)
    ).all()
    for note in notes:
        assert note.remainder_fen >= 0
        assert note.allocated_fen == _sum(db, Allocation.amount_fen, Allocation.credit_note_id == note.id)
    credit_balance = services.credit_balance_fen(client_id)
    # Σ credit-balance movements: + each note's excess over what it settled on its own invoice,
    # − balance applied to invoices, − refunds
    excess = sum(n.total_fen - n.deposit_fen - _own(db, n) for n in notes)
    applied = _sum(
        db, Allocation.amount_fen, Allocation.client_id == client_id, Allocation.kind == "credit_balance"
    )
    refunded = _sum(db, Refund.amount_fen, Refund.client_id == client_id)
    assert credit_balance == excess - applied - refunded >= 0
    # the statement's closing balance = the ageing outstanding − the credit balance
    statement = services.client_statement(client_id, date(2026, 1, 1), date(2099, 12, 31))
    assert statement.closing_fen == outstanding - credit_balance


def _own(db, note: CreditNote) -> int:
    return _sum(
        db, Allocation.amount_fen, Allocation.credit_note_id == note.id, Allocation.kind == "credit_note"
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_any_sequence_keeps_outstanding_non_negative_and_the_identities(db, steps):
    _n["clients"] += 1
    client = make_billing_client(db, name=f"属性测试客户{_n['clients']}", tax_id=None)
    plain = make_contract(db, client, seats=1, rate_fen=3_042_807)
    with_deposit = make_contract(
        db, client, deposit_fen=300_000, deposit_usage="first_invoice", deposit_status="received"
    )
    invoices = [
        issued_for(db, plain, "2026-09", issued_on=date(2026, 10, 1)),
        issued_for(db, with_deposit, "2026-09", issued_on=date(2026, 10, 1)),
    ]
    for action, index, percent in steps:
        _do(db, action, invoices[index], percent)
        _check(db, client.id)
