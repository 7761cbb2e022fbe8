"""The API's behaviour: cursor pagination, updated_since, ETag/304, If-Match/412, idempotent and
bounded payments (amounts worked out by hand), agents in bulk (all or nothing), rate limits, the PDF
while pending, token scopes at creation and in the database, and the tokens CLI."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ops.audit.models import AuditEntry
from ops.auth.models import ApiToken
from ops.auth.tokens import TokenError, create_token
from ops.billing.models import Invoice, Payment
from ops.clients.models import Client
from ops.onboarding.models import Agent
from tests.billing.helpers import issued_for, make_contract
from tests.factories import make_client

ALL = ["read", "usage:write", "clients:write", "billing:write"]


def bearer(secret: str, **extra) -> dict:
    return {"Authorization": f"Bearer {secret}"} | extra


@pytest.fixture
def staff(db):
    """A staff token holding every scope."""
    _token, secret = create_token("测试 ERP", None, scopes=ALL)
    db.session.commit()
    return secret


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- lists ------------------------------------------------------------------------------------


def test_cursor_pagination_walks_every_row_once(client, db, staff):
    ids = {make_client(db, name=f"客户{n}", shops=[]).id for n in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/clients?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=bearer(staff)).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3  # 3 + 3 + 1
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) == 7


def test_a_cursor_the_api_did_not_make_and_a_limit_too_large_are_422(client, db, staff):
    body = assert_problem(client.get("/api/v1/clients?cursor=not-ours", headers=bearer(staff)), 422)
    assert body["errors"][0]["field"] == "cursor"
    body = assert_problem(client.get("/api/v1/clients?limit=201", headers=bearer(staff)), 422)
    assert [e["field"] for e in body["errors"]] == ["limit"]


def test_updated_since_keeps_only_later_changes(client, db, staff):
    old = make_client(db, name="老客户", shops=[])
    new = make_client(db, name="新客户", shops=[])
    old.updated_at = datetime(2026, 1, 1, tzinfo=UTC)
    new.updated_at = datetime(2026, 6, 1, tzinfo=UTC)
    db.session.commit()
    body = client.get(
        "/api/v1/clients?updated_since=2026-03-01T00:00:00%2B08:00", headers=bearer(staff)
    ).get_json()
    assert [item["id"] for item in body["items"]] == [new.id]


# --- ETag, If-None-Match, If-Match ---------------------------------------------------------------


def test_etag_and_if_none_match(client, db, staff):
    shop = make_client(db, shops=[])
    first = client.get(f"/api/v1/clients/{shop.id}", headers=bearer(staff))
    tag = first.headers["ETag"]
    assert tag.startswith('"') and not tag.startswith("W/")  # strong
    again = client.get(f"/api/v1/clients/{shop.id}", headers=bearer(staff, **{"If-None-Match": tag}))
    assert again.status_code == 304 and again.get_data() == b""
    client.patch(f"/api/v1/clients/{shop.id}", json={"notes": "改了"}, headers=bearer(staff))
    changed = client.get(f"/api/v1/clients/{shop.id}", headers=bearer(staff, **{"If-None-Match": tag}))
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_a_stale_if_match_is_412_and_changes_nothing(client, db, staff):
    shop = make_client(db, shops=[])
    tag = client.get(f"/api/v1/clients/{shop.id}", headers=bearer(staff)).headers["ETag"]
    client.patch(f"/api/v1/clients/{shop.id}", json={"notes": "别人先改了"}, headers=bearer(staff))
    stale = client.patch(
        f"/api/v1/clients/{shop.id}", json={"notes": "我的修改"}, headers=bearer(staff, **{"If-Match": tag})
    )
    assert_problem(stale, 412)
    db.session.expire_all()
    assert db.session.get(Client, shop.id).notes == "别人先改了"
    current = client.get(f"/api/v1/clients/{shop.id}", headers=bearer(staff)).headers["ETag"]
    ok = client.patch(
        f"/api/v1/clients/{shop.id}",
        json={"notes": "我的修改"},
        headers=bearer(staff, **{"If-Match": current}),
    )
    assert ok.status_code == 200 and ok.get_json()["notes"] == "我的修改"


def test_an_update_through_the_api_is_audited_with_the_token(client, db, staff):
    shop = make_client(db, shops=[])
    client.patch(f"/api/v1/clients/{shop.id}", json={"phone": "010-12345678"}, headers=bearer(staff))
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.updated"))
    assert entry.actor.startswith("API 令牌 测试 ERP（ops_")
    assert entry.after == {"phone": "010-12345678"}


def test_bad_input_is_a_422_listing_fields_and_changes_nothing(client, db, staff):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Client))
    body = assert_problem(
        client.post(
            "/api/v1/clients", json={"name": "x", "tax_id": "123", "colour": "red"}, headers=bearer(staff)
        ),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"colour"}  # unknown field refused before the service
    body = assert_problem(
        client.post("/api/v1/clients", json={"name": "x", "tax_id": "123"}, headers=bearer(staff)), 422
    )
    assert body["errors"][0]["field"] == "tax_id"  # the service's own refusal (checksum)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == before


# --- payments -------------------------------------------------------------------------------------


def pay(client, secret, invoice_id, amount_fen, key=None):
    headers = bearer(secret, **({"Idempotency-Key": key} if key else {}))
    body = {"invoice_id": invoice_id, "amount_fen": amount_fen, "paid_on": "2026-10-03", "method": "银行转账"}
    return client.post("/api/v1/payments", json=body, headers=headers)


def test_a_retried_payment_with_the_same_idempotency_key_records_once(client, db, staff):
    invoice = issued_for(db, make_contract(db))  # 2 seats × ¥5,000.00 = ¥10,000.00 (tax included)
    key = "erp-payment-000000001"
    first = pay(client, staff, invoice.id, 400_000, key)
    again = pay(client, staff, invoice.id, 400_000, key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    assert db.session.get(Invoice, invoice.id).paid_fen == 400_000
    # A different key is a different payment: ¥4,000.00 + ¥4,000.00 = ¥8,000.00 paid
    assert pay(client, staff, invoice.id, 400_000, "erp-payment-000000002").status_code == 201
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).paid_fen == 800_000


def test_a_retry_is_answered_with_its_own_payment_and_a_reused_key_is_a_conflict(client, db, staff):
    invoice = issued_for(db, make_contract(db))  # total ¥10,000.00
    other = issued_for(db, make_contract(db, client=make_client(db, name="另一家", shops=[])))
    key = "erp-payment-000000010"
    first = pay(client, staff, invoice.id, 100_000, key).get_json()
    assert pay(client, staff, invoice.id, 100_000).status_code == 201  # the same amount again, no key
    again = pay(client, staff, invoice.id, 100_000, key)
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]  # its own, not the latest
    assert_problem(pay(client, staff, other.id, 100_000, key), 409)  # the key with another invoice
    assert_problem(pay(client, staff, invoice.id, 200_000, key), 409)  # … or another amount
    db.session.expire_all()
    # ¥1,000.00 + ¥1,000.00 recorded, nothing on the other invoice
    assert db.session.get(Invoice, invoice.id).paid_fen == 200_000
    assert db.session.get(Invoice, other.id).paid_fen == 0


def test_a_payment_beyond_the_balance_is_refused(client, db, staff):
    invoice = issued_for(db, make_contract(db))  # total ¥10,000.00
    assert_problem(pay(client, staff, invoice.id, 1_000_001), 422)  # ¥10,000.01 > ¥10,000.00
    assert pay(client, staff, invoice.id, 400_000).status_code == 201  # balance ¥6,000.00 left
    body = assert_problem(pay(client, staff, invoice.id, 600_001), 422)
    assert "¥6,000.00" in body["detail"]
    assert pay(client, staff, invoice.id, 600_000).status_code == 201
    got = client.get(f"/api/v1/invoices/{invoice.id}", headers=bearer(staff)).get_json()
    assert (got["status"], got["paid_fen"], got["balance_fen"]) == ("paid", 1_000_000, 0)


def test_statement_balances_by_hand(client, db, staff):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 1))  # ¥10,000.00 owed
    pay(client, staff, invoice.id, 250_000)  # ¥2,500.00 paid on 2026-10-03
    url = f"/api/v1/clients/{invoice.client_id}/statement?start=2026-10-01&end=2026-10-31"
    body = client.get(url, headers=bearer(staff)).get_json()
    assert (body["opening_fen"], body["debits_fen"], body["credits_fen"], body["closing_fen"]) == (
        0,
        1_000_000,
        250_000,
        750_000,  # 10,000.00 − 2,500.00
    )
    assert [line["kind"] for line in body["lines"]] == ["invoice", "payment"]


def test_the_pdf_while_it_is_still_pending_is_a_409_with_retry_after(client, db, staff):
    invoice = issued_for(db, make_contract(db))
    stored = client.get(f"/api/v1/invoices/{invoice.id}/pdf", headers=bearer(staff))
    assert stored.status_code == 200 and stored.mimetype == "application/pdf"
    assert stored.get_data().startswith(b"%PDF")
    db.session.execute(sa.update(Invoice).where(Invoice.id == invoice.id).values(pdf_sha256=None, pdf=None))
    db.session.commit()
    pending = client.get(f"/api/v1/invoices/{invoice.id}/pdf", headers=bearer(staff))
    assert_problem(pending, 409)
    assert pending.headers["Retry-After"] == "5"


# --- agents in bulk ---------------------------------------------------------------------------


def test_agents_in_bulk_are_all_or_nothing_with_per_row_errors(client, db, staff):
    db.session.add(Agent(name="老员工", employee_no="K001"))
    db.session.commit()
    rows = [
        {"name": "王芳", "employee_no": "K002"},
        {"name": "李雷", "employee_no": "k001"},  # taken by 老员工 (case does not matter)
        {"name": "韩梅", "employee_no": "K002"},  # the first row's number again
    ]
    body = assert_problem(
        client.post("/api/v1/agents/bulk", json={"agents": rows}, headers=bearer(staff)), 422
    )
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "employee_no"), (3, "employee_no")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agent)) == 1
    rows[1]["employee_no"], rows[2]["employee_no"] = "K003", "K004"
    made = client.post("/api/v1/agents/bulk", json={"agents": rows}, headers=bearer(staff))
    assert made.status_code == 201
    assert [a["name"] for a in made.get_json()["created"]] == ["王芳", "李雷", "韩梅"]
    assert "phone" not in made.get_json()["created"][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agent)) == 4


# --- tokens -------------------------------------------------------------------------------------


def test_a_client_token_may_not_hold_staff_scopes(db):
    shop = make_client(db, shops=[])
    for scope in ("clients:write", "billing:write"):
        with pytest.raises(TokenError, match="客户令牌只能读取数据和提交用量"):
            create_token("客户令牌", shop.id, scopes=["read", scope])
        db.session.rollback()
    with pytest.raises(TokenError, match="未知的权限"):
        create_token("员工令牌", None, scopes=["admin"])
    db.session.rollback()


def test_the_database_refuses_a_client_token_with_a_staff_scope(db):
    shop = make_client(db, shops=[])
    token, _secret = create_token("客户令牌", shop.id, scopes=["read"])
    db.session.commit()
    token.scopes = "read billing:write"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_tokens_made_before_scopes_hold_usage_write_only(client, db):
    _token, secret = create_token("旧令牌", None)  # no scopes given: what every older token could do
    db.session.commit()
    assert _token.scopes == "usage:write"
    assert_problem(client.get("/api/v1/clients", headers=bearer(secret)), 403)


def test_the_rate_limit_answers_429_with_retry_after(app, client, db, staff):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    try:
        # One allowance per token across every operation.
        urls = ("/api/v1/clients", "/api/v1/invoices", "/api/v1/agents")
        assert [client.get(url, headers=bearer(staff)).status_code for url in urls] == [200, 200, 429]
        limited = client.get("/api/v1/clients", headers=bearer(staff))
        assert_problem(limited, 429)
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        # Another token has its own allowance.
        _t, other = create_token("另一个", None, scopes=["read"])
        db.session.commit()
        assert client.get("/api/v1/clients", headers=bearer(other)).status_code == 200
    finally:
        app.config["API_RATE_LIMIT"] = "100000 per minute"


def test_tokens_cli_creates_lists_and_revokes(runner, db):
    shop = make_client(db, shops=[])
    result = runner.invoke(
        args=[
            "tokens",
            "create",
            "晨光 ERP",
            "--client",
            str(shop.id),
            "--scope",
            "read",
            "--scope",
            "usage:write",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    token = db.session.scalar(sa.select(ApiToken))
    assert (
        secret.startswith(token.prefix) and token.scopes == "read usage:write" and token.client_id == shop.id
    )
    listed = runner.invoke(args=["tokens", "list"])
    assert token.prefix in listed.output and secret not in listed.output
    refused = runner.invoke(
        args=["tokens", "create", "x", "--client", str(shop.id), "--scope", "billing:write"]
    )
    assert refused.exit_code != 0 and "客户令牌只能读取数据和提交用量" in refused.output
    assert runner.invoke(args=["tokens", "revoke", str(token.id)]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.in_(("api_token.created", "api_token.revoked")))
        )
        == 2
    )


def test_an_id_beyond_any_integer_key_is_404_not_a_database_error(client, db, staff):
    for url in (
        "/api/v1/clients/9223372036854775806",
        "/api/v1/agents/2147483648",
        "/api/v1/invoices/2147483648/pdf",
    ):
        assert_problem(client.get(url, headers=bearer(staff)), 404)
