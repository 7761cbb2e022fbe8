"""Webhooks against gunicorn (several workers): a subscription disabled by six admins at once is
disabled once (checked under its row lock), and the others are told it already is."""

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.webhooks import services
from ops.webhooks.models import WebhookSubscription
from tests.live import browsers, parallel


def test_parallel_disable_disables_once(db, make_user, live_server):
    owner = make_user("admin", username="owner")
    subscription, _secret = services.create_subscription(
        "http://93.184.216.34/hooks", ["invoice.paid"], allow_private=False, by=owner
    )
    db.session.commit()
    subscription_id = subscription.id
    page = f"/admin/webhooks/{subscription_id}"
    clients, tokens = browsers(live_server, make_user, "admin", "adm", 6, page)

    def disable(i):
        return (
            clients[i].post_form(f"{page}/disable", {"csrf_token": tokens[i], "reason": f"迁移 {i}"}).status
        )

    assert parallel(6, disable) == [302] * 6  # one disabled it; the others were told, not given a 500
    db.session.expire_all()
    row = db.session.get(WebhookSubscription, subscription_id)
    audits = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "webhook.disabled", AuditEntry.object_id == row.id)
    ).all()
    assert not row.enabled and len(audits) == 1 and audits[0].summary == row.disabled_reason
    pages = [c.get(page).text for c in clients]
    assert sum("该 Webhook 已停用。" in p for p in pages) == 5
