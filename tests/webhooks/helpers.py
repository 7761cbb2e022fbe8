"""Helpers for the webhook tests: a subscription owned by an admin, the rows written, dispatching."""

from __future__ import annotations

import sqlalchemy as sa

from ops.extensions import db
from ops.notify.services import dispatch_events
from ops.webhooks import services
from ops.webhooks.models import WebhookDelivery, WebhookSubscription
from ops.webhooks.rules import EVENT_TYPES


def subscribe(admin, url: str, events=tuple(EVENT_TYPES), *, allow_private: bool = True):
    """A committed subscription to ``url`` (a local receiver: private addresses allowed); returns it
    and its secret."""
    subscription, secret = services.create_subscription(
        url, list(events), description="测试接收端", allow_private=allow_private, by=admin
    )
    db.session.commit()
    return subscription, secret


def dispatch() -> dict:
    """What the queue task does after a commit (tests call it: no request, no consumer)."""
    return dispatch_events()


def deliveries(**where) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(sa.select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.id))
    )


def reload(subscription: WebhookSubscription) -> WebhookSubscription:
    db.session.expire_all()
    return db.session.get(WebhookSubscription, subscription.id)
