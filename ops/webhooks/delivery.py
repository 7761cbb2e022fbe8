"""Deliveries: events fanned out to subscriptions, sent signed, retried with back-off, resent.

The outbox rule (docs/architecture.md): a ``webhook_deliveries`` row with its UNIQUE (event,
subscription) is written in the transaction that marks the event dispatched
(``ops.notify.services.claim_events`` calls ``fan_out``), before anything is sent. A send claims the
row (``sending``, attempts + 1, committed) by a compare-and-set, then posts, then records the
outcome: ``succeeded`` on a 2xx, else ``failed`` with the next attempt after the back-off
(``rules.retry_delay``). Webhooks are at-least-once: a row left ``sending`` by a crash is tried
again after STALE_SENDING with the same ``webhook-id``, which the receiver uses to drop a repeat.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ops import i18n
from ops.audit.services import record
from ops.errors import ServiceError
from ops.events.models import Event
from ops.events.services import emit
from ops.extensions import db
from ops.timeutil import local, utcnow
from ops.transactions import lock_row, write_transaction
from ops.webhooks import payloads, rules, sender
from ops.webhooks.models import WebhookDelivery, WebhookSubscription
from ops.webhooks.services import WebhookError, check_target, previous_secret_of, secret_of

log = logging.getLogger(__name__)

STALE_SENDING = timedelta(minutes=10)  # a claim this old was interrupted: try again (same webhook-id)
BATCH = 200


def disable_after() -> timedelta:
    return timedelta(days=int(current_app.config.get("WEBHOOK_DISABLE_AFTER_DAYS", 3)))


# --- events -> deliveries ---------------------------------------------------------------------------


def fan_out(event: Event) -> list[WebhookDelivery]:
    """The delivery rows of ``event``: one per enabled subscription of its type that existed when it
    happened and has none yet. Added to the session by the caller (the claim's transaction)."""
    if event.kind not in rules.EVENT_TYPES:
        return []
    subscriptions = [
        s
        for s in db.session.scalars(
            sa.select(WebhookSubscription)
            .where(WebhookSubscription.enabled.is_(True), WebhookSubscription.created_at <= event.created_at)
            .order_by(WebhookSubscription.id)
        )
        if event.kind in (s.event_types or ())
    ]
    if not subscriptions:
        return []
    done = set(
        db.session.scalars(
            sa.select(WebhookDelivery.subscription_id).where(WebhookDelivery.event_id == event.id)
        )
    )
    try:
        body = payloads.event_body(event)
    except payloads.Gone:
        log.info("event %s (%s): its object is gone; no webhook", event.id, event.kind)
        return []
    return [
        WebhookDelivery(
            subscription_id=s.id,
            event_id=event.id,
            event_type=event.kind,
            msg_id=rules.new_message_id(),
            body=body,
            status="pending",
            attempts=0,
        )
        for s in subscriptions
        if s.id not in done
    ]


# --- sending ------------------------------------------------------------------------------------------


def _claimable(now: datetime):
    """Due now: pending or failed with its (next) attempt time reached, or a stale claim. A task
    enqueued twice (the dispatch and the minutely scan) finds the row not due the second time."""
    due = sa.or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now)
    return sa.or_(
        sa.and_(WebhookDelivery.status.in_(("pending", "failed")), due),
        sa.and_(WebhookDelivery.status == "sending", WebhookDelivery.updated_at <= now - STALE_SENDING),
    )


def _attempt(
    url: str, allow_private: bool, secrets: tuple[str, str | None], msg_id: str, body: bytes
) -> sender.Outcome:
    """Check the URL again (DNS may have changed since it was saved), sign now, post to the checked
    address. Called with no transaction open: nothing is held while the network answers."""
    try:
        target = check_target(url, allow_private)
    except ServiceError as exc:
        return sender.Outcome(None, str(exc)[: sender.MAX_ERROR])
    secret, previous = secrets
    headers = rules.signed_headers(secret, msg_id, int(time.time()), body, previous=previous)
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10))
    return sender.post(target, headers, body, timeout=timeout)


def _finish(claimed: dict, outcome: sender.Outcome, now: datetime) -> None:
    """Record the attempt's outcome (the delivery, and the subscription's failure clock); commits.
    ``claimed``: the row's id, subscription_id, msg_id and attempts as claimed (read before the
    network: the row may be deleted with its subscription meanwhile, and then nothing is written)."""
    finished = {"response_code": outcome.status, "error": outcome.error, "updated_at": now}
    if rules.is_success(outcome.status):
        finished.update(status="succeeded", next_attempt_at=None, delivered_at=now)
        failing_since = None
    else:
        finished.update(status="failed", next_attempt_at=rules.next_attempt_at(claimed["attempts"], now))
        failing_since = sa.func.coalesce(WebhookSubscription.failing_since, now)
        log.warning("webhook delivery %s (%s) failed: %s", claimed["id"], claimed["msg_id"], outcome.error)
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == claimed["id"], WebhookDelivery.status == "sending")
        .values(**finished)
    )
    db.session.execute(
        sa.update(WebhookSubscription)
        .where(WebhookSubscription.id == claimed["subscription_id"])
        .values(failing_since=failing_since)
    )
    db.session.commit()


def send_delivery(delivery_id: int, now: datetime | None = None) -> str:
    """One attempt of a delivery (``now``: the scheduler's clock, for the next attempt's time).
    Returns the status afterwards; another worker's claim wins and this call does nothing."""
    now = now or utcnow()
    claimed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, _claimable(now))
        .values(status="sending", attempts=WebhookDelivery.attempts + 1, last_attempt_at=now, updated_at=now)
    ).rowcount
    db.session.commit()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return "gone"
    if not claimed:
        return delivery.status
    subscription = db.session.get(WebhookSubscription, delivery.subscription_id)
    try:
        secrets = (secret_of(subscription), previous_secret_of(subscription, now))
    except ServiceError as exc:
        secrets, refused = ("", None), sender.Outcome(None, str(exc)[: sender.MAX_ERROR])
    else:
        refused = None
    url, allow_private, body = subscription.url, subscription.allow_private, delivery.body
    row = {
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "msg_id": delivery.msg_id,
        "attempts": delivery.attempts,
    }
    db.session.commit()  # end the read (on SQLite it holds the write lock) before the network
    outcome = refused or _attempt(url, allow_private, secrets, row["msg_id"], body.encode("utf-8"))
    _finish(row, outcome, now)
    db.session.expire_all()
    after = db.session.get(WebhookDelivery, delivery_id)
    return after.status if after is not None else "gone"  # deleted with its subscription meanwhile


def due_ids(now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Deliveries of enabled subscriptions whose (next) attempt is due, oldest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(WebhookDelivery.id)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookSubscription.enabled.is_(True), _claimable(now))
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
    )


def enqueue_send(delivery_id: int, now: datetime | None = None) -> None:
    """Hand one attempt to the queue (inline in immediate mode). Only after the row is committed."""
    from ops.webhooks.tasks import send_webhook_task

    send_webhook_task(delivery_id, now)


def send_due(now: datetime | None = None) -> int:
    """Enqueue an attempt of every due delivery (after an event dispatch; every minute). Two workers
    enqueueing the same row send it once: the claim is a compare-and-set."""
    ids = due_ids(now)
    db.session.commit()
    for delivery_id in ids:
        enqueue_send(delivery_id, now)
    return len(ids)


# --- an admin's actions -----------------------------------------------------------------------------


def resend_delivery(delivery_id: int, *, by, now: datetime | None = None) -> str:
    """A new attempt of the same message (same ``webhook-id`` and body, signed now); audited. Its own
    unit of work: the row is put back to pending and committed, then the attempt is enqueued."""
    now = now or utcnow()
    with write_transaction():
        delivery = lock_row(WebhookDelivery, delivery_id)
        if delivery is None:
            raise WebhookError(_("没有这条投递记录。"))
        if delivery.status == "sending" and delivery.updated_at > now - STALE_SENDING:
            raise WebhookError(_("这条投递正在发送中，请稍后再试。"))
        record(
            "webhook.delivery_resent",
            delivery,
            summary=f"{delivery.event_type} {delivery.msg_id}",
            before={"status": delivery.status, "attempts": delivery.attempts},
            after={"status": "pending"},
            actor=by,
        )
        delivery.status, delivery.next_attempt_at = "pending", None
    enqueue_send(delivery_id, now)
    return db.session.get(WebhookDelivery, delivery_id).status


def send_test_event(subscription: WebhookSubscription, *, by) -> str:
    """ "发送测试事件": a ``webhook.test`` delivery to this subscription only (enabled or not); audited."""
    with write_transaction():
        subscription = lock_row(WebhookSubscription, subscription.id)
        if subscription is None:
            raise WebhookError(_("该 Webhook 已被删除。"))
        now = utcnow()
        delivery = WebhookDelivery(
            subscription_id=subscription.id,
            event_id=None,
            event_type=rules.PING,
            msg_id=rules.new_message_id(),
            body=payloads.ping_body(subscription, now),
            status="pending",
            attempts=0,
        )
        db.session.add(delivery)
        db.session.flush()
        record(
            "webhook.test_sent",
            subscription,
            summary=subscription.url,
            after={"msg_id": delivery.msg_id},
            actor=by,
        )
        delivery_id = delivery.id
    enqueue_send(delivery_id)
    return db.session.get(WebhookDelivery, delivery_id).status


# --- failing for days: disabled, the owner told --------------------------------------------------------


def disable_failing(now: datetime | None = None) -> int:
    """Disable every enabled subscription whose deliveries have all failed since more than
    OPS_WEBHOOK_DISABLE_AFTER_DAYS ago (no success since ``failing_since``), each in its own
    transaction under its lock; audited, and a ``webhook.disabled`` event tells the owner (in-app
    and e-mail). Returns how many were disabled."""
    now = now or utcnow()
    days = disable_after()
    cutoff = now - days
    ids = db.session.scalars(
        sa.select(WebhookSubscription.id).where(
            WebhookSubscription.enabled.is_(True),
            WebhookSubscription.failing_since.is_not(None),
            WebhookSubscription.failing_since <= cutoff,
        )
    ).all()
    db.session.commit()
    disabled = 0
    for subscription_id in ids:
        with write_transaction():
            subscription = lock_row(WebhookSubscription, subscription_id)
            since = subscription.failing_since if subscription is not None else None
            if subscription is None or not subscription.enabled or since is None or since > cutoff:
                continue
            reason = i18n._l(
                "自 %(since)s 起投递全部失败，超过 %(days)s 天，系统已自动停用。",
                since=local(since).strftime("%Y-%m-%d %H:%M"),
                days=days.days,
            )
            subscription.enabled, subscription.disabled_at = False, now
            subscription.disabled_reason = str(reason)[:300]
            record("webhook.auto_disabled", subscription, summary=reason, after={"enabled": False})
            emit(
                "webhook.disabled",
                subscription,
                key=f"webhook.disabled:{subscription.id}:{now.isoformat()}",
                subscription_id=subscription.id,
                owner_id=subscription.owner_id,
                failing_since=since.isoformat(),
                days=days.days,
            )
            disabled += 1
    return disabled
