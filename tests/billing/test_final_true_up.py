"""The final true-up of a contract billed in advance: after the last service period, one more
invoice bills that period's "actual − advance" (no advance lines), then nothing more.

Expected amounts are worked out by hand in the comments (fen unless shown as ¥).
"""

from datetime import date

import pytest
import sqlalchemy as sa

from ops.billing import services
from ops.billing.services import BillingServiceError
from ops.contracts.models import Contract
from ops.onboarding.models import Agent, Assignment
from tests.billing.helpers import draft_for, issued_for, make_contract


def _agents(db, contract):
    return list(
        db.session.scalars(
            sa.select(Assignment).where(Assignment.contract_id == contract.id).order_by(Assignment.id)
        )
    )


def _add_agent(db, contract, go_live_on):
    agent = Agent(name="加派客服", employee_no=f"X{contract.id:05d}", status="live")
    db.session.add(agent)
    db.session.flush()
    db.session.add(
        Assignment(
            agent_id=agent.id,
            contract_id=contract.id,
            client_id=contract.client_id,
            scope="presales",
            shift="day",
            go_live_on=go_live_on,
        )
    )
    db.session.commit()


def _monthly(db):
    # 2 seats × ¥5,000.00 on 售前白班, in advance, 2026-08-01 … 2026-09-30, 6% VAT included.
    return make_contract(db, billing_timing="in_advance", end_on=date(2026, 9, 30))


def _bill_august_and_september(db, contract):
    august = issued_for(db, contract, "2026-08")  # first advance: 2 × 500,000 = 1,000,000
    september = issued_for(db, contract, "2026-09")  # advance 1,000,000 + August true-up 0
    assert (august.total_fen, september.total_fen) == (1_000_000, 1_000_000)


def test_final_true_up_bills_more_when_actual_exceeds_the_advance(db):
    contract = _monthly(db)
    _add_agent(db, contract, date(2026, 9, 11))  # a third agent serves 11–30 September (20 days)
    _bill_august_and_september(db, contract)
    invoice, outcome = services.refresh_draft(contract, "2026-10")
    db.session.commit()
    # September actual: 500,000 + 500,000 + 500,000 × 20/30 (333,333.33 → 333,333) = 1,333,333;
    # advance 1,000,000 → true-up +333,333. No advance lines for October (the term has ended).
    assert outcome == "created"
    assert [(line.kind, line.amount_fen) for line in invoice.lines] == [("true_up", 333_333)]
    assert invoice.total_fen == 333_333
    assert "合同服务已于上期（2026-09）结束：本期只做最后一期多退少补，不再预收" in invoice.notes
    services.issue_invoice(invoice.id)
    # And nothing after that.
    assert services.refresh_draft(contract, "2026-11") == (None, "not_due")


def test_final_true_up_is_a_credit_when_the_advance_exceeds_actual(db):
    contract = _monthly(db)
    first, _second = _agents(db, contract)
    first.end_on = date(2026, 9, 16)  # served 1–15 September (the end day does not count)
    db.session.commit()
    _bill_august_and_september(db, contract)
    invoice = draft_for(db, contract, "2026-10")
    # September actual: 500,000 × 15/30 = 250,000 + 500,000 = 750,000; advance 1,000,000 → −250,000.
    assert [(line.kind, line.amount_fen) for line in invoice.lines] == [("true_up", -250_000)]
    assert invoice.total_fen == -250_000
    # A negative statement is not issued: finance credits ¥2,500.00 on the last issued invoice.
    with pytest.raises(
        BillingServiceError, match="应退客户 ¥2,500.00。请对上期已开具的账单开具该金额的红字冲销单"
    ):
        services.issue_invoice(invoice.id)


def test_quarterly_final_true_up(db):
    # 2 seats × ¥5,000.00 billed quarterly in advance, 2026-07-01 … 2026-12-31.
    contract = make_contract(
        db,
        billing_timing="in_advance",
        billing_cycle="quarterly",
        start_on=date(2026, 7, 1),
        go_live_on=date(2026, 7, 1),
        end_on=date(2026, 12, 31),
    )
    first, _second = _agents(db, contract)
    first.end_on = date(2026, 11, 16)  # serves October, 1–15 November, not December
    db.session.commit()
    assert issued_for(db, contract, "2026-Q3").total_fen == 3_000_000  # 3 months × 2 × 500,000
    assert issued_for(db, contract, "2026-Q4").total_fen == 3_000_000  # Q4 advance + Q3 true-up 0
    invoice = draft_for(db, contract, "2027-Q1")
    # Q4 actual: agent 1 Oct 500,000 + Nov 500,000 × 15/30 = 250,000; agent 2 3 × 500,000 = 1,500,000;
    # 2,250,000 − advance 3,000,000 = −750,000.
    assert [(line.kind, line.amount_fen) for line in invoice.lines] == [("true_up", -750_000)]
    assert services.refresh_draft(contract, "2027-Q2") == (None, "not_due")


def test_terminated_mid_period_trues_up_against_the_advance_actually_billed(db):
    contract = make_contract(db, billing_timing="in_advance")  # 2026-08-01 … 2027-07-31
    _bill_august_and_september(db, contract)  # September billed in advance in full: 1,000,000
    contract = db.session.get(Contract, contract.id)
    contract.status, contract.terminated_on = "terminated", date(2026, 9, 21)  # served 1–20 September
    db.session.commit()
    invoice = draft_for(db, contract, "2026-10")
    # Actual: 2 agents × 500,000 × 20/30 (333,333.33 → 333,333 each) = 666,666; billed in advance
    # 1,000,000 (the issued September invoice) → −333,334.
    assert [(line.kind, line.amount_fen) for line in invoice.lines] == [("true_up", -333_334)]
    assert services.refresh_draft(contract, "2026-11") == (None, "not_due")
