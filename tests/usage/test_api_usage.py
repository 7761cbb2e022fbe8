"""POST /api/v1/usage: bearer tokens, RFC 9457 problems, all-or-nothing batches."""

import json

import sqlalchemy as sa

from ops.auth.models import ApiToken
from ops.auth.tokens import create_token, revoke_token
from ops.usage.models import UsageDaily, UsageImport
from tests.factories import make_client
from tests.usage.usage_helpers import usage_count

URL = "/api/v1/usage"


def row(client_id, **fields):
    values = {
        "client_id": client_id,
        "date": "2026-10-01",
        "platform": "tmall",
        "consults": 120,
        "valid_consults": 100,
        "served_gmv_fen": 1_234_500,
        "refunds_fen": 0,
        "first_response_seconds": 12.5,
        "reply_3min_rate": 92.5,
    }
    values.update(fields)
    return values


def post(client, secret, body):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data=data, headers=headers, content_type="application/json")


def make_token(db, client_id=None):
    token, secret = create_token("ERP 推送", client_id)
    db.session.commit()
    return token, secret


def assert_problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"] == "about:blank" and body["title"] and body["detail"]
    return body


def test_missing_token_is_401_problem_not_a_login_redirect(client, db):
    response = post(client, None, {"rows": []})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Location" not in response.headers


def test_bad_and_revoked_tokens_are_401(client, db):
    shop = make_client(db)
    response = post(client, "ops_not-a-real-token", {"rows": [row(shop.id)]})
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    token, secret = make_token(db)
    revoke_token(token)
    db.session.commit()
    assert_problem(post(client, secret, {"rows": [row(shop.id)]}), 401)
    response = client.post(URL, data="{}", headers={"Authorization": f"Basic {secret}"})
    assert_problem(response, 401)
    assert usage_count(db) == 0


def test_good_batch_is_stored_and_counted(client, db):
    shop = make_client(db)
    token, secret = make_token(db)
    body = {
        "rows": [
            row(shop.id),
            row(shop.id, date="2026-10-02", platform="京东", served_gmv_fen=0, inquiry_conversion="23.5%"),
        ]
    }
    response = post(client, secret, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"inserted": 2, "updated": 0, "unchanged": 0}
    stored = db.session.scalar(sa.select(UsageDaily).where(UsageDaily.platform == "tmall"))
    # 1,234,500 fen as sent; 12.5 s = 12,500 ms; 92.5 % = 9250 bp
    assert (stored.served_gmv_fen, stored.first_response_ms, stored.reply_3min_bp) == (
        1_234_500,
        12_500,
        9250,
    )
    assert (
        db.session.scalar(sa.select(UsageDaily.inquiry_conversion_bp).where(UsageDaily.platform == "jd"))
        == 2350
    )
    record = db.session.scalar(sa.select(UsageImport))
    assert record.source == "api" and record.token_id == token.id
    db.session.refresh(token)
    assert token.last_used_at is not None
    again = post(
        client,
        secret,
        {
            "rows": [
                row(shop.id),
                row(shop.id, date="2026-10-02", platform="jd", served_gmv_fen=5, inquiry_conversion=23.5),
            ]
        },
    )
    assert again.get_json() == {"inserted": 0, "updated": 1, "unchanged": 1}


def test_malformed_json_and_wrong_shape_are_400(client, db):
    _token, secret = make_token(db)
    assert_problem(post(client, secret, "{not json"), 400)
    assert_problem(post(client, secret, {"data": []}), 400)
    assert_problem(post(client, secret, {"rows": "x"}), 400)
    assert_problem(post(client, secret, {"rows": []}), 400)
    assert_problem(post(client, secret, {"rows": [1, 2]}), 400)


def test_bad_row_is_422_with_the_row_and_nothing_is_stored(client, db):
    shop = make_client(db)
    _token, secret = make_token(db)
    body = {
        "rows": [
            row(shop.id),
            row(shop.id, date="2026-10-02", valid_consults=130),
            row(shop.id, date="2026-10-03", served_gmv_fen=12.5, colour="red"),
        ]
    }
    response = post(client, secret, body)
    problem = assert_problem(response, 422)
    assert {(e["row"], e["field"]) for e in problem["errors"]} == {
        (2, "valid_consults"),
        (3, "served_gmv_fen"),
        (3, "colour"),
    }
    assert all(e["message"] for e in problem["errors"])
    assert usage_count(db) == 0


def test_unknown_client_is_a_row_error(client, db):
    _token, secret = make_token(db)
    problem = assert_problem(post(client, secret, {"rows": [row(424242)]}), 422)
    assert problem["errors"] == [{"row": 1, "field": "client_id", "message": "客户编号 424242 不存在"}]


def test_too_many_rows_is_413(client, db):
    shop = make_client(db)
    _token, secret = make_token(db)
    assert_problem(post(client, secret, {"rows": [row(shop.id)] * 5001}), 413)
    assert usage_count(db) == 0


def test_client_scoped_token_cannot_post_another_clients_rows(client, db):
    mine = make_client(db, name="晨光")
    other = make_client(db, name="南极人", tax_id=None)
    _token, secret = make_token(db, client_id=mine.id)
    problem = assert_problem(post(client, secret, {"rows": [row(mine.id), row(other.id), row(987654)]}), 422)
    assert [(e["row"], e["message"]) for e in problem["errors"]] == [
        (2, "该令牌只能提交所属客户的数据"),
        (3, "该令牌只能提交所属客户的数据"),
    ]
    assert usage_count(db) == 0
    # Its own rows go in, and client_id may be left out.
    own = {k: v for k, v in row(mine.id).items() if k != "client_id"}
    response = post(client, secret, {"rows": [own]})
    assert response.get_json() == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert db.session.scalar(sa.select(UsageDaily.client_id)) == mine.id


def test_tokens_are_stored_hashed(db):
    token, secret = make_token(db)
    raw = db.session.execute(sa.text("SELECT prefix, token_hash FROM api_tokens")).one()
    assert secret.startswith("ops_") and len(secret) > 40
    assert raw.prefix == secret[:12]
    assert secret not in raw.token_hash and len(raw.token_hash) == 64
    import hashlib

    assert raw.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
