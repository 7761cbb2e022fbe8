"""When a transaction that wrote events commits, their delivery is started.

SQLAlchemy's ``after_flush`` notes that the session wrote ``Event`` rows; ``after_commit`` then
enqueues the ``dispatch_events`` task — on a real queue (SqliteHuey, Redis) that only writes to the
queue, never to this session. In immediate mode (tests, ``QUEUE_IMMEDIATE``) running the task inside
``after_commit`` would reuse a session in the middle of committing, so the commit only raises a flag
and the dispatch runs when the request ends (``after_request``); outside a request (a test calling
services directly, a CLI command) the caller runs ``dispatch_events()`` itself, and the periodic
task (every minute) is the safety net for anything missed.
"""

from __future__ import annotations

import logging

from flask import Flask, g, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_FLAG = "ops.events.written"


def _immediate() -> bool:
    from ops.tasks.queue import huey

    return bool(huey.immediate)


def _enqueue() -> None:
    from ops.events.tasks import dispatch_events_task

    dispatch_events_task()


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
