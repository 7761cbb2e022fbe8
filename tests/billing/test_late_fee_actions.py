"""Finance bills a late fee on the next draft or waives it; never twice; auto-billing contracts."""

from datetime import date

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.models import LateFeeCharge
from ops.billing.services import late_fees
from tests.billing.helpers import draft_for, issued_for, make_contract

AS_OF = date(2026, 11, 26)


@pytest.fixture
def as_of(monkeypatch):
    day = {"on": AS_OF}
    monkeypatch.setattr(late_fees, "today", lambda: day["on"])
    return day


def _overdue(db, **fields):
    """¥10,000.00 (2 seats × ¥5,000.00) issued 2026-10-02, due 2026-10-05, 0.05 %/day after 5 days' grace:
    as of Nov 26, Oct 11 – Nov 26 = 47 days × 1,000,000 × 5 ÷ 10000 = 23,500 (¥235.00)."""
    contract = make_contract(db, **fields)
    return contract, issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))


def _late_lines(invoice):
    return [(line.description, line.amount_fen) for line in invoice.lines if line.kind == "late_fee"]


def test_finance_bills_the_late_fee_on_the_next_draft_once(client, login_as, db, as_of):
    contract, invoice = _overdue(db)
    draft = draft_for(db, contract, "2026-10")
    assert draft.total_fen == 1_000_000  # 2 × 500,000, tax included
    login_as("finance")
    response = client.post(f"/billing/invoices/{invoice.id}/late-fees/bill", follow_redirects=True)
    assert "已计入下期账单" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _late_lines(draft) == [
        (f"滞纳金 {invoice.number} 逾期 47 天（宽限 5 天后）× ¥10,000.00 × 0.05%/天", 23_500)
    ]
    # 1,000,000 + 23,500 = 1,023,500 (a taxable line: tax included 1,023,500 × 6/106 = 57,934.0 → 57,934).
    assert (draft.total_fen, draft.tax_fen) == (1_023_500, 57_934)
    (charge,) = db.session.scalars(sa.select(LateFeeCharge)).all()
    assert (charge.status, charge.from_on, charge.to_on, charge.billed_on_invoice_id) == (
        "billed",
        date(2026, 10, 11),
        AS_OF,
        draft.id,
    )
    # The same days cannot be billed again; a refreshed draft keeps one line.
    html = client.post(f"/billing/invoices/{invoice.id}/late-fees/bill", follow_redirects=True).get_data(
        as_text=True
    )
    assert "没有待处理的滞纳金" in html
    services.refresh_locked(contract.id, "2026-10", None)
    db.session.expire_all()
    assert len(_late_lines(draft)) == 1 and draft.total_fen == 1_023_500
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LateFeeCharge)) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "invoice.late_fee_billed")
        )
        == 1
    )


def test_waive_needs_a_reason_and_covers_only_new_days(client, login_as, db, as_of):
    contract, invoice = _overdue(db)
    services.bill_late_fee(invoice)  # no draft yet: waits for the next one
    db.session.commit()
    as_of["on"] = date(2026, 11, 30)
    # Nov 27 – 30 = 4 days × 1,000,000 × 5 ÷ 10000 = 2,000.
    assert services.accrued_late_fee(invoice).amount_fen == 2_000
    login_as("finance")
    html = client.post(
        f"/billing/invoices/{invoice.id}/late-fees/waive", data={"reason": " "}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请填写减免原因" in html
    client.post(f"/billing/invoices/{invoice.id}/late-fees/waive", data={"reason": "老客户，协商减免"})
    waived = db.session.scalar(sa.select(LateFeeCharge).where(LateFeeCharge.status == "waived"))
    assert (waived.from_on, waived.to_on, waived.amount_fen, waived.reason) == (
        date(2026, 11, 27),
        date(2026, 11, 30),
        2_000,
        "老客户，协商减免",
    )
    assert services.accrued_late_fee(invoice).amount_fen == 0
    # The billed charge was waiting for a draft: the next one carries it (23,500), not the waived days.
    draft = draft_for(db, contract, "2026-10")
    assert [amount for _, amount in _late_lines(draft)] == [23_500]
    html = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "已减免" in html and "老客户，协商减免" in html and "已计收" in html


def test_nothing_is_billed_without_finance_unless_the_contract_says_so(db, as_of):
    contract, _ = _overdue(db)
    assert _late_lines(draft_for(db, contract, "2026-10")) == []
    auto, invoice = _overdue(db, client=contract.client, late_fee_auto=True)
    draft = draft_for(db, auto, "2026-10")
    assert [amount for _, amount in _late_lines(draft)] == [23_500]
    services.refresh_locked(auto.id, "2026-10", None)  # the same day again: nothing new
    db.session.expire_all()
    assert [amount for _, amount in _late_lines(draft)] == [23_500]


def test_other_roles_cannot_bill_or_waive(client, login_as, db, as_of):
    _, invoice = _overdue(db)
    login_as("sales")
    assert client.post(f"/billing/invoices/{invoice.id}/late-fees/bill").status_code == 403
    assert (
        client.post(f"/billing/invoices/{invoice.id}/late-fees/waive", data={"reason": "x"}).status_code
        == 403
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LateFeeCharge)) == 0
