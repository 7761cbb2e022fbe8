"""/healthz: public JSON with the database, the queue backend, the age of the newest consumer heartbeat
and the pending tasks; "degraded" (still 200) when no consumer beat for 3 minutes, 503 when the
database does not answer."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.tasks import health, heartbeat
from ops.tasks.models import QueueHeartbeat

NOW = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)


@pytest.fixture
def sqlite_queue(monkeypatch):
    """The web host of an installation whose consumers use the SQLite file queue, 4 tasks waiting."""
    monkeypatch.setattr(health, "backend_name", lambda: "sqlite")
    monkeypatch.setattr(health, "pending_count", lambda: 4)
    monkeypatch.setattr(heartbeat, "utcnow", lambda: NOW)


def _beat(db, seconds_ago: int, worker: str = "web1:4242") -> None:
    db.session.add(
        QueueHeartbeat(worker=worker, backend="sqlite", beat_at=NOW - timedelta(seconds=seconds_ago))
    )
    db.session.commit()


def test_in_the_tests_the_queue_is_immediate_and_all_is_ok(client):
    response = client.get("/healthz")  # no login
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "queue": {"backend": "immediate", "heartbeat_age_seconds": None, "pending": None},
    }


def test_a_fresh_heartbeat_is_ok(client, db, sqlite_queue):
    _beat(db, 200, "old-host:1")  # another consumer, older: the newest beat counts
    _beat(db, 42)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "queue": {"backend": "sqlite", "heartbeat_age_seconds": 42, "pending": 4},
    }


def test_a_stale_heartbeat_is_degraded_but_still_200(client, db, sqlite_queue):
    _beat(db, 181)  # three missed beats and a second
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["queue"] == {"backend": "sqlite", "heartbeat_age_seconds": 181, "pending": 4}


def test_exactly_three_minutes_is_still_ok(client, db, sqlite_queue):
    _beat(db, 180)
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_no_consumer_ever_is_degraded(client, db, sqlite_queue):
    body = client.get("/healthz").get_json()
    assert (body["status"], body["queue"]["heartbeat_age_seconds"]) == ("degraded", None)


def test_a_database_that_does_not_answer_is_an_error(client, monkeypatch, sqlite_queue):
    def broken():
        raise sa.exc.OperationalError("SELECT max(beat_at)", {}, Exception("connection refused"))

    monkeypatch.setattr(health, "heartbeat_age_seconds", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "database": "error",
        "queue": {"backend": "sqlite", "heartbeat_age_seconds": None, "pending": 4},
    }
