"""emit: an event commits or rolls back with the change; a key makes it idempotent."""

from datetime import timedelta

import sqlalchemy as sa

from ops.events.models import Event
from ops.events.services import emit
from ops.tasks.heartbeat import beat, heartbeat_age_seconds
from ops.tasks.models import QueueHeartbeat
from ops.timeutil import utcnow
from tests.factories import make_client


def test_an_event_rolls_back_with_the_change_that_caused_it(db):
    client = make_client(db)
    emit("quote.sent", client, quote_id=7)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    emit("quote.sent", client, quote_id=7)
    db.session.commit()
    event = db.session.scalar(sa.select(Event))
    assert (event.kind, event.subject_type, event.subject_id, event.client_id, event.payload) == (
        "quote.sent",
        "clients",
        client.id,
        client.id,
        {"quote_id": 7},
    )


def test_a_key_emits_once_across_transactions_and_within_one(db):
    assert emit("contract.expiring", key="contract.expiring:1:2026-12-31", contract_id=1) is not None
    assert emit("contract.expiring", key="contract.expiring:1:2026-12-31", contract_id=1) is None
    db.session.commit()
    assert emit("contract.expiring", key="contract.expiring:1:2026-12-31", contract_id=1) is None
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_heartbeat_age(db):
    assert heartbeat_age_seconds() is None
    beat()
    age = heartbeat_age_seconds()
    assert age is not None and 0 <= age < 5


def test_a_beat_removes_the_rows_of_consumers_silent_for_a_day(db):
    db.session.add(
        QueueHeartbeat(worker="old-host:1", backend="sqlite", beat_at=utcnow() - timedelta(days=2))
    )
    db.session.add(
        QueueHeartbeat(worker="other-host:2", backend="sqlite", beat_at=utcnow() - timedelta(hours=2))
    )
    db.session.commit()
    beat()
    workers = set(db.session.scalars(sa.select(QueueHeartbeat.worker)))
    assert "old-host:1" not in workers and "other-host:2" in workers and len(workers) == 2
