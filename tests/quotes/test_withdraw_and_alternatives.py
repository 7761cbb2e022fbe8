"""Withdrawn quotes and alternatives: through HTTP as the roles named, with the database checked."""

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.extensions import db as _db
from ops.quotes.models import Quote
from tests.quotes.quote_factories import client_with_needs, make_quote, send


def _reload(quote_id: int) -> Quote:
    _db.session.expire_all()
    return _db.session.get(Quote, quote_id)


def _actions(quote_id: int, action: str) -> list[AuditEntry]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.object_type == "quotes",
                AuditEntry.object_id == quote_id,
                AuditEntry.action == action,
            )
        )
    )


def test_sales_withdraws_a_sent_quote_and_the_portal_shows_it_withdrawn(client, login_as, db):
    quote = send(db, make_quote(db))
    login_as("sales")
    response = client.post(f"/quotes/{quote.id}/withdraw", data={"reason": "客户需求有变，重新评估"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/quotes/{quote.id}")
    quote = _reload(quote.id)
    assert quote.status == "withdrawn" and quote.withdrawal_reason == "客户需求有变，重新评估"
    assert quote.withdrawn_at is not None
    assert len(_actions(quote.id, "quote.withdrawn")) == 1
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "已撤回" in html and "客户需求有变" in html

    client.post("/logout")
    login_as("client", client_id=quote.client_id)
    listing = client.get("/portal/quotes").get_data(as_text=True)
    assert quote.number in listing and "已撤回" in listing and "待您确认" not in listing
    page = client.get(f"/portal/quotes/{quote.id}").get_data(as_text=True)
    assert "我们已撤回该报价" in page and f"/portal/quotes/{quote.id}/accept" not in page
    # The portal's accept is refused and the quote stays withdrawn.
    client.post(f"/portal/quotes/{quote.id}/accept", data={"comment": ""})
    assert _reload(quote.id).status == "withdrawn"


def test_manager_withdraws_a_draft_which_the_portal_never_shows(client, login_as, db):
    quote = make_quote(db)
    login_as("manager")
    assert client.post(f"/quotes/{quote.id}/withdraw", data={"reason": "做错了"}).status_code == 302
    assert _reload(quote.id).status == "withdrawn"
    client.post("/logout")
    login_as("client", client_id=quote.client_id)
    assert client.get(f"/portal/quotes/{quote.id}").status_code == 404


def test_withdraw_needs_a_reason_and_answers_with_the_form(client, login_as, db):
    quote = send(db, make_quote(db))
    login_as("sales")
    response = client.post(f"/quotes/{quote.id}/withdraw", data={"reason": "  "})
    assert response.status_code == 200
    assert "请填写撤回原因" in response.get_data(as_text=True)
    assert _reload(quote.id).status == "sent"
    assert _actions(quote.id, "quote.withdrawn") == []


def test_roles_without_the_right_are_refused(client, login_as, db):
    quote = send(db, make_quote(db))
    for role in ("trainer", "finance"):
        login_as(role)
        assert client.post(f"/quotes/{quote.id}/withdraw", data={"reason": "x"}).status_code == 403
        client.post("/logout")
    login_as("client", client_id=quote.client_id)
    assert client.post(f"/quotes/{quote.id}/withdraw", data={"reason": "x"}).status_code == 403
    assert _reload(quote.id).status == "sent"


def test_an_accepted_quote_cannot_be_withdrawn(client, login_as, db):
    quote = send(db, make_quote(db))
    login_as("sales")
    client.post(f"/quotes/{quote.id}/accept", data={"comment": "同意"})
    assert _reload(quote.id).status == "accepted"
    response = client.post(f"/quotes/{quote.id}/withdraw", data={"reason": "反悔"}, follow_redirects=True)
    assert "不能再改为" in response.get_data(as_text=True)
    assert _reload(quote.id).status == "accepted"


def test_accepting_one_alternative_in_the_portal_supersedes_the_others(client, login_as, db):
    customer = client_with_needs(db)
    chosen = send(db, make_quote(db, customer))
    other = send(db, make_quote(db, customer, model="base_commission"))
    draft = make_quote(db, customer, model="per_consult")  # not sent: not an alternative yet
    elsewhere = send(db, make_quote(db, client_with_needs(db, name="另一家店")))
    login_as("client", client_id=customer.id)
    response = client.post(f"/portal/quotes/{chosen.id}/accept", data={"comment": "选这个"})
    assert response.status_code == 302

    assert _reload(chosen.id).status == "accepted"
    other = _reload(other.id)
    assert (other.status, other.superseded_by_id) == ("superseded", chosen.id)
    assert _reload(draft.id).status == "draft"
    assert _reload(elsewhere.id).status == "sent"
    [entry] = _actions(other.id, "quote.superseded_by_alternative")
    assert entry.after["superseded_by_id"] == chosen.id

    listing = client.get("/portal/quotes").get_data(as_text=True)
    assert other.number in listing and "已被另一份报价取代" in listing
    page = client.get(f"/portal/quotes/{other.id}").get_data(as_text=True)
    assert f"/portal/quotes/{chosen.id}" in page and chosen.label in page
    assert f"/portal/quotes/{other.id}/accept" not in page
    # The superseded alternative can no longer be accepted.
    client.post(f"/portal/quotes/{other.id}/accept", data={"comment": ""})
    assert _reload(other.id).status == "superseded"


def test_staff_recording_an_acceptance_supersedes_the_alternatives(client, login_as, db):
    customer = client_with_needs(db)
    first = send(db, make_quote(db, customer))
    second = send(db, make_quote(db, customer, model="base_commission"))
    login_as("sales")
    assert client.post(f"/quotes/{second.id}/accept", data={"comment": "客户电话确认"}).status_code == 302
    first = _reload(first.id)
    assert (first.status, first.superseded_by_id) == ("superseded", second.id)
    html = client.get(f"/quotes/{first.id}").get_data(as_text=True)
    assert "客户已接受另一份报价" in html and f"/quotes/{second.id}" in html
    # The accepted quote's page offers the contract.
    accepted = client.get(f"/quotes/{second.id}").get_data(as_text=True)
    assert f"/contracts/from-quote/{second.id}" in accepted and "生成合同" in accepted
