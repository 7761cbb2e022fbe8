"""Events turned into deliveries, deliveries sent; the notification centre's actions.

The outbox rule (docs/architecture.md): a delivery row with its unique (event, recipient, channel)
key is committed before anything is sent. An e-mail is marked "sending" (committed) before the SMTP
conversation and "sent" after it; a crash in between leaves "sending", which nothing resends by
itself — an admin sees 状态未知 on the outbox page and may resend it by hand. An in-app
notification is written in the same transaction that marks its delivery sent (exactly once).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_mailman import EmailMessage

from ops.audit.services import record
from ops.billing.services.dunning import mark_reminder_delivered
from ops.errors import ServiceError
from ops.events.models import Event
from ops.extensions import db
from ops.notify.kinds import CHANNELS, EMAIL, IN_APP, KINDS, delivery_key
from ops.notify.mail import mail
from ops.notify.messages import Message, NotDue, NotReady, build_message
from ops.notify.models import Delivery, Notification
from ops.notify.preferences import contacts_turned_off, users_turned_off
from ops.notify.recipients import recipients
from ops.timeutil import utcnow
from ops.transactions import lock_row, write_transaction
from ops.webhooks.delivery import fan_out as webhook_fan_out
from ops.webhooks.delivery import send_due as send_due_webhooks

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=2)  # a message not ready yet (the invoice PDF) is tried again then
UNKNOWN_AFTER = timedelta(minutes=10)  # a delivery "sending" for longer than this: 状态未知
BATCH = 200


class NotifyError(ServiceError):
    pass


# --- events -> deliveries --------------------------------------------------------------------------


def _deliveries_for(event: Event, existing: set[str]) -> list[Delivery]:
    people = recipients(event)
    off = users_turned_off([r.user_id for r in people if r.user_id]) | contacts_turned_off(
        [r.contact_id for r in people if r.contact_id]
    )
    rows = []
    for person in people:
        owner = person.user_id or person.contact_id
        for channel in person.channels():
            key = delivery_key(event.id, person.key, channel)
            if key in existing or (owner, event.kind, channel) in off:
                continue
            rows.append(
                Delivery(
                    key=key,
                    event_id=event.id,
                    kind=event.kind,
                    channel=channel,
                    user_id=person.user_id,
                    contact_id=person.contact_id,
                    address=person.email if channel == EMAIL else "",
                    locale=person.locale,
                    status="pending",
                )
            )
    return rows


def claim_events(limit: int = BATCH) -> tuple[int, int]:
    """Turn undispatched events into delivery rows (preferences applied) and mark them dispatched, in
    one transaction. Two consumers never take the same event (row locks, SKIP LOCKED on PostgreSQL;
    the write lock on SQLite); the unique key backs it. Returns (events taken, deliveries written)."""
    waiting = db.session.scalar(sa.select(Event.id).where(Event.dispatched_at.is_(None)).limit(1))
    db.session.commit()  # ends the read: nothing waiting, no write lock taken (the minutely run)
    if waiting is None:
        return 0, 0
    written = 0
    with write_transaction():
        events = db.session.scalars(
            sa.select(Event)
            .where(Event.dispatched_at.is_(None))
            .order_by(Event.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not events:
            return 0, 0
        existing = set(
            db.session.scalars(sa.select(Delivery.key).where(Delivery.event_id.in_([e.id for e in events])))
        )
        for event in events:
            try:
                with db.session.begin_nested():
                    rows = _deliveries_for(event, existing)
                    db.session.add_all(rows)
                    db.session.add_all(webhook_fan_out(event))  # ops/webhooks: keyed (event, subscription)
                    event.dispatched_at = utcnow()
                    db.session.flush()
            except Exception:  # one event that cannot be resolved must not hold back the others
                log.exception(
                    "event %s (%s): recipients could not be resolved; left for the next run",
                    event.id,
                    event.kind,
                )
                continue
            written += len(rows)
    return len(events), written


# --- sending -----------------------------------------------------------------------------------------


def _set(delivery_id: int, from_status: str, **values) -> bool:
    """Compare-and-set a delivery's status (and fields); commits. True when this call changed it."""
    values.setdefault("updated_at", utcnow())
    changed = db.session.execute(
        sa.update(Delivery).where(Delivery.id == delivery_id, Delivery.status == from_status).values(**values)
    ).rowcount
    db.session.commit()
    return bool(changed)


def send_email(address: str, message: Message) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=current_app.config.get("MAIL_FROM"),
        to=[address],
        connection=mail.get_connection(),
    )
    for name, content, mimetype in message.attachments:
        email.attach(name, content, mimetype)
    email.send()


def _deliver_in_app(delivery: Delivery, message: Message) -> None:
    with write_transaction():
        row = lock_row(Delivery, delivery.id)
        if row is None or row.status != "pending":
            return
        db.session.add(
            Notification(
                user_id=row.user_id,
                event_id=row.event_id,
                delivery_id=row.id,
                kind=row.kind,
                title=message.subject[:300],
                body=message.body,
                link=message.link,
            )
        )
        row.status, row.sent_at, row.subject, row.error = "sent", utcnow(), message.subject[:300], ""
        row.attempts += 1


def send_delivery(delivery_id: int) -> str:
    """Send one pending delivery; returns its status afterwards (pending when it is to be retried)."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "pending":
        return delivery.status if delivery is not None else "gone"
    event = db.session.get(Event, delivery.event_id)
    try:
        message = build_message(event, staff=delivery.user_id is not None, locale=delivery.locale)
    except NotReady as exc:
        _set(delivery_id, "pending", next_attempt_at=utcnow() + RETRY_AFTER, error=str(exc)[:1000])
        return "pending"
    except NotDue as exc:
        _set(delivery_id, "pending", status="skipped", error=str(exc)[:1000])
        return "skipped"
    except Exception as exc:  # a message that cannot be built is a failed delivery, never a lost one
        db.session.rollback()
        log.exception("delivery %s: the message could not be built", delivery_id)
        _set(delivery_id, "pending", status="failed", error=f"{type(exc).__name__}: {exc}"[:1000])
        return "failed"
    if delivery.channel == IN_APP:
        _deliver_in_app(delivery, message)
        return "sent"
    # The claim is committed before the SMTP conversation: whatever happens next, never twice.
    if not _set(
        delivery_id,
        "pending",
        status="sending",
        attempts=Delivery.attempts + 1,
        subject=message.subject[:300],
    ):
        return db.session.get(Delivery, delivery_id).status
    try:
        send_email(delivery.address, message)
    except Exception as exc:
        log.warning("delivery %s to %s failed: %s", delivery_id, delivery.address, exc)
        _set(delivery_id, "sending", status="failed", error=f"{type(exc).__name__}: {exc}"[:1000])
        return "failed"
    _set(delivery_id, "sending", status="sent", sent_at=utcnow(), error="")
    reminder_id = (event.payload or {}).get("reminder_id") if event.kind == "invoice.dunning" else None
    if reminder_id:  # the invoice page shows the reminder 已发送
        mark_reminder_delivered(int(reminder_id))
        db.session.commit()
    return "sent"


def send_due(limit: int = BATCH) -> dict[str, int]:
    """Send the pending deliveries whose time has come, oldest first. Returns counts by outcome."""
    now = utcnow()
    ids = db.session.scalars(
        sa.select(Delivery.id)
        .where(
            Delivery.status == "pending",
            sa.or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .order_by(Delivery.id)
        .limit(limit)
    ).all()
    db.session.commit()
    outcome: dict[str, int] = {}
    for delivery_id in ids:
        status = send_delivery(delivery_id)
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


def dispatch_events() -> dict[str, int]:
    """The queue task's work: claim undispatched events into deliveries, then send what is due."""
    written = 0
    while True:  # a burst of events (a billing run) is taken in batches
        taken, rows = claim_events(BATCH)
        written += rows
        if taken < BATCH:
            break
    outcome = send_due()
    webhooks = send_due_webhooks()  # the attempts run as queue tasks
    return {"deliveries": written, **outcome, **({"webhooks": webhooks} if webhooks else {})}


def is_unknown(delivery: Delivery, now=None) -> bool:
    """A delivery left "sending" (a crash between the claim and the answer): sent or not, unknown."""
    return delivery.status == "sending" and delivery.updated_at <= (now or utcnow()) - UNKNOWN_AFTER


def resend_delivery(delivery_id: int, by) -> str:
    """An admin resends a failed delivery, or one whose outcome is unknown; audited. Its own unit of
    work (the send happens after the commit). Returns the status after the attempt."""
    with write_transaction():
        delivery = lock_row(Delivery, delivery_id)
        if delivery is None:
            raise NotifyError(_("没有这条发送记录。"))
        if delivery.status not in ("failed", "sending") or (
            delivery.status == "sending" and not is_unknown(delivery)
        ):
            raise NotifyError(_("只能重发失败或状态未知的记录。"))
        record(
            "delivery.resent",
            delivery,
            summary=f"{delivery.kind} {delivery.address}".strip(),
            before={"status": delivery.status, "attempts": delivery.attempts},
            after={"status": "pending"},
            actor=by,
        )
        delivery.status, delivery.next_attempt_at = "pending", None
    return send_delivery(delivery_id)


# --- the notification centre ------------------------------------------------------------------------


def unread_count(user) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def open_notification(notification: Notification) -> str:
    """Mark the user's notification read (the caller commits); returns the page it links to."""
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification.link


def mark_all_read(user) -> int:
    """Every unread notification of ``user`` read; returns how many. The caller commits."""
    return db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount


def save_preferences(user, wanted: set[tuple[str, str]]) -> None:
    """A staff user's choices (kind, channel) from the preferences page; unknown pairs are ignored."""
    from ops.notify.preferences import set_user_choices

    known = {(k, c) for k in KINDS for c in CHANNELS}
    set_user_choices(user, wanted & known)
