"""When a transaction that wrote events commits, their delivery is started.

SQLAlchemy's ``after_flush`` notes that the session wrote ``Event`` rows; ``after_commit`` then
enqueues the ``dispatch_events`` task — on a real queue (SqliteHuey, Redis) that only writes to the
queue, never to this session. In immediate mode (tests, ``QUEUE_IMMEDIATE``) running the task inside
``after_commit`` would reuse a session in the middle of committing, so the commit only raises a flag
and the dispatch runs when the request ends (``after_request``); outside a request (a test calling
services directly, a CLI command) the caller runs ``dispatch_events()`` itself, and the periodic
task (every minute) is the safety net for anything missed.

One queued dispatch is enough for any number of commits: ``dispatch_events`` takes every event waiting
when it runs. So a commit enqueues the task only when none is waiting to start (a flag in the queue's
own key-value store, set with ``put_if_empty`` and cleared by the task as it starts, before it reads
the events). A billing run that issues a thousand invoices then costs the consumers a handful of
dispatches instead of a thousand, which before took about as much of a consumer as the PDFs.
A commit that finds the flag set skips the enqueue: the waiting task has not read the events yet, so it
takes this commit's events too. A flag left behind (an enqueue that failed, a consumer killed between
dequeuing the task and clearing it) is cleared by the minutely dispatch.
"""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_FLAG = "ops.events.written"
PENDING_KEY = "ops.events.dispatch-pending"  # in the queue's key-value store: a dispatch is waiting


def _immediate() -> bool:
    from ops.tasks.queue import huey

    return bool(huey.immediate)


def _enqueue() -> None:
    from ops.events.tasks import dispatch_events_task
    from ops.tasks.queue import huey

    if not huey.put_if_empty(PENDING_KEY, "1"):
        return  # a dispatch is queued and has not started: it takes these events too
    try:
        dispatch_events_task()
    except Exception:
        clear_pending()  # nothing was queued: the next commit enqueues again
        raise


def clear_pending() -> None:
    """Called by the dispatch tasks as they start, before they read the events (see the module's note)."""
    from ops.tasks.queue import huey

    huey.get(PENDING_KEY)  # get() without peek removes the key


_listening = False


def _listen_to_sessions() -> None:
    """The session listeners, once per process (create_app may run several times: tests)."""
    global _listening
    if _listening:
        return
    _listening = True
    from ops.events.models import Event

    @sa_event.listens_for(Session, "after_flush")
    def _note_events(session, _context):
        if any(isinstance(obj, Event) for obj in session.new):
            session.info[_FLAG] = True

    @sa_event.listens_for(Session, "after_commit")
    def _after_commit(session):
        if not session.info.pop(_FLAG, False):
            return
        try:
            if _immediate():
                if has_request_context():
                    g.dispatch_events_due = True
                return
            _enqueue()
        except Exception:  # the periodic dispatch picks the events up; a commit never fails for this
            log.exception("could not enqueue dispatch_events")

    @sa_event.listens_for(Session, "after_soft_rollback")
    def _after_rollback(session, _previous):
        if not session.in_transaction():
            session.info.pop(_FLAG, None)


def install_dispatch(app: Flask) -> None:
    _listen_to_sessions()

    @app.after_request
    def _dispatch_inline(response):
        if g.pop("dispatch_events_due", False):
            from ops.notify.services import dispatch_events

            try:
                dispatch_events()
            except Exception:
                from ops.extensions import db

                db.session.rollback()
                log.exception("inline dispatch_events failed; the periodic dispatch will retry")
        return response
