"""Subscription actions (admin): create, edit, disable / enable, delete, rotate the secret.

Every one is checked under the subscription's row lock and audited. The URL is checked by the SSRF
guard when it is saved (and again before every send: ``ops.webhooks.delivery``). The secret is
returned once (create, rotate) for the page to show; it is stored encrypted with the vault key.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ops.audit.services import record
from ops.auth.roles import ADMIN
from ops.errors import NotAllowed, ServiceError
from ops.extensions import db
from ops.onboarding import vault
from ops.timeutil import utcnow
from ops.transactions import lock_row, write_transaction
from ops.webhooks import rules
from ops.webhooks.models import WebhookSubscription
from ops.webhooks.ssrf import Target, check_url


class WebhookError(ServiceError):
    pass


def allow_http() -> bool:
    """http:// URLs: in development and tests, or when OPS_WEBHOOKS_ALLOW_HTTP says so (docs/webhooks.md)."""
    return bool(current_app.config.get("WEBHOOKS_ALLOW_HTTP"))


def check_target(url: str, allow_private: bool) -> Target:
    """The SSRF guard with this deployment's settings (raises UnsafeUrl on the ``url`` field)."""
    return check_url(url, allow_http=allow_http(), allow_private=allow_private)


def _admin(by) -> None:
    if getattr(by, "role", None) != ADMIN:
        raise NotAllowed(_("只有管理员可以管理 Webhook。"))


def _checked(url: str, event_types, description: str, allow_private: bool) -> tuple[str, list[str], str]:
    url = (url or "").strip()
    if len(url) > 500:
        raise WebhookError(_("地址不能超过 500 个字符。"), field="url")
    wanted = set(event_types or ())
    if wanted - set(rules.EVENT_TYPES):
        raise WebhookError(_("未知的事件类型。"), field="event_types")
    chosen = [t for t in rules.EVENT_TYPES if t in wanted]
    if not chosen:
        raise WebhookError(_("请至少选择一种事件。"), field="event_types")
    check_target(url, allow_private)
    return url, chosen, (description or "").strip()[:200]


def secret_of(subscription: WebhookSubscription) -> str:
    """The subscription's ``whsec_…`` secret, decrypted (VaultError when the key does not match)."""
    return vault.decrypt(subscription.secret_ciphertext)


def previous_secret_of(subscription: WebhookSubscription, now) -> str | None:
    """The secret rotated out less than ROTATION_OVERLAP before ``now`` (it still signs), else None."""
    until = subscription.previous_secret_until
    if not subscription.previous_secret_ciphertext or until is None or until <= now:
        return None
    return vault.decrypt(subscription.previous_secret_ciphertext)


def _set_secret(subscription: WebhookSubscription) -> str:
    secret = rules.new_secret()
    subscription.secret_ciphertext = vault.encrypt(secret)
    subscription.secret_hint = rules.secret_hint(secret)
    return secret


def create_subscription(
    url: str, event_types, *, description: str = "", allow_private: bool = False, by
) -> tuple[WebhookSubscription, str]:
    """A new enabled subscription owned by ``by`` (an admin); returns it and its secret (shown once)."""
    _admin(by)
    url, chosen, description = _checked(url, event_types, description, allow_private)
    subscription = WebhookSubscription(
        url=url,
        event_types=chosen,
        description=description,
        allow_private=bool(allow_private),
        enabled=True,
        owner_id=by.id,
    )
    secret = _set_secret(subscription)
    db.session.add(subscription)
    db.session.flush()
    record(
        "webhook.created",
        subscription,
        summary=url,
        after={"url": url, "event_types": chosen, "allow_private": subscription.allow_private},
        actor=by,
    )
    return subscription, secret


def _lock(subscription: WebhookSubscription) -> WebhookSubscription:
    locked = lock_row(WebhookSubscription, subscription.id)
    if locked is None:
        raise WebhookError(_("该 Webhook 已被删除。"))
    return locked


def update_subscription(
    subscription: WebhookSubscription, url: str, event_types, *, description: str, allow_private: bool, by
) -> WebhookSubscription:
    _admin(by)
    subscription = _lock(subscription)
    url, chosen, description = _checked(url, event_types, description, allow_private)
    before = {
        "url": subscription.url,
        "event_types": subscription.event_types,
        "allow_private": subscription.allow_private,
        "description": subscription.description,
    }
    subscription.url, subscription.event_types = url, chosen
    subscription.description, subscription.allow_private = description, bool(allow_private)
    record(
        "webhook.updated",
        subscription,
        summary=url,
        before=before,
        after={
            "url": url,
            "event_types": chosen,
            "allow_private": bool(allow_private),
            "description": description,
        },
        actor=by,
    )
    return subscription


def disable_subscription(subscription: WebhookSubscription, reason: str, *, by) -> None:
    """Stop sending (deliveries wait; enabling again sends what is due)."""
    _admin(by)
    subscription = _lock(subscription)
    reason = (reason or "").strip()
    if not subscription.enabled:
        raise WebhookError(_("该 Webhook 已停用。"))
    if not reason:
        raise WebhookError(_("停用需要填写原因。"), field="reason")
    subscription.enabled, subscription.disabled_reason = False, reason[:300]
    subscription.disabled_at = utcnow()
    record("webhook.disabled", subscription, summary=reason[:300], after={"enabled": False}, actor=by)


def enable_subscription(subscription: WebhookSubscription, *, by) -> None:
    """Send again; the failure clock starts afresh (``failing_since`` cleared)."""
    _admin(by)
    subscription = _lock(subscription)
    if subscription.enabled:
        raise WebhookError(_("该 Webhook 已启用。"))
    before = {"enabled": False, "disabled_reason": subscription.disabled_reason}
    subscription.enabled, subscription.disabled_reason, subscription.disabled_at = True, "", None
    subscription.failing_since = None
    record(
        "webhook.enabled",
        subscription,
        summary=subscription.url,
        before=before,
        after={"enabled": True},
        actor=by,
    )


def delete_subscription(subscription: WebhookSubscription, *, by) -> None:
    """Delete the subscription and its delivery log (the audit log keeps the entry)."""
    _admin(by)
    subscription = _lock(subscription)
    record(
        "webhook.deleted",
        subscription,
        summary=subscription.url,
        before={"url": subscription.url, "event_types": subscription.event_types},
        actor=by,
    )
    db.session.delete(subscription)


def rotate_secret(subscription: WebhookSubscription, *, by) -> str:
    """A new secret (returned once); every later attempt, retries included, is signed with it."""
    _admin(by)
    subscription = _lock(subscription)
    before = subscription.secret_hint
    subscription.previous_secret_ciphertext = subscription.secret_ciphertext
    subscription.previous_secret_until = utcnow() + rules.ROTATION_OVERLAP
    secret = _set_secret(subscription)
    record(
        "webhook.secret_rotated",
        subscription,
        summary=subscription.url,
        before={"secret_hint": before},
        after={"secret_hint": subscription.secret_hint},
        actor=by,
    )
    return secret


def rotate_vault_key() -> int:
    """Re-encrypt every subscription's secret under the newest vault key (``flask ops
    rotate-vault-key``, after the credentials): all or nothing, in one transaction (VaultError when
    one cannot be read, and nothing changes). Returns the count."""
    with write_transaction():
        rows = db.session.scalars(
            sa.select(WebhookSubscription).order_by(WebhookSubscription.id).with_for_update()
        ).all()
        for subscription in rows:
            subscription.secret_ciphertext = vault.rotate(subscription.secret_ciphertext)
            if subscription.previous_secret_ciphertext:
                subscription.previous_secret_ciphertext = vault.rotate(
                    subscription.previous_secret_ciphertext
                )
        if rows:
            record(
                "webhook.secrets_reencrypted",
                object_type="webhook_subscriptions",
                summary=f"{len(rows)}",
                after={"count": len(rows)},
            )
    return len(rows)
