"""The admin pages: create (the secret shown once, stored encrypted), the SSRF refusal on the form,
edit, disable / enable, rotate, delete, the list's filters."""

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.errors import NotAllowed
from ops.webhooks import services
from ops.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.webhooks.helpers import reload, subscribe

PUBLIC = "http://93.184.216.34/hooks"  # an address literal: no DNS in the tests


def _subscriptions(db) -> list[WebhookSubscription]:
    return list(db.session.scalars(sa.select(WebhookSubscription).order_by(WebhookSubscription.id)))


def _actions(db) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action.like("webhook.%")).order_by(AuditEntry.id)
        )
    )


def test_create_shows_the_secret_once_and_stores_it_encrypted(client, login_as, db):
    admin = login_as("admin")
    page = client.post(
        "/admin/webhooks/new",
        data={"url": PUBLIC, "description": "财务系统", "event_types": ["invoice.issued", "invoice.paid"]},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "只显示这一次" in html
    [subscription] = _subscriptions(db)
    secret = services.secret_of(subscription)
    assert secret.startswith("whsec_") and secret in html
    assert secret not in subscription.secret_ciphertext and subscription.secret_hint == secret[:10] + "…"
    assert (
        subscription.event_types == ["invoice.issued", "invoice.paid"] and subscription.owner_id == admin.id
    )
    assert subscription.enabled and not subscription.allow_private
    assert _actions(db) == ["webhook.created"]

    detail = client.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    assert secret not in detail and subscription.secret_hint in detail  # never shown again


def test_a_private_address_is_refused_on_the_form_unless_allowed(client, login_as, db):
    login_as("admin")
    for url in (
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
    ):
        page = client.post("/admin/webhooks/new", data={"url": url, "event_types": ["invoice.paid"]})
        assert page.status_code == 200 and "只允许公网地址" in page.get_data(as_text=True), url
    assert _subscriptions(db) == [] and _actions(db) == []

    page = client.post(
        "/admin/webhooks/new",
        data={"url": "http://127.0.0.1:8080/x", "event_types": ["invoice.paid"], "allow_private": "y"},
    )
    assert "只显示这一次" in page.get_data(as_text=True)
    [subscription] = _subscriptions(db)
    assert subscription.allow_private


def test_https_only_in_production_and_at_least_one_event(client, login_as, db, app, monkeypatch):
    login_as("admin")
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_HTTP", False)
    page = client.post("/admin/webhooks/new", data={"url": PUBLIC, "event_types": ["invoice.paid"]})
    assert "地址必须以 https:// 开头" in page.get_data(as_text=True)
    page = client.post("/admin/webhooks/new", data={"url": "https://93.184.216.34/x"})
    assert "请至少选择一种事件" in page.get_data(as_text=True)
    page = client.post(
        "/admin/webhooks/new", data={"url": "https://93.184.216.34/x", "event_types": ["user.deleted"]}
    )
    assert page.status_code == 200 and _subscriptions(db) == []


def test_edit_disable_enable_rotate_delete(client, login_as, db):
    admin = login_as("admin")
    subscription, secret = subscribe(admin, PUBLIC, ["invoice.paid"], allow_private=False)
    base = f"/admin/webhooks/{subscription.id}"

    response = client.post(f"{base}/edit", data={"url": PUBLIC + "/v2", "event_types": ["invoice.voided"]})
    assert response.status_code == 302
    subscription = reload(subscription)
    assert subscription.url == PUBLIC + "/v2" and subscription.event_types == ["invoice.voided"]

    refused = client.post(f"{base}/disable", data={"reason": " "}, follow_redirects=True)
    assert "停用需要填写原因" in refused.get_data(as_text=True) and reload(subscription).enabled
    client.post(f"{base}/disable", data={"reason": "接收端迁移中"})
    subscription = reload(subscription)
    assert not subscription.enabled and subscription.disabled_reason == "接收端迁移中"
    assert "接收端迁移中" in client.get("/admin/webhooks/?state=disabled").get_data(as_text=True)
    assert "还没有 Webhook" in client.get("/admin/webhooks/?state=enabled").get_data(as_text=True)
    client.post(f"{base}/enable")
    subscription = reload(subscription)
    assert subscription.enabled and subscription.disabled_reason == "" and subscription.failing_since is None

    page = client.post(f"{base}/rotate").get_data(as_text=True)
    new_secret = services.secret_of(reload(subscription))
    assert new_secret != secret and new_secret in page and secret not in page

    db.session.add(
        WebhookDelivery(
            subscription_id=subscription.id, event_type="invoice.voided", msg_id="msg_1", body="{}"
        )
    )
    db.session.commit()
    response = client.post(f"{base}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/webhooks/")
    assert _subscriptions(db) == [] and db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 0
    assert _actions(db) == [
        "webhook.created",
        "webhook.updated",
        "webhook.disabled",
        "webhook.enabled",
        "webhook.secret_rotated",
        "webhook.deleted",
    ]


def test_the_list_searches_and_the_pages_render(client, login_as, db):
    admin = login_as("admin")
    subscribe(admin, PUBLIC, ["invoice.paid"], allow_private=False)
    subscription, _secret = subscribe(admin, "http://93.184.216.35/erp", ["quote.sent"], allow_private=False)
    html = client.get("/admin/webhooks/?q=erp").get_data(as_text=True)
    assert "93.184.216.35/erp" in html and "93.184.216.34/hooks" not in html
    for url in (
        "/admin/webhooks/",
        "/admin/webhooks/new",
        f"/admin/webhooks/{subscription.id}",
        f"/admin/webhooks/{subscription.id}/edit",
        "/admin/webhooks/deliveries?status=failed&event=invoice.paid",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/webhooks/999999").status_code == 404


def test_only_an_admin_may_manage_webhooks_even_through_the_service(db, make_user):
    manager = make_user("manager")
    with pytest.raises(NotAllowed):
        services.create_subscription(PUBLIC, ["invoice.paid"], allow_private=True, by=manager)
