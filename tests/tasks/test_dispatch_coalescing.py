"""One queued ``dispatch_events`` task serves any number of commits (ops/notify/dispatching.py): a
billing run that issues many invoices must not queue one dispatch per invoice beside each PDF, and no
event may be left waiting when a commit skips the enqueue. Against a real queue (a SqliteHuey file)."""

from __future__ import annotations

import sqlalchemy as sa

from ops.events.models import Event
from ops.events.services import emit
from ops.events.tasks import dispatch_events_task
from ops.tasks.queue import configure, huey
from tests.factories import make_client


def _with_queue_file(app, tmp_path, body) -> None:
    saved = app.config["QUEUE_IMMEDIATE"], app.config.get("QUEUE_FILE")
    app.config["QUEUE_IMMEDIATE"], app.config["QUEUE_FILE"] = False, str(tmp_path / "queue.db")
    configure(app)
    try:
        body()
    finally:
        huey.flush()
        app.config["QUEUE_IMMEDIATE"], app.config["QUEUE_FILE"] = saved
        configure(app)


def test_many_commits_with_events_queue_one_dispatch_until_it_starts(app, db, tmp_path):
    def body():
        client = make_client(db)
        db.session.commit()
        for n in range(5):
            emit("quote.sent", client, quote_id=n)
            db.session.commit()
        dispatches = [t for t in huey.pending() if t.name.endswith("dispatch_events_task")]
        assert len(dispatches) == 1  # five commits, one task waiting

        # The task starts (clears the flag), then a later commit queues a new one.
        task = dispatches[0]
        huey.dequeue()
        huey.execute(task)
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Event).where(Event.dispatched_at.is_(None))
            )
            == 0
        )
        emit("quote.sent", client, quote_id=99)
        db.session.commit()
        assert [t.name for t in huey.pending()].count(task.name) == 1

    _with_queue_file(app, tmp_path, body)


def test_a_commit_while_the_dispatch_waits_is_taken_by_that_dispatch(app, db, tmp_path):
    def body():
        client = make_client(db)
        db.session.commit()
        emit("quote.sent", client, quote_id=1)
        db.session.commit()  # queues the dispatch
        emit("quote.sent", client, quote_id=2)
        db.session.commit()  # skipped: one is waiting
        (task,) = [t for t in huey.pending() if t.name.endswith("dispatch_events_task")]
        huey.dequeue()
        huey.execute(task)
        waiting = db.session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(Event.dispatched_at.is_(None))
        )
        assert waiting == 0  # both commits' events dispatched by the one task

    _with_queue_file(app, tmp_path, body)


def test_a_flag_left_behind_is_cleared_by_the_dispatch_itself(app, db, tmp_path):
    """An enqueue that failed after setting the flag would block later enqueues: any dispatch (the
    minutely one included) clears it."""

    def body():
        from ops.notify.dispatching import PENDING_KEY

        assert huey.put_if_empty(PENDING_KEY, "1")  # as if an enqueue had died after the flag
        dispatch_events_task.call_local()
        client = make_client(db)
        emit("quote.sent", client, quote_id=3)
        db.session.commit()
        assert any(t.name.endswith("dispatch_events_task") for t in huey.pending())

    _with_queue_file(app, tmp_path, body)
