"""Contract amendments through HTTP: the staff form and section, refusals as form errors, roles,
and the client's accept / reject in the portal (scoped to its own contracts)."""

from __future__ import annotations

import sqlalchemy as sa

from ops.contracts.models import ContractAmendment
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.factories import TAX_IDS


def _form(effective_on: str, seats: int = 3, rate: str = "5000.00", reason: str = "双十一加席") -> dict:
    return {
        "effective_on": effective_on,
        "reason": reason,
        "seats-0-scope": "presales",
        "seats-0-shift": "day",
        "seats-0-seats": str(seats),
        "seats-0-monthly_rate": rate,
        "seats-1-scope": "aftersales",
        "seats-1-shift": "night",
        "seats-1-seats": "0",
        "seats-1-monthly_rate": "",
    }


def _amendments(db) -> list[ContractAmendment]:
    return db.session.scalars(sa.select(ContractAmendment).order_by(ContractAmendment.id)).all()


def test_sales_drafts_sends_and_the_contract_page_lists_it(client, login_as, db):
    login_as("sales")
    contract = make_contract(db)
    page = client.get(f"/contracts/{contract.id}/amendments")
    assert page.status_code == 200 and "新建补充协议" in page.get_data(as_text=True)
    response = client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-10-16"))
    assert response.status_code == 302
    (amendment,) = _amendments(db)
    assert amendment.number == f"{contract.number}-B1" and amendment.status == "draft"
    assert amendment.terms["seats"] == [
        {"scope": "presales", "shift": "day", "seats": 3, "monthly_rate_fen": 500_000}
    ]
    edited = client.post(
        f"/contracts/{contract.id}/amendments/{amendment.id}/edit", data=_form("2026-10-16", rate="5200.00")
    )
    assert edited.status_code == 302
    db.session.refresh(amendment)
    assert amendment.terms["seats"][0]["monthly_rate_fen"] == 520_000
    assert client.post(f"/contracts/{contract.id}/amendments/{amendment.id}/send").status_code == 302
    db.session.refresh(amendment)
    assert (
        amendment.status == "sent" and amendment.pdf.startswith(b"%PDF") and len(amendment.pdf_sha256) == 64
    )
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert amendment.number in html and "待客户确认" in html
    pdf = client.get(f"/contracts/{contract.id}/amendments/{amendment.id}/pdf")
    assert pdf.status_code == 200 and pdf.data == amendment.pdf


def test_refusals_come_back_as_form_errors(client, login_as, db):
    login_as("manager")
    contract = make_contract(db)
    issued_for(db, contract, "2026-09")
    response = client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-09-20"))
    assert response.status_code == 200
    assert "不能改写已开票的期间" in response.get_data(as_text=True)
    no_rate = client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-10-16", rate=""))
    assert no_rate.status_code == 200 and "有席位的行请填写每席月单价" in no_rate.get_data(as_text=True)
    assert client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-10-16")).status_code == 302
    second = client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-11-01"))
    assert second.status_code == 200 and "已有一份未完成的补充协议" in second.get_data(as_text=True)
    assert len(_amendments(db)) == 1


def test_a_contract_not_active_takes_no_amendment(client, login_as, db):
    login_as("sales")
    contract = make_contract(db, status="pending_signature")
    response = client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-10-16"))
    assert response.status_code == 302 and _amendments(db) == []


def test_trainers_and_finance_may_not_draft_and_only_managers_accept_for_the_client(client, login_as, db):
    contract = make_contract(db)
    for role in ("trainer", "finance"):
        login_as(role)
        assert (
            client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-10-16")).status_code == 403
        )
        client.post("/logout")
    login_as("sales")
    client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-10-16"))
    (amendment,) = _amendments(db)
    client.post(f"/contracts/{contract.id}/amendments/{amendment.id}/send")
    url = f"/contracts/{contract.id}/amendments/{amendment.id}/accept"
    assert client.post(url, data={"note": "客户电话确认"}).status_code == 403
    client.post("/logout")
    login_as("manager")
    assert client.post(url, data={"note": "客户电话确认"}).status_code == 302
    db.session.refresh(amendment)
    assert amendment.status == "accepted" and amendment.decision_note == "客户电话确认"


def _sent(client, login_as, db, contract) -> ContractAmendment:
    login_as("sales")
    client.post(f"/contracts/{contract.id}/amendments", data=_form("2026-10-16"))
    amendment = _amendments(db)[-1]
    client.post(f"/contracts/{contract.id}/amendments/{amendment.id}/send")
    client.post("/logout")
    return amendment


def test_the_client_accepts_its_own_amendment_in_the_portal(client, login_as, db):
    contract = make_contract(db)
    amendment = _sent(client, login_as, db, contract)
    login_as("client", client_id=contract.client_id)
    page = client.get(f"/portal/contracts/{contract.id}").get_data(as_text=True)
    assert amendment.number in page and "确认补充协议" in page
    base = f"/portal/contracts/{contract.id}/amendments/{amendment.id}"
    assert client.get(f"{base}/pdf").status_code == 200
    assert client.post(f"{base}/accept", data={"comment": ""}).status_code == 302
    db.session.refresh(amendment)
    assert amendment.status == "accepted"


def test_the_client_rejects_with_a_reason_and_never_reaches_another_clients(client, login_as, db):
    mine = make_contract(db)
    other = make_contract(
        db,
        make_billing_client(db, name="上海另一家旗舰店", legal_name="上海另一家有限公司", tax_id=TAX_IDS[2]),
    )
    theirs = _sent(client, login_as, db, other)
    amendment = _sent(client, login_as, db, mine)
    login_as("client", client_id=mine.client_id)
    base = f"/portal/contracts/{mine.id}/amendments/{amendment.id}"
    assert client.post(f"{base}/reject", data={"comment": ""}).status_code == 302  # refused: no reason
    db.session.refresh(amendment)
    assert amendment.status == "sent"
    assert client.post(f"{base}/reject", data={"comment": "预算不够"}).status_code == 302
    db.session.refresh(amendment)
    assert amendment.status == "rejected" and amendment.decision_note == "预算不够"
    # Another client's amendment: 404 on every route, also through the client's own contract id.
    for url in (
        f"/portal/contracts/{other.id}/amendments/{theirs.id}/accept",
        f"/portal/contracts/{mine.id}/amendments/{theirs.id}/accept",
    ):
        assert client.post(url, data={"comment": "越权"}).status_code == 404
    assert client.get(f"/portal/contracts/{other.id}/amendments/{theirs.id}/pdf").status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "sent"
