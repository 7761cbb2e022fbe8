"""Helpers for the notification tests: people who receive, and what they received."""

import sqlalchemy as sa

from ops.clients.models import Client, ClientContact
from ops.extensions import db
from ops.notify.models import Delivery, Notification
from ops.notify.services import dispatch_events


def add_contact(
    client: Client, name: str, email: str, *, finance: bool = False, locale: str = "zh"
) -> ClientContact:
    contact = ClientContact(name=name, email=email, is_finance=finance, locale=locale)
    client.contacts.append(contact)
    db.session.commit()
    return contact


def dispatch() -> dict:
    """What the queue task does after the commit (tests call it: no request, no consumer)."""
    return dispatch_events()


def sent_to(outbox) -> list[str]:
    """The addresses of the e-mails sent (in-memory backend), in order."""
    return [address for message in outbox for address in message.to]


def notified(user) -> list[Notification]:
    return db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def deliveries(**where) -> list[Delivery]:
    return db.session.scalars(sa.select(Delivery).filter_by(**where).order_by(Delivery.id)).all()
