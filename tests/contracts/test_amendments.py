"""Contract amendments (补充协议): numbering, refusals, decisions, billing and seats that follow them.

Expected amounts are worked out by hand in the comments (fen). October 2026 has 31 days.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.contracts.models import ContractAmendment
from ops.contracts.services import ContractError
from ops.contracts.services.amendments import (
    accept_amendment,
    create_amendment,
    reject_amendment,
    send_amendment,
    update_amendment,
    withdraw_amendment,
)
from ops.onboarding import services as onboarding
from ops.onboarding.models import Agent, Assignment
from ops.onboarding.services.common import OnboardingError
from ops.timeutil import today
from tests.billing.helpers import draft_for, issued_for, make_contract
from tests.onboarding import helpers as ob

OCT16 = date(2026, 10, 16)


def _seats(n: int, rate: int = 500_000) -> dict:
    return {
        "seats": [{"scope": "presales", "shift": "day", "seats": n, "monthly_rate_fen": rate}],
        "extras": [],
    }


def _accepted(contract, by, effective_on=OCT16, terms=None):
    amendment = create_amendment(
        contract, effective_on=effective_on, terms=terms or _seats(3), reason="双十一加席", by=by
    )
    send_amendment(amendment, by=by)
    accept_amendment(amendment, by)
    return amendment


def test_amendments_are_numbered_after_the_contract_b1_b2(db, make_user):
    sales = make_user("sales")
    contract = make_contract(db)
    first = create_amendment(contract, effective_on=OCT16, terms=_seats(3), reason="加席", by=sales)
    assert first.number == f"{contract.number}-B1" and first.status == "draft"
    withdraw_amendment(first, sales, "写错了")
    second = create_amendment(contract, effective_on=OCT16, terms=_seats(3), reason="加席", by=sales)
    db.session.commit()
    assert second.number == f"{contract.number}-B2" and second.seq == 2
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == [
        "contract_amendment.created",
        "contract_amendment.withdrawn",
        "contract_amendment.created",
    ]


def test_only_an_active_contract_takes_an_amendment(db, make_user):
    contract = make_contract(db, status="pending_signature")
    with pytest.raises(ContractError, match="只有生效中的合同"):
        create_amendment(contract, effective_on=OCT16, terms=_seats(3), reason="", by=make_user("sales"))


def test_a_second_open_amendment_is_refused(db, make_user):
    sales = make_user("sales")
    contract = make_contract(db)
    amendment = create_amendment(contract, effective_on=OCT16, terms=_seats(3), reason="", by=sales)
    send_amendment(amendment, by=sales)
    with pytest.raises(ContractError, match="已有一份未完成的补充协议"):
        create_amendment(contract, effective_on=date(2026, 11, 1), terms=_seats(4), reason="", by=sales)


def test_the_effective_date_cannot_fall_in_an_invoiced_period(db, make_user):
    sales = make_user("sales")
    contract = make_contract(db)
    issued_for(db, contract, "2026-09")
    with pytest.raises(ContractError, match="不能改写已开票的期间") as refused:
        create_amendment(contract, effective_on=date(2026, 9, 20), terms=_seats(3), reason="", by=sales)
    assert refused.value.field == "effective_on"
    with pytest.raises(ContractError, match="合同期内"):
        create_amendment(contract, effective_on=date(2030, 1, 1), terms=_seats(3), reason="", by=sales)
    # The day after the invoiced period is fine.
    assert create_amendment(contract, effective_on=date(2026, 10, 1), terms=_seats(3), reason="", by=sales)


def test_edit_only_while_draft_and_terms_are_validated(db, make_user):
    sales = make_user("sales")
    contract = make_contract(db)
    amendment = create_amendment(contract, effective_on=OCT16, terms=_seats(3), reason="", by=sales)
    with pytest.raises(ContractError):
        update_amendment(amendment, effective_on=OCT16, terms=_seats(0), reason="", by=sales)
    update_amendment(amendment, effective_on=date(2026, 11, 1), terms=_seats(4), reason="改为 4 席", by=sales)
    assert amendment.terms["seats"][0]["seats"] == 4 and amendment.effective_on == date(2026, 11, 1)
    send_amendment(amendment, by=sales)
    with pytest.raises(ContractError, match="不能执行该操作"):
        update_amendment(amendment, effective_on=OCT16, terms=_seats(3), reason="", by=sales)


def test_reject_needs_a_reason_and_on_behalf_acceptance_needs_one(db, make_user):
    sales = make_user("sales")
    contract = make_contract(db)
    amendment = create_amendment(contract, effective_on=OCT16, terms=_seats(3), reason="", by=sales)
    with pytest.raises(ContractError, match="不能执行该操作"):
        accept_amendment(amendment, make_user("client", client_id=contract.client_id))
    send_amendment(amendment, by=sales)
    with pytest.raises(ContractError, match="拒绝原因"):
        reject_amendment(amendment, sales, " ")
    with pytest.raises(ContractError, match="代客户确认"):
        accept_amendment(amendment, make_user("manager"), "", on_behalf=True)
    reject_amendment(amendment, make_user("client", client_id=contract.client_id), "预算不够")
    db.session.commit()
    assert amendment.status == "rejected" and amendment.decision_note == "预算不够"


def test_an_accepted_added_seat_from_the_16th_is_billed_16_of_31(db, make_user):
    sales = make_user("sales")
    contract = make_contract(db)  # 2 × 售前白班 at ¥5,000.00, live since 2026-08-01, in arrears
    _accepted(contract, sales)
    agent = Agent(name="新增客服", employee_no="E-NEW", status="live")
    db.session.add(agent)
    db.session.flush()
    db.session.add(
        Assignment(
            agent_id=agent.id,
            contract_id=contract.id,
            client_id=contract.client_id,
            scope="presales",
            shift="day",
            go_live_on=OCT16,
        )
    )
    db.session.commit()
    invoice = draft_for(db, contract, "2026-10")
    seat_lines = sorted(line.amount_fen for line in invoice.lines if line.kind == "seat")
    # the two agents: 500_000 × 15/31 = 241_935.48 → 241_935 and 500_000 × 16/31 = 258_064.52 → 258_065 each;
    # the new agent: 500_000 × 16/31 → 258_065
    assert seat_lines == [241_935, 241_935, 258_065, 258_065, 258_065]
    assert any("新增客服 · 2026-10 服务 16/31 天" in line.description for line in invoice.lines)


def test_an_accepted_price_change_from_the_16th_splits_the_month(db, make_user):
    contract = make_contract(db)
    _accepted(contract, make_user("sales"), terms=_seats(2, 620_000))
    invoice = draft_for(db, contract, "2026-10")
    # per agent 500_000 × 15/31 = 241_935.48 → 241_935 and 620_000 × 16/31 = 320_000; two agents 1_123_870
    assert sum(line.amount_fen for line in invoice.lines if line.kind == "seat") == 1_123_870
    # A rejected or open amendment changes nothing: September stays 2 × 500_000.
    assert (
        sum(line.amount_fen for line in draft_for(db, contract, "2026-09").lines if line.kind == "seat")
        == 1_000_000
    )


def test_seats_bound_follow_the_amendment_from_its_effective_date(db, make_user):
    trainer, sales = make_user("trainer"), make_user("sales")
    contract = ob.make_contract(db, seats=[("presales", "day", 1)])
    ob.make_assignment(db, contract, by=trainer)  # takes the one seat
    effective = today() + timedelta(days=10)
    _accepted(contract, sales, effective_on=effective, terms=_seats(2, 300_000))
    db.session.commit()
    with pytest.raises(OnboardingError):  # before the amendment: still one seat, taken
        onboarding.create_assignment(
            ob.make_agent(db, name="早到"),
            contract,
            scope="presales",
            shift="day",
            planned_go_live_on=effective - timedelta(days=1),
            by=trainer,
        )
    db.session.rollback()
    onboarding.create_assignment(
        ob.make_agent(db, name="按期"),
        contract,
        scope="presales",
        shift="day",
        planned_go_live_on=effective,
        by=trainer,
    )
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 2
    assert [row["sold"] for row in onboarding.seat_usage(contract, effective)] == [2]
    assert [row["sold"] for row in onboarding.seat_usage(contract, effective - timedelta(days=1))] == [1]


def test_a_reduction_later_bounds_an_assignment_starting_before_it(db, make_user):
    trainer, sales = make_user("trainer"), make_user("sales")
    contract = ob.make_contract(db, seats=[("presales", "day", 2)])
    ob.make_assignment(db, contract, by=trainer)
    _accepted(contract, sales, effective_on=today() + timedelta(days=20), terms=_seats(1, 300_000))
    db.session.commit()
    # A second agent now would still hold a seat once the contract sells only one.
    with pytest.raises(OnboardingError):
        onboarding.create_assignment(
            ob.make_agent(db),
            contract,
            scope="presales",
            shift="day",
            planned_go_live_on=today() + timedelta(days=5),
            by=trainer,
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContractAmendment)) == 1
