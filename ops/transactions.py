"""Transaction helpers: the write lock, row locks, and retrying a unit of work that lost a lock race.

The rule (docs/architecture.md, "Locks and check-then-write"): a service that checks state and then
writes takes its row lock first, re-checks under the lock, and is backed by a database constraint
where one can express the rule. Billing takes its locks in one order: contract → invoice → number
counter.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from ops.extensions import db
from ops.sqlitelock import begin_immediate

T = TypeVar("T")

# PostgreSQL: deadlock_detected, serialization_failure (transaction_rollback class).
RETRYABLE_SQLSTATES = {"40P01", "40001"}


@contextmanager
def write_transaction():
    """A unit of work that must not interleave with another writer.

    Ends the session's current transaction (callers start it before changing anything), then opens
    one that takes the write lock at once: BEGIN IMMEDIATE on SQLite; on PostgreSQL a plain
    transaction, where the services take row locks (SELECT … FOR UPDATE, the numbering UPDATE).
    Commits on success, rolls back on error.
    """
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        begin_immediate(db.session.connection().connection.dbapi_connection)
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def take_write_lock() -> None:
    """On SQLite, open the transaction with BEGIN IMMEDIATE unless one is open already.

    For services whose caller commits (the view's unit of work): reads made after this see the
    latest data and no other writer can slip in before the commit. On SQLite a transaction is only
    ever opened by BEGIN IMMEDIATE (ops/__init__.py), so an open one already holds the write lock.
    On PostgreSQL nothing to do: the row locks (``lock_row``) do the work.
    """
    if db.engine.dialect.name != "sqlite":
        return
    dbapi_connection = db.session.connection().connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        begin_immediate(dbapi_connection)


def lock_row(model: type[T], row_id: int, *options) -> T | None:
    """``model`` ``row_id`` re-read and locked for the rest of the current transaction.

    SELECT … FOR UPDATE on PostgreSQL (a concurrent locker waits, then reads what this transaction
    committed); the write lock on SQLite. The object already in the session is refreshed with the
    locked row's values, so the caller's copy is the one to check.
    """
    take_write_lock()
    return db.session.scalar(
        sa.select(model)
        .where(model.id == row_id)
        .options(*options)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or "database is locked" (SQLite): try again."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(orig)


def retrying(action: Callable[[], T], *, attempts: int = 4, backoff: float = 0.05) -> T:
    """Run ``action`` (one whole unit of work); after a deadlock or serialization failure roll back,
    wait a little (longer each time, with jitter) and run it again, at most ``attempts`` times."""
    import random

    for attempt in range(1, attempts + 1):
        try:
            return action()
        except DBAPIError as exc:
            db.session.rollback()
            if attempt == attempts or not is_retryable(exc):
                raise
            time.sleep(backoff * attempt * (1 + random.random()))
    raise AssertionError("unreachable")
