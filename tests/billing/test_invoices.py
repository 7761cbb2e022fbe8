"""Invoices: runs make one invoice per contract and period, issuing freezes it, payments, voids, credits."""

import hashlib
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.models import Invoice
from ops.billing.services import BillingServiceError
from ops.contracts.models import Contract
from ops.timeutil import today
from tests.billing.helpers import draft_for, invoice_count, issued_for, make_billing_client, make_contract

YEAR = today().year


def test_fixed_seat_month_in_arrears_hand_worked(db):
    contract = make_contract(db)  # 2 seats × ¥5,000.00, September 2026 has 30 days, all served
    invoice = draft_for(db, contract, "2026-09")
    assert invoice.status == "draft" and invoice.number is None
    assert [line.amount_fen for line in invoice.lines] == [500_000, 500_000]
    # 2 × 5,000.00 = 10,000.00 tax-inclusive; tax = 10,000.00 × 6/106 = 566.037… -> 566.04; net 9,433.96
    assert invoice.subtotal_fen == 1_000_000
    assert invoice.tax_fen == 56_604
    assert invoice.net_fen == 943_396
    assert invoice.total_fen == 1_000_000


def test_running_twice_refreshes_the_draft_and_makes_no_second_invoice(db):
    contract = make_contract(db)
    first = services.run_billing("2026-09")
    assert (first.created, first.refreshed, first.errors) == (1, 0, [])
    second = services.run_billing("2026-09")
    assert (second.created, second.refreshed, second.unchanged) == (0, 1, 0)
    assert invoice_count(db) == 1
    assert second.total_fen == 1_000_000
    invoice = db.session.scalar(sa.select(Invoice))
    assert invoice.contract_id == contract.id and invoice.period == "2026-09"


def test_a_refresh_keeps_finance_adjustments(db):
    contract = make_contract(db)
    invoice = draft_for(db, contract)
    services.add_adjustment(invoice, "十月大促临时加派", 120_000, "客户邮件确认加派 2 人 3 天")
    db.session.commit()
    services.run_billing("2026-09")
    db.session.refresh(invoice)
    manual = [line for line in invoice.lines if line.manual]
    assert [(m.description, m.amount_fen, m.reason) for m in manual] == [
        ("十月大促临时加派", 120_000, "客户邮件确认加派 2 人 3 天")
    ]
    # 10,000.00 + 1,200.00 = 11,200.00; tax = 11,200.00 × 6/106 = 633.962… -> 633.96
    assert (invoice.adjustments_fen, invoice.total_fen, invoice.tax_fen) == (120_000, 1_120_000, 63_396)
    line_id = manual[0].id
    services.remove_adjustment(invoice, line_id)
    db.session.commit()
    assert invoice.total_fen == 1_000_000 and not [line for line in invoice.lines if line.manual]


def test_issued_invoice_never_changes_on_rerun_or_new_terms(db):
    contract = make_contract(db)
    invoice = issued_for(db, contract)
    number, pdf, sha = invoice.number, invoice.pdf, invoice.pdf_sha256
    assert number == f"INV-{YEAR}-00001"
    assert hashlib.sha256(pdf).hexdigest() == sha
    summary = services.run_billing("2026-09")
    assert (summary.created, summary.refreshed, summary.unchanged) == (0, 0, 1)
    # The contract's prices change afterwards (a new rate card, revised terms): the issued invoice does not.
    contract = db.session.get(Contract, contract.id)
    contract.terms = {
        **contract.terms,
        "seats": [{"scope": "presales", "shift": "day", "seats": 2, "monthly_rate_fen": 900_000}],
    }
    contract.tax_rate_bp = 300
    db.session.commit()
    services.run_billing("2026-09", issue=True)
    db.session.expire_all()
    again = db.session.get(Invoice, invoice.id)
    assert (again.number, again.pdf, again.pdf_sha256, again.total_fen) == (number, pdf, sha, 1_000_000)
    assert invoice_count(db) == 1


def test_issue_numbers_due_date_and_audit(db):
    first = issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    second = issued_for(
        db,
        make_contract(
            db, make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M")
        ),
        issued_on=date(2026, 10, 2),
    )
    assert (first.number, second.number) == ("INV-2026-00001", "INV-2026-00002")
    assert first.due_on == date(2026, 10, 5)  # the 5th of the month after September
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "invoice.issued", AuditEntry.object_id == first.id)
    )
    assert entry.after["number"] == "INV-2026-00001"
    # The PDF is rendered after the issue commits (inline in tests); its hash is audited when stored.
    stored = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "invoice.pdf_stored", AuditEntry.object_id == first.id
        )
    )
    assert stored.after["pdf_sha256"] == first.pdf_sha256 == hashlib.sha256(first.pdf).hexdigest()
    # Issuing an issued invoice again returns it unchanged.
    assert services.issue_invoice(first.id).number == "INV-2026-00001"


def test_deposit_is_applied_on_the_first_invoice_and_marked_applied(db):
    contract = make_contract(
        db, deposit_fen=300_000, deposit_usage="first_invoice", deposit_status="received"
    )
    invoice = issued_for(db, contract)
    # 10,000.00 − deposit 3,000.00 = 7,000.00 to pay; tax stays on the 10,000.00 service (566.04)
    assert (invoice.deposit_offset_fen, invoice.tax_fen, invoice.total_fen) == (-300_000, 56_604, 700_000)
    assert db.session.get(Contract, contract.id).deposit_status == "applied"


def test_partial_then_full_payment_marks_paid(db):
    invoice = issued_for(db, make_contract(db))
    services.record_payment(invoice, 400_000, date(2026, 10, 3), "银行转账", "HX001")
    db.session.commit()
    assert invoice.status == "issued" and services.balance_fen(invoice) == 600_000  # 10,000 − 4,000
    services.record_payment(invoice, 600_000, date(2026, 10, 4), "支付宝", "ZFB002")
    db.session.commit()
    assert invoice.status == "paid" and services.balance_fen(invoice) == 0
    assert [p.amount_fen for p in invoice.payments] == [400_000, 600_000]


def test_overpayment_is_refused_and_changes_nothing(db):
    invoice = issued_for(db, make_contract(db))
    with pytest.raises(BillingServiceError, match="超过未付余额（¥10,000.00）"):
        services.record_payment(invoice, 1_000_001, date(2026, 10, 3), "银行转账", "")
    db.session.rollback()
    assert invoice.paid_fen == 0 and invoice.payments == []


def test_payment_on_a_draft_is_refused(db):
    invoice = draft_for(db, make_contract(db))
    with pytest.raises(BillingServiceError):
        services.record_payment(invoice, 100, date(2026, 10, 3), "银行转账", "")


def test_void_keeps_the_reason_and_is_refused_after_a_payment(db):
    voided = issued_for(db, make_contract(db))
    with pytest.raises(BillingServiceError, match="原因"):
        services.void_invoice(voided, "  ")
    services.void_invoice(voided, "客户合同主体变更，重新开具")
    db.session.commit()
    assert voided.status == "void" and voided.void_reason == "客户合同主体变更，重新开具"
    paid = issued_for(
        db,
        make_contract(
            db, make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M")
        ),
    )
    services.record_payment(paid, 100_000, date(2026, 10, 3), "微信", "")
    db.session.commit()
    with pytest.raises(BillingServiceError, match="已有收款"):
        services.void_invoice(paid, "写错了")


def test_credit_note_reduces_the_balance_and_is_numbered(db):
    invoice = issued_for(db, make_contract(db))
    note = services.create_credit_note(invoice, 106_000, "9 月有 2 天系统故障停服，协商减免")
    # 1,060.00 tax-inclusive: tax = 1,060.00 × 6/106 = 60.00, net 1,000.00
    assert (note.number, note.total_fen, note.tax_fen, note.net_fen) == (
        f"CN-{YEAR}-00001",
        106_000,
        6_000,
        100_000,
    )
    assert hashlib.sha256(note.pdf).hexdigest() == note.pdf_sha256
    invoice = db.session.get(Invoice, invoice.id)
    assert services.balance_fen(invoice) == 894_000  # 10,000.00 − 1,060.00
    with pytest.raises(BillingServiceError, match="不超过"):
        services.create_credit_note(invoice, 894_001, "再冲")
    services.create_credit_note(invoice, 894_000, "剩余全部冲销")
    invoice = db.session.get(Invoice, invoice.id)
    assert invoice.status == "paid" and services.balance_fen(invoice) == 0


def test_overdue_is_derived_from_the_due_date(db):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 2))
    assert invoice.due_on == date(2026, 10, 5)
    assert not services.is_overdue(invoice, on=date(2026, 10, 5))
    assert services.is_overdue(invoice, on=date(2026, 10, 6))
    assert services.ageing_bucket(invoice.due_on, date(2026, 11, 4)) == "1-30"  # 30 days late
    assert services.ageing_bucket(invoice.due_on, date(2026, 11, 5)) == "31-60"
    services.record_payment(invoice, 1_000_000, date(2026, 10, 6), "银行转账", "")
    assert not services.is_overdue(invoice, on=date(2026, 10, 6))


def test_net_days_due_date_counts_from_the_issue_day(db):
    invoice = issued_for(
        db, make_contract(db, due_rule="net_days", due_value=30), issued_on=date(2026, 10, 8)
    )
    assert invoice.due_on == date(2026, 10, 8) + timedelta(days=30)


def test_a_contract_that_cannot_be_billed_is_listed_and_the_run_goes_on(db):
    make_contract(db)
    broken = make_contract(
        db, make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M")
    )
    broken.terms = {"model": "fixed_seat", "seats": [], "extras": []}  # no price for its agents' seats
    db.session.commit()
    summary = services.run_billing("2026-09", issue=True)
    assert summary.created == 1 and summary.issued == 1
    assert [number for number, _ in summary.errors] == [broken.number]
    assert "没有对应的席位价格" in summary.errors[0][1]


def test_in_advance_true_up_needs_the_advance_invoice_of_the_previous_period(db):
    contract = make_contract(db, billing_timing="in_advance")  # from 2026-08-01, 2 seats × ¥5,000.00
    summary = services.run_billing("2026-08")  # bills September and would true up August
    assert summary.created == 0 and "上期（2026-08）还没有预付账单" in summary.errors[0][1]
    assert "请先按账期 2026-07 出账" in summary.errors[0][1]
    august = services.run_billing("2026-07", issue=True)  # August in advance: 2 × 5,000.00 = 10,000.00
    assert (august.created, august.issued, august.total_fen) == (1, 1, 1_000_000)
    september = services.run_billing("2026-08")
    # September in advance 10,000.00 + August true-up (actual 10,000.00 − advance 10,000.00 = 0.00)
    assert (september.created, september.errors, september.total_fen) == (1, [], 1_000_000)
    invoice = db.session.get(Invoice, september.invoice_ids[0])
    assert invoice.period == "2026-09" and [line.kind for line in invoice.lines][-1] == "true_up"
    assert contract.id == invoice.contract_id


def test_in_advance_contract_taken_over_mid_term_starts_without_a_true_up(db):
    # Served since January, first invoiced here for September: nothing was billed in advance for August.
    contract = make_contract(
        db, billing_timing="in_advance", start_on=date(2026, 1, 1), go_live_on=date(2026, 1, 1)
    )
    summary = services.run_billing("2026-08")
    assert summary.errors == [] and summary.created == 1
    invoice = db.session.get(Invoice, summary.invoice_ids[0])
    # September in advance: 2 seats × ¥5,000.00 × 30/30 = ¥10,000.00, and no true-up line
    assert invoice.period == "2026-09" and invoice.total_fen == 1_000_000
    assert [line.kind for line in invoice.lines] == ["seat"]
    assert invoice.contract_id == contract.id


def test_a_negative_total_cannot_be_issued(db):
    contract = make_contract(db)
    invoice = draft_for(db, contract)  # ¥10,000.00 (see the first test)
    # Refunding ¥10,001.00 turns the statement negative: 10,000.00 − 10,001.00 = −1.00
    services.add_adjustment(invoice, "退还多收服务费", -1_000_100, "客户投诉核实，退还上月多收")
    db.session.commit()
    assert invoice.total_fen == -100
    with pytest.raises(BillingServiceError, match="为负数"):
        services.issue_invoice(invoice.id)
    db.session.refresh(invoice)
    assert invoice.status == "draft" and invoice.number is None
