"""One live contract per quote; a draft or pending contract cancelled frees its quote (through HTTP)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ops.audit.models import AuditEntry
from ops.contracts import services
from ops.contracts.models import Contract
from ops.extensions import db as _db
from tests.contracts.helpers import make_contract, sign_and_pay
from tests.factories.quotes import make_accepted_quote


def _contracts(quote_id: int) -> list[Contract]:
    _db.session.expire_all()
    return list(
        _db.session.scalars(sa.select(Contract).where(Contract.quote_id == quote_id).order_by(Contract.id))
    )


def test_a_second_contract_from_the_same_quote_is_refused(client, login_as, db):
    quote = make_accepted_quote(db)
    login_as("sales")
    first = client.post(f"/contracts/from-quote/{quote.id}")
    assert first.status_code == 302
    second = client.post(f"/contracts/from-quote/{quote.id}", follow_redirects=True)
    assert "该报价单已生成合同（草稿）" in second.get_data(as_text=True)
    assert "请先取消该合同" in second.get_data(as_text=True)
    assert len(_contracts(quote.id)) == 1


def test_sales_cancels_a_draft_and_a_new_contract_can_be_made(client, login_as, db):
    contract = make_contract(db)
    quote_id = contract.quote_id
    login_as("sales")
    page = client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert "查看合同" in page and f"/contracts/from-quote/{quote_id}" not in page

    response = client.post(f"/contracts/{contract.id}/cancel", data={"reason": "条款录错，重新生成"})
    assert response.status_code == 302
    [cancelled] = _contracts(quote_id)
    assert cancelled.status == "cancelled" and cancelled.cancellation_reason == "条款录错，重新生成"
    assert cancelled.cancelled_at is not None
    entry = _db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.object_id == contract.id, AuditEntry.action == "contract.cancelled"
        )
    )
    assert entry.before == {"status": "draft", "deposit_status": "due"}
    assert (entry.after["status"], entry.after["deposit_status"]) == ("cancelled", "none")
    assert cancelled.deposit_status == "none"  # the deposit is no longer due
    detail = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "已取消" in detail and "条款录错" in detail

    # The quote is free again: its page offers the contract, and a new one is made.
    assert f"/contracts/from-quote/{quote_id}" in client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert client.post(f"/contracts/from-quote/{quote_id}").status_code == 302
    old, new = _contracts(quote_id)
    assert (old.status, new.status) == ("cancelled", "draft")


def test_manager_cancels_a_contract_awaiting_signature(client, login_as, db):
    contract = make_contract(db)
    services.submit_for_signature(contract)
    db.session.commit()
    login_as("manager")
    assert client.post(f"/contracts/{contract.id}/cancel", data={"reason": "客户放弃合作"}).status_code == 302
    [cancelled] = _contracts(contract.quote_id)
    assert cancelled.status == "cancelled" and cancelled.number  # the number stays taken (gapless)


def test_cancel_needs_a_reason_and_answers_with_the_form(client, login_as, db):
    contract = make_contract(db)
    login_as("sales")
    response = client.post(f"/contracts/{contract.id}/cancel", data={"reason": ""})
    assert response.status_code == 200 and "请填写取消原因" in response.get_data(as_text=True)
    assert _contracts(contract.quote_id)[0].status == "draft"


def test_roles_without_the_right_cannot_cancel(client, login_as, db):
    contract = make_contract(db)
    for role in ("trainer", "finance"):
        login_as(role)
        assert client.post(f"/contracts/{contract.id}/cancel", data={"reason": "x"}).status_code == 403
        client.post("/logout")
    assert _contracts(contract.quote_id)[0].status == "draft"


def test_an_active_contract_is_terminated_not_cancelled(client, login_as, db):
    contract = sign_and_pay(db, make_contract(db))
    services.activate(contract)
    db.session.commit()
    login_as("manager")
    response = client.post(f"/contracts/{contract.id}/cancel", data={"reason": "x"}, follow_redirects=True)
    assert "不能改为“已取消”" in response.get_data(as_text=True)
    assert _contracts(contract.quote_id)[0].status == "active"


def test_a_received_deposit_must_be_refunded_before_cancelling(client, login_as, db):
    contract = sign_and_pay(db, make_contract(db))
    login_as("manager")
    response = client.post(f"/contracts/{contract.id}/cancel", data={"reason": "x"}, follow_redirects=True)
    assert "请先退还定金" in response.get_data(as_text=True)
    assert _contracts(contract.quote_id)[0].status == "pending_signature"


def test_the_database_allows_one_live_contract_per_quote_but_ignores_cancelled_ones(db):
    contract = make_contract(db)
    services.cancel(contract, "录错")
    db.session.commit()
    again = services.create_from_quote(contract.quote, None)
    db.session.commit()
    assert again.status == "draft"
    # The partial unique index still refuses a second live one, written behind the service's back.
    clone = Contract(
        client_id=again.client_id,
        quote_id=again.quote_id,
        status="draft",
        model=again.model,
        terms=again.terms,
        start_on=again.start_on,
        end_on=again.end_on,
    )
    db.session.add(clone)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
