"""``emit``: write an event in the current transaction (it commits or rolls back with the change)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ops.events.models import Event
from ops.extensions import db


def emit(
    kind: str,
    subject: Any = None,
    *,
    client_id: int | None = None,
    key: str | None = None,
    actor: Any = None,
    **payload: Any,
) -> Event | None:
    """Add an event of ``kind`` about ``subject`` to the session; never commits.

    ``key`` makes it idempotent: when an event with that key exists (committed, or added earlier in
    this transaction) nothing is added and None is returned. The unique index on ``events.key``
    backs the rule when two transactions race (the second one's commit fails and is retried by its
    caller, which then finds the first one's event).
    """
    if key is not None:
        pending = any(isinstance(obj, Event) and obj.key == key for obj in db.session.new)
        if pending or db.session.scalar(sa.select(Event.id).where(Event.key == key)) is not None:
            return None
    if subject is not None and getattr(subject, "id", None) is None:
        db.session.flush()  # a subject made in this transaction gets its id
    if client_id is None and subject is not None:
        client_id = getattr(subject, "client_id", None)
    event = Event(
        kind=kind,
        subject_type=getattr(subject, "__tablename__", None) if subject is not None else None,
        subject_id=getattr(subject, "id", None) if subject is not None else None,
        client_id=client_id,
        key=key,
        payload=payload,
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(event)
    return event
