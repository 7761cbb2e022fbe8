"""Accrued late fees (滞纳金) on the ageing report and the invoice pages (staff and portal)."""

from datetime import date

from ops.billing import services
from ops.billing.services import late_fees, reports
from tests.billing.helpers import issued_for, make_billing_client, make_contract

AS_OF = date(2026, 11, 26)


def _overdue(db):
    """¥10,000.00 issued 2026-10-02, due 2026-10-05; 0.05 %/day after a 5-day grace (the factory's
    contract defaults): Oct 6 – 10 is the grace, Oct 11 the first accruing day."""
    ours = make_billing_client(db)
    return ours, issued_for(db, make_contract(db, ours), "2026-09", issued_on=date(2026, 10, 2))


def test_accrued_late_fee_with_a_part_payment(db):
    _, invoice = _overdue(db)
    assert invoice.due_on == date(2026, 10, 5)
    # No payment: Oct 11 – Nov 26 = 21 + 26 = 47 days × 1,000,000 × 5 ÷ 10000 = 23,500.
    assert services.accrued_late_fee(invoice, AS_OF).amount_fen == 23_500
    services.record_payment(invoice, 600_000, date(2026, 10, 21), "银行转账", "HX001")
    # Oct 11 – 20 = 10 days on 1,000,000 = 10,000,000; Oct 21 – Nov 26 = 11 + 26 = 37 days on
    # 400,000 = 14,800,000; 24,800,000 × 5 ÷ 10000 = 12,400.
    assert services.accrued_late_fee(invoice, AS_OF).amount_fen == 12_400
    rows, _ = services.ageing_report(on=AS_OF)
    assert rows[0].late_fee_fen == 12_400


def test_no_late_fee_for_a_contract_without_one(db):
    ours = make_billing_client(db)
    invoice = issued_for(
        db, make_contract(db, ours, late_fee_bp_per_day=0), "2026-09", issued_on=date(2026, 10, 2)
    )
    assert services.accrued_late_fee(invoice, AS_OF) is None


def test_invoice_pages_and_ageing_show_the_accrued_fee(client, login_as, db, monkeypatch):
    monkeypatch.setattr(late_fees, "today", lambda: AS_OF)
    monkeypatch.setattr(reports, "today", lambda: AS_OF)
    ours, invoice = _overdue(db)
    login_as("finance")
    html = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "滞纳金（截至今日）" in html and "¥235.00" in html and "逾期 47 天（宽限 5 天后）" in html
    html = client.get("/billing/ageing").get_data(as_text=True)
    assert "滞纳金（截至今日）" in html and "¥235.00" in html
    client.post("/logout")
    login_as("client", client_id=ours.id)
    html = client.get(f"/portal/invoices/{invoice.id}").get_data(as_text=True)
    assert "滞纳金（截至今日）" in html and "¥235.00" in html
