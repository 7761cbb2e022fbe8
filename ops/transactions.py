"""Transaction helpers."""

from contextlib import contextmanager

from ops.extensions import db


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
        db.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
