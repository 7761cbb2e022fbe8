"""Reading the events a scan emitted (ops.events), for the scheduled-work tests."""

import sqlalchemy as sa

from ops.events.models import Event
from ops.extensions import db


def events_of(kind: str) -> list[Event]:
    """The ``kind`` events, oldest first (each with ``.payload`` and ``.key``)."""
    return list(db.session.scalars(sa.select(Event).where(Event.kind == kind).order_by(Event.id)))
