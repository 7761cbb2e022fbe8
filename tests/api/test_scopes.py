"""Scopes and client scoping for every API operation: a matrix like the pages' security matrix.

Every operation under /api/v1 × {no token, revoked, each scope alone, client A's token on A's
objects and on B's} → 401, 403, 404 or allowed. OPERATIONS is checked against the app's URL map:
an operation added without a row here fails ``test_every_operation_has_a_row``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

import pytest
import sqlalchemy as sa

from ops.auth.scopes import CLIENT_TOKEN_SCOPES
from ops.clients.models import ClientContact
from ops.extensions import db

_serial = count(1)


@dataclass(frozen=True)
class Op:
    scope: str
    path: Callable  # (objects of client A or B) -> the URL
    kind: str = "object"  # object: names one client's object; list: filtered by client; global
    body: Callable | None = None  # (objects of client A) -> JSON body
    owned_by: Callable = lambda item, o: item.get("client_id") == o.client_id  # a list item of client o?


def _contact(objects):
    return db.session.scalar(
        sa.select(sa.func.max(ClientContact.id)).where(ClientContact.client_id == objects.client_id)
    )


def _usage_body(o):
    row = {
        "client_id": o.client_id,
        "date": "2026-10-01",
        "platform": "tmall",
        "consults": 10,
        "valid_consults": 8,
    }
    return {"rows": [row]}


OPERATIONS: dict[str, Op] = {
    "GET /api/v1/clients": Op(
        "read", lambda o: "/api/v1/clients", "list", owned_by=lambda i, o: i["id"] == o.client_id
    ),
    "POST /api/v1/clients": Op(
        "clients:write", lambda o: "/api/v1/clients", "global", lambda o: {"name": "矩阵客户"}
    ),
    "GET /api/v1/clients/<int:client_id>": Op("read", lambda o: f"/api/v1/clients/{o.client_id}"),
    "PATCH /api/v1/clients/<int:client_id>": Op(
        "clients:write", lambda o: f"/api/v1/clients/{o.client_id}", body=lambda o: {"notes": "矩阵"}
    ),
    "POST /api/v1/clients/<int:client_id>/contacts": Op(
        "clients:write",
        lambda o: f"/api/v1/clients/{o.client_id}/contacts",
        body=lambda o: {"name": "矩阵联系人"},
    ),
    "GET /api/v1/clients/<int:client_id>/statement": Op(
        "read", lambda o: f"/api/v1/clients/{o.client_id}/statement?start=2026-01-01&end=2026-12-31"
    ),
    "GET /api/v1/contacts": Op("read", lambda o: f"/api/v1/contacts?client_id={o.client_id}", "list"),
    "GET /api/v1/contacts/<int:contact_id>": Op("read", lambda o: f"/api/v1/contacts/{_contact(o)}"),
    "PATCH /api/v1/contacts/<int:contact_id>": Op(
        "clients:write", lambda o: f"/api/v1/contacts/{_contact(o)}", body=lambda o: {"title": "矩阵"}
    ),
    "GET /api/v1/needs": Op("read", lambda o: f"/api/v1/needs?client_id={o.client_id}", "list"),
    "GET /api/v1/quotes": Op("read", lambda o: f"/api/v1/quotes?client_id={o.client_id}", "list"),
    "GET /api/v1/quotes/<int:quote_id>": Op("read", lambda o: f"/api/v1/quotes/{o.quote_id}"),
    "GET /api/v1/contracts": Op("read", lambda o: f"/api/v1/contracts?client_id={o.client_id}", "list"),
    "GET /api/v1/contracts/<int:contract_id>": Op("read", lambda o: f"/api/v1/contracts/{o.contract_id}"),
    "GET /api/v1/contracts/<int:contract_id>/dated-extras": Op(
        "read", lambda o: f"/api/v1/contracts/{o.contract_id}/dated-extras"
    ),
    "POST /api/v1/contracts/<int:contract_id>/dated-extras": Op(
        "billing:write",
        lambda o: f"/api/v1/contracts/{o.contract_id}/dated-extras",
        body=lambda o: {
            "code": "holiday_person_day",
            "start_on": "2026-10-01",
            "end_on": "2026-10-01",
            "headcount": 1,
        },
    ),
    "GET /api/v1/agents": Op(
        "read", lambda o: "/api/v1/agents", "list", owned_by=lambda i, o: i["id"] == o.agent_id
    ),
    "GET /api/v1/agents/<int:agent_id>": Op("read", lambda o: f"/api/v1/agents/{o.agent_id}"),
    "POST /api/v1/agents/bulk": Op(
        "clients:write",
        lambda o: "/api/v1/agents/bulk",
        "global",
        lambda o: {"agents": [{"name": "矩阵客服", "employee_no": f"MX{next(_serial):05d}"}]},
    ),
    "GET /api/v1/assignments": Op("read", lambda o: f"/api/v1/assignments?client_id={o.client_id}", "list"),
    "GET /api/v1/invoices": Op("read", lambda o: f"/api/v1/invoices?client_id={o.client_id}", "list"),
    "GET /api/v1/invoices/<int:invoice_id>": Op("read", lambda o: f"/api/v1/invoices/{o.invoice_id}"),
    "GET /api/v1/invoices/<int:invoice_id>/pdf": Op("read", lambda o: f"/api/v1/invoices/{o.invoice_id}/pdf"),
    "GET /api/v1/invoices/<int:invoice_id>/fapiao": Op(
        "read", lambda o: f"/api/v1/invoices/{o.invoice_id}/fapiao"
    ),
    "GET /api/v1/credit-notes": Op("read", lambda o: f"/api/v1/credit-notes?client_id={o.client_id}", "list"),
    "GET /api/v1/payments": Op("read", lambda o: f"/api/v1/payments?client_id={o.client_id}", "list"),
    "POST /api/v1/payments": Op(
        "billing:write",
        lambda o: "/api/v1/payments",
        "global",
        lambda o: {
            "invoice_id": o.invoice_id,
            "amount_fen": 1,
            "paid_on": "2026-10-05",
            "method": "银行转账",
        },
    ),
    "GET /api/v1/usage/daily": Op("read", lambda o: f"/api/v1/usage/daily?client_id={o.client_id}", "list"),
    "POST /api/v1/usage": Op("usage:write", lambda o: "/api/v1/usage", "global", _usage_body),
}
PUBLIC = {"GET /api/v1/openapi.json", "GET /api/v1/docs"}
TOKEN_KINDS = (
    "none",
    "revoked",
    "read",
    "usage:write",
    "clients:write",
    "billing:write",
    "client:own",
    "client:other",
)


def api_operations(app) -> set[str]:
    return {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_operation_has_a_row(app):
    assert api_operations(app) - PUBLIC == set(OPERATIONS), "add the new operation to OPERATIONS"


def test_each_views_declared_scope_is_the_matrix_scope(app):
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = f"{method} {rule.rule}"
            if key in OPERATIONS:
                assert app.view_functions[rule.endpoint].api_scope == OPERATIONS[key].scope, key


def expected(op: Op, kind: str) -> str:
    """allowed, 401, 403 or 404 (or "filtered": 200 without the other client's rows)."""
    if kind in ("none", "revoked"):
        return "401"
    if kind not in ("client:own", "client:other"):
        return "allowed" if kind == op.scope else "403"
    if op.scope not in CLIENT_TOKEN_SCOPES:
        return "403"
    if kind == "client:own" or op.kind == "global":
        return "allowed"
    return "404" if op.kind == "object" else "filtered"


@pytest.mark.parametrize("kind", TOKEN_KINDS)
@pytest.mark.parametrize("key", sorted(OPERATIONS))
def test_scope_matrix(api_world, client, db, key, kind):
    op = OPERATIONS[key]
    method = key.split(" ", 1)[0]
    world = api_world.world
    objects = world.b if kind == "client:other" else world.a
    secret_kind = {"none": None, "client:own": "client", "client:other": "client"}.get(kind, kind)
    url = op.path(objects)
    body = op.body(world.a) if op.body else None
    response = client.open(url, method=method, json=body, headers=api_world.headers(secret_kind))
    want = expected(op, kind)
    text = response.get_data()[:300]
    if want == "allowed":
        assert response.status_code not in (401, 403, 404, 405), text
        assert response.status_code < 500, text
    elif want == "filtered":
        assert response.status_code == 200, text
        assert not [i for i in response.get_json()["items"] if op.owned_by(i, objects)], text
    else:
        assert response.status_code == int(want), text
        assert response.content_type == "application/problem+json"


def test_client_token_lists_only_its_own_rows(api_world, client, db):
    """Without a filter, a client token's lists hold its client's rows only."""
    own = api_world.world.a.client_id
    for key, op in OPERATIONS.items():
        if op.kind != "list" or not key.startswith("GET") or op.scope != "read":
            continue
        url = op.path(api_world.world.a).split("?")[0]
        response = client.get(url, headers=api_world.headers("client"))
        assert response.status_code == 200, key
        items = response.get_json()["items"]
        assert all(item.get("client_id", own) == own for item in items), key
