"""Admin pages for API tokens."""

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.auth.models import ApiToken
from tests.factories import make_client


@pytest.mark.parametrize("role", ["manager", "finance", "sales", "trainer", "client"])
def test_only_admins_manage_tokens(client, login_as, db, role):
    login_as(role)
    assert client.get("/admin/api-tokens/").status_code == 403
    assert client.get("/admin/api-tokens/new").status_code == 403
    assert client.post("/admin/api-tokens/new", data={"name": "x", "client_id": "0"}).status_code == 403
    assert client.post("/admin/api-tokens/1/revoke").status_code == 403


def test_admin_creates_a_token_and_sees_the_secret_once(client, login_as, db):
    login_as("admin")
    shop = make_client(db, name="晨光")
    response = client.post(
        "/admin/api-tokens/new", data={"name": "晨光 ERP", "client_id": str(shop.id), "scopes": "usage:write"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = html.split('id="token-secret" type="text" value="')[1].split('"')[0]
    assert secret.startswith("ops_") and "只显示这一次" in html
    token = db.session.scalar(sa.select(ApiToken))
    assert token.client_id == shop.id and token.name == "晨光 ERP" and secret not in token.token_hash
    listing = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert (
        "晨光 ERP" in listing and token.prefix in listing and secret not in listing and "从未使用" in listing
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "api_token.created"))
    assert secret not in str(entry.after) and secret not in entry.summary


def test_staff_scope_and_empty_name(client, login_as, db):
    login_as("admin")
    html = client.post("/admin/api-tokens/new", data={"name": "", "client_id": "0"}).get_data(as_text=True)
    assert "请填写令牌名称" in html
    client.post("/admin/api-tokens/new", data={"name": "数据中台", "client_id": "0", "scopes": "usage:write"})
    token = db.session.scalar(sa.select(ApiToken))
    assert token.client_id is None
    assert "员工" in client.get("/admin/api-tokens/").get_data(as_text=True)


def test_revoke_asks_for_confirmation_and_stops_the_token(client, login_as, db):
    login_as("admin")
    client.post("/admin/api-tokens/new", data={"name": "旧系统", "client_id": "0", "scopes": "usage:write"})
    token = db.session.scalar(sa.select(ApiToken))
    listing = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert f'action="/admin/api-tokens/{token.id}/revoke"' in listing and "data-confirm=" in listing
    response = client.post(f"/admin/api-tokens/{token.id}/revoke", follow_redirects=True)
    assert "已吊销" in response.get_data(as_text=True)
    db.session.refresh(token)
    assert token.revoked_at is not None
    again = client.post(f"/admin/api-tokens/{token.id}/revoke", follow_redirects=True)
    assert "该令牌已被吊销" in again.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "api_token.revoked")
        )
        == 1
    )


def test_scopes_are_chosen_on_the_page_and_shown_in_the_list(client, login_as, db):
    shop = make_client(db)
    login_as("admin")
    html = client.post(
        "/admin/api-tokens/new",
        data={"name": "晨光", "client_id": str(shop.id), "scopes": ["read", "billing:write"]},
    ).get_data(as_text=True)
    assert "客户令牌只能读取数据和提交用量" in html and db.session.scalar(sa.select(ApiToken)) is None
    html = client.post("/admin/api-tokens/new", data={"name": "财务系统", "client_id": "0"}).get_data(
        as_text=True
    )
    assert "请至少选择一项权限" in html and db.session.scalar(sa.select(ApiToken)) is None
    client.post(
        "/admin/api-tokens/new",
        data={"name": "财务系统", "client_id": "0", "scopes": ["read", "billing:write"]},
    )
    token = db.session.scalar(sa.select(ApiToken))
    assert token.scopes == "read billing:write"
    listing = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert ">read</span>" in listing and ">billing:write</span>" in listing
