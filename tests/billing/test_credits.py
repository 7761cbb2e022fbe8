"""Credit notes beyond the unpaid balance, the client's credit balance, applying it, refunds, full
reversals with a deposit offset, and the client statement (对账单). Amounts worked out by hand."""

from datetime import date

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.engine.credits import Entry, allocate_oldest_first, build_statement, split_credit
from ops.billing.models import Allocation, Invoice
from ops.contracts.models import Contract
from ops.timeutil import today
from tests.billing.helpers import issued_for, make_billing_client, make_contract


def _invoice(db, total_fen: int, period: str = "2026-09", client=None) -> Invoice:
    """One seat at ``total_fen`` a month (tax included, the whole month served) → the invoice total."""
    contract = make_contract(db, client, seats=1, rate_fen=total_fen)
    return issued_for(db, contract, period, issued_on=date(2026, 10, 1))


def _pay(db, invoice, fen, on=date(2026, 10, 10)):
    services.record_payment(invoice, fen, on, "银行转账", "B001")
    db.session.commit()


def _identity(db, invoice: Invoice) -> None:
    """total = paid + allocated (credit notes and applied balance) + outstanding, outstanding ≥ 0."""
    db.session.refresh(invoice)
    allocated = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Allocation.amount_fen), 0)).where(
            Allocation.invoice_id == invoice.id
        )
    )
    assert invoice.allocated_fen == allocated
    assert services.balance_fen(invoice) >= 0
    assert invoice.total_fen == invoice.paid_fen + allocated + services.balance_fen(invoice)


def test_credit_beyond_the_unpaid_balance_becomes_the_clients_credit_balance(db):
    invoice = _invoice(db, 3_042_807)  # ¥30,428.07
    _pay(db, invoice, 2_000_000)  # ¥20,000 paid → ¥10,428.07 unpaid
    note = services.create_credit_note(invoice, 2_000_000, "协商减免 ¥20,000")
    db.session.refresh(invoice)
    # The note settles the unpaid ¥10,428.07; ¥20,000 − ¥10,428.07 = ¥9,571.93 is the client's balance.
    assert services.balance_fen(invoice) == 0
    assert invoice.status == "paid"
    assert invoice.allocated_fen == 1_042_807
    assert note.remainder_fen == 957_193
    assert services.credit_balance_fen(invoice.client_id) == 957_193
    # VAT of a partial note: 20,000.00 × 6 / 106 = 1,132.0754… → 1,132.08
    assert (note.tax_fen, note.net_fen, note.deposit_fen) == (113_208, 1_886_792, 0)
    _identity(db, invoice)
    # Nothing more can be paid on it
    with pytest.raises(services.BillingServiceError):
        services.record_payment(invoice, 1, date(2026, 10, 11), "银行转账", "")


def test_credit_balance_is_applied_to_the_next_invoice(db):
    client = make_billing_client(db)
    first = _invoice(db, 3_042_807, client=client)
    _pay(db, first, 2_000_000)
    services.create_credit_note(first, 2_000_000, "协商减免")
    second = _invoice(db, 1_000_000, client=client)  # ¥10,000.00, another contract of the client
    applied = services.apply_credit_balance(second)
    db.session.commit()
    db.session.refresh(second)
    # min(balance 9,571.93, outstanding 10,000.00) = 9,571.93; 10,000.00 − 9,571.93 = 428.07 left to pay
    assert applied == 957_193
    assert services.balance_fen(second) == 42_807
    assert services.credit_balance_fen(client.id) == 0
    kinds = db.session.scalars(sa.select(Allocation.kind).where(Allocation.invoice_id == second.id)).all()
    assert kinds == ["credit_balance"]
    _identity(db, second)
    with pytest.raises(services.BillingServiceError, match="没有可用余额"):
        services.apply_credit_balance(second)
    db.session.rollback()
    audit = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "invoice.credit_balance_applied")
    )
    assert audit is not None and audit.object_id == second.id


def test_applying_part_of_the_balance_and_paying_the_invoice_off(db):
    client = make_billing_client(db)
    first = _invoice(db, 500_000, client=client)
    _pay(db, first, 500_000)  # paid in full
    services.create_credit_note(first, 200_000, "多收")  # all ¥2,000 to the balance
    second = _invoice(db, 150_000, client=client)
    with pytest.raises(services.BillingServiceError):
        services.apply_credit_balance(second, 150_001)  # more than the outstanding ¥1,500.00
    db.session.rollback()
    assert services.apply_credit_balance(second, 150_000) == 150_000
    db.session.commit()
    db.session.refresh(second)
    # 2,000.00 − 1,500.00 = 500.00 left on the balance; the invoice is settled
    assert second.status == "paid" and services.credit_balance_fen(client.id) == 50_000


def test_credit_balance_is_refunded(db, make_user):
    finance = make_user("finance")
    invoice = _invoice(db, 3_042_807)
    _pay(db, invoice, 2_000_000)
    services.create_credit_note(invoice, 2_000_000, "协商减免")
    client = invoice.client
    with pytest.raises(services.BillingServiceError, match="不超过客户余额"):
        services.record_refund(client, 957_194, today(), "银行转账", "R1", by=finance)
    db.session.rollback()
    refund = services.record_refund(client, 957_193, today(), "银行转账", "退款流水 R1", by=finance)
    db.session.commit()
    assert refund.amount_fen == 957_193
    assert services.credit_balance_fen(client.id) == 0
    allocations = db.session.scalars(sa.select(Allocation).where(Allocation.refund_id == refund.id)).all()
    assert [(a.kind, a.amount_fen) for a in allocations] == [("refund", 957_193)]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.refund_recorded"))
    assert entry.object_id == client.id and entry.user_id == finance.id


def test_full_credit_note_of_an_invoice_with_a_deposit_offset(db):
    contract = make_contract(
        db, deposit_fen=300_000, deposit_usage="first_invoice", deposit_status="received"
    )
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))
    # 2 seats × 5,000.00 = 10,000.00 gross, VAT 10,000 × 6/106 = 566.04, deposit −3,000.00 → 7,000.00
    assert (invoice.tax_fen, invoice.deposit_offset_fen, invoice.total_fen) == (56_604, -300_000, 700_000)
    assert db.session.get(Contract, contract.id).deposit_status == "applied"
    with pytest.raises(services.BillingServiceError):
        services.create_credit_note(invoice, 1_000_001, "超过全额")  # gross is 10,000.00
    db.session.rollback()
    note = services.create_credit_note(invoice, 1_000_000, "全额冲销")
    db.session.refresh(invoice)
    # VAT reversed exactly (566.04); 7,000.00 settles the unpaid total, 3,000.00 returns to the deposit
    assert (note.tax_fen, note.net_fen) == (56_604, 943_396)
    assert note.deposit_fen == 300_000
    assert invoice.allocated_fen == 700_000 and services.balance_fen(invoice) == 0
    assert services.credit_balance_fen(invoice.client_id) == 0
    assert db.session.get(Contract, contract.id).deposit_status == "received"
    restored = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "contract.deposit_restored")
    )
    assert restored.object_id == contract.id and restored.after["amount_fen"] == 300_000


def test_full_reversal_in_two_notes_reverses_the_vat_exactly(db):
    contract = make_contract(db, seats=1, rate_fen=333_333)  # ¥3,333.33, VAT 3,333.33×6/106 = 188.68
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))
    assert invoice.tax_fen == 18_868
    first = services.create_credit_note(invoice, 111_111, "部分")  # 1,111.11 × 6/106 = 62.893… → 62.89
    second = services.create_credit_note(invoice, 222_222, "其余")  # the rest: 188.68 − 62.89 = 125.79
    assert (first.tax_fen, second.tax_fen) == (6_289, 12_579)
    assert first.tax_fen + second.tax_fen == invoice.tax_fen


def test_void_is_refused_after_a_credit_note(db):
    invoice = _invoice(db, 100_000)
    services.create_credit_note(invoice, 10_000, "减免")
    with pytest.raises(services.BillingServiceError, match="不能作废"):
        services.void_invoice(db.session.get(Invoice, invoice.id), "错开")
    db.session.rollback()


# --- pure arithmetic --------------------------------------------------------------------------


def test_split_credit_reverses_the_charged_total_before_the_deposit():
    kwargs = dict(invoice_total_fen=700_000, invoice_gross_fen=1_000_000, invoice_tax_fen=56_604, rate_bp=600)
    # 6,000.00 of 7,000.00 charged: no deposit part; VAT 6,000 × 6/106 = 339.62
    assert split_credit(amount_fen=600_000, credited_fen=0, credited_tax_fen=0, **kwargs).deposit_fen == 0
    # then 2,000.00: 1,000.00 completes the charged total, 1,000.00 reverses the deposit offset
    part = split_credit(amount_fen=200_000, credited_fen=600_000, credited_tax_fen=33_962, **kwargs)
    assert part.deposit_fen == 100_000 and part.tax_fen == 11_321  # 2,000 × 6/106 = 113.207…
    # the last 2,000.00 completes the reversal: VAT 566.04 − 339.62 − 113.21 = 113.21, all deposit
    last = split_credit(amount_fen=200_000, credited_fen=800_000, credited_tax_fen=45_283, **kwargs)
    assert (last.deposit_fen, last.tax_fen) == (200_000, 11_321)


def test_allocate_oldest_first():
    assert allocate_oldest_first([(1, 300), (2, 500)], 600) == [(1, 300), (2, 300)]
    assert allocate_oldest_first([(1, 0), (2, 500)], 500) == [(2, 500)]
    with pytest.raises(ValueError):
        allocate_oldest_first([(1, 300)], 301)


def test_build_statement_opening_lines_and_closing():
    entries = [
        Entry(date(2026, 9, 1), "invoice", "INV-1", "账单 2026-08", debit_fen=500_000),
        Entry(date(2026, 9, 20), "payment", "INV-1", "收款", credit_fen=500_000),
        Entry(date(2026, 10, 1), "invoice", "INV-2", "账单 2026-09", debit_fen=3_042_807),
        Entry(date(2026, 10, 10), "payment", "INV-2", "收款", credit_fen=2_000_000),
        Entry(date(2026, 10, 12), "credit_note", "CN-1", "冲销", credit_fen=2_000_000),
        Entry(date(2026, 10, 20), "refund", "", "退款", debit_fen=957_193),
        Entry(date(2026, 11, 1), "invoice", "INV-3", "账单 2026-10", debit_fen=100_000),
    ]
    st = build_statement(entries, date(2026, 10, 1), date(2026, 10, 31))
    # opening: 5,000.00 − 5,000.00 = 0; October: +30,428.07 − 20,000 − 20,000 + 9,571.93 = 0
    assert st.opening_fen == 0
    assert (st.debits_fen, st.credits_fen) == (3_042_807 + 957_193, 4_000_000)
    assert st.closing_fen == 0
    assert [line.balance_fen for line in st.lines] == [3_042_807, 1_042_807, -957_193, 0]
