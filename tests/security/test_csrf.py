"""CSRF: with protection on (as in production), every POST route refuses a request without a token.

Staff routes are posted as an admin (who could otherwise do everything), portal routes as the
client user, each with real object ids: the answer is the 400 page "页面已过期" and no row of any
table changes. The token-authenticated API is exempt and answers 401 problem+json instead.
"""

import json

import pytest
import sqlalchemy as sa
from flask import url_for

from ops.auth.tokens import create_token
from ops.extensions import db
from tests.conftest import login
from tests.security.test_matrix import routes, url_values

API = "api.post_usage"
SHARED = {"auth.change_password", "auth.logout", "main.set_language"}  # every logged-in user posts these


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # restored after the test


def post_rules(app) -> list:
    return sorted((r for r in routes(app).values() if "POST" in r.methods), key=lambda r: r.endpoint)


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


@pytest.mark.parametrize("role", ["admin", "client"])
def test_every_post_route_refuses_a_request_without_token(app, client, world, csrf_on, role):
    if role == "client":
        rules = [r for r in post_rules(app) if r.endpoint.startswith("portal.") or r.endpoint in SHARED]
        assert len(rules) >= 4 + len(SHARED)
    else:
        rules = [
            r for r in post_rules(app) if not r.endpoint.startswith((API, "api_", "portal."))
        ]  # the API authenticates with tokens, never the session: no CSRF (its own tests)
        assert len(rules) >= 60
    app.config["WTF_CSRF_ENABLED"] = False  # log in without a token, then protect
    assert login(client, world.usernames[role]).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True
    before = row_counts(app)
    for rule in rules:
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_values(world, rule, role))
        response = client.post(url, data={"name": "x", "reason": "x", "comment": "x"})
        assert response.status_code == 400, f"{rule.endpoint} {url} -> {response.status_code}"
        assert "页面已过期" in response.get_data(as_text=True), rule.endpoint
    assert row_counts(app) == before


def test_anonymous_posts_without_token_are_refused_too(app, client, world, csrf_on):
    for endpoint in ("auth.login", "main.set_language"):
        with app.test_request_context():
            url = url_for(endpoint)
        response = client.post(
            url, data={"username": world.usernames["admin"], "password": "x", "lang": "en"}
        )
        assert response.status_code == 400, endpoint
        assert "页面已过期" in response.get_data(as_text=True)


def test_a_post_with_the_token_gets_through(app, client, world, csrf_on):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, world.usernames["admin"])
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get(f"/admin/users/{world.ids['user_id']}/edit").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/admin/users/{world.ids['user_id']}/unlock", data={"csrf_token": token})
    assert response.status_code == 302


def test_the_api_is_exempt_and_answers_401_without_a_token(app, client, world, csrf_on):
    before = row_counts(app)
    response = client.post("/api/v1/usage", json={"rows": [{"client_id": world.a.client_id}]})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert row_counts(app) == before

    with app.app_context():
        _token, secret = create_token("CSRF 测试", world.a.client_id)
        db.session.commit()
    response = client.post(
        "/api/v1/usage",
        data=json.dumps({"rows": [{"no_such_field": 1}]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    # Past authentication and never stopped by CSRF: the body itself is judged (an unknown field).
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
