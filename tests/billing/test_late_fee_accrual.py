"""The daily late-fee accrual (a periodic task): for contracts that bill late fees automatically, the open
draft's 滞纳金 line runs up to today — one line per overdue invoice, never a day twice; other contracts
are left to finance."""

from datetime import date

import pytest
import sqlalchemy as sa

from ops.billing import services
from ops.billing.models import LateFeeCharge
from ops.billing.services import late_fees
from tests.billing.helpers import draft_for, issued_for, make_contract


@pytest.fixture
def clock(monkeypatch):
    day = {"on": date(2026, 11, 26)}
    monkeypatch.setattr(late_fees, "today", lambda: day["on"])
    return day


def _late_lines(invoice):
    return [(line.description, line.amount_fen) for line in invoice.lines if line.kind == "late_fee"]


def test_the_open_draft_of_an_auto_contract_bills_up_to_today_in_one_line(db, clock):
    # ¥10,000.00 due 2026-10-05, 5 days' grace, 0.05 %/day: as of Nov 26, Oct 11 – Nov 26 = 47 days
    # × 1,000,000 × 5 ÷ 10000 = 23,500.
    contract = make_contract(db, late_fee_auto=True)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    draft = draft_for(db, contract, "2026-10")
    assert [amount for _, amount in _late_lines(draft)] == [23_500]
    assert services.accrue_late_fees() == 0  # the same day: nothing new, the draft is not touched
    clock["on"] = date(2026, 11, 27)
    assert services.accrue_late_fees() == 1
    assert services.accrue_late_fees() == 0  # twice a day: nothing twice
    clock["on"] = date(2026, 11, 28)
    assert services.accrue_late_fees() == 1
    db.session.expire_all()
    # Oct 11 – Nov 28 = 49 days × 1,000,000 × 5 ÷ 10000 = 24,500, still one line, one charge.
    assert _late_lines(draft) == [
        (f"滞纳金 {invoice.number} 逾期 49 天（宽限 5 天后）× ¥10,000.00 × 0.05%/天", 24_500)
    ]
    (charge,) = db.session.scalars(sa.select(LateFeeCharge)).all()
    assert (charge.from_on, charge.to_on, charge.amount_fen, charge.billed_on_invoice_id) == (
        date(2026, 10, 11),
        date(2026, 11, 28),
        24_500,
        draft.id,
    )
    # 1,000,000 + 24,500 = 1,024,500 on the draft (tax included).
    assert draft.total_fen == 1_024_500


def test_contracts_without_auto_late_fees_or_without_a_draft_are_left_alone(db, clock):
    manual = make_contract(db)
    issued_for(db, manual, "2026-09", issued_on=date(2026, 10, 2))
    draft = draft_for(db, manual, "2026-10")
    auto = make_contract(db, client=manual.client, late_fee_auto=True)
    issued_for(db, auto, "2026-09", issued_on=date(2026, 10, 2))  # no draft: the next run bills it
    clock["on"] = date(2026, 11, 27)
    assert services.accrue_late_fees() == 0
    db.session.expire_all()
    assert _late_lines(draft) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LateFeeCharge)) == 0


def test_a_paid_invoice_accrues_nothing_more(db, clock):
    contract = make_contract(db, late_fee_auto=True)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    draft = draft_for(db, contract, "2026-10")
    services.record_payment(invoice, 1_000_000, date(2026, 11, 26), "银行转账", "")
    db.session.commit()
    clock["on"] = date(2026, 11, 30)
    assert services.accrue_late_fees() == 0
    db.session.expire_all()
    assert [amount for _, amount in _late_lines(draft)] == [23_500]


def test_one_contract_that_cannot_be_refreshed_does_not_stop_the_others(db, clock, monkeypatch):
    from ops.billing.services import drafts

    broken = make_contract(db, late_fee_auto=True)
    fine = make_contract(db, broken.client, late_fee_auto=True)
    for contract in (broken, fine):
        issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
        draft_for(db, contract, "2026-10")
    real = drafts.refresh_locked

    def refresh(contract_id, period, by):
        if contract_id == broken.id:
            raise services.BillingServiceError("合同条款有误")
        return real(contract_id, period, by)

    monkeypatch.setattr(drafts, "refresh_locked", refresh)
    clock["on"] = date(2026, 11, 27)
    assert services.accrue_late_fees() == 1  # the fine one; the broken one is skipped, not fatal
