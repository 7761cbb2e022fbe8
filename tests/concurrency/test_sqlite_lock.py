"""SQLite's write lock is waited for by polling (ops.sqlitelock): a waiter gets it once the holder
commits, gives up with "database is locked" after the busy timeout, and the connection keeps its busy
timeout either way."""

import sqlite3
import threading

import pytest

from ops import sqlitelock


def _connect(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={sqlitelock.BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def _busy_timeout(conn) -> int:
    return conn.execute("PRAGMA busy_timeout").fetchone()[0]


def test_a_waiter_gets_the_lock_when_the_holder_commits(tmp_path):
    holder, waiter = _connect(tmp_path / "db"), _connect(tmp_path / "db")
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.2, holder.execute, args=("COMMIT",))
    release.start()
    sqlitelock.begin_immediate(waiter)  # waits for the commit
    release.join()
    assert waiter.in_transaction
    assert waiter.execute("SELECT x FROM t").fetchall() == [(1,)]  # it sees what the holder committed
    waiter.execute("INSERT INTO t VALUES (2)")
    waiter.execute("COMMIT")
    assert _busy_timeout(waiter) == sqlitelock.BUSY_TIMEOUT_MS


def test_a_waiter_gives_up_after_the_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlitelock, "BUSY_TIMEOUT_MS", 300)
    holder, waiter = _connect(tmp_path / "db"), _connect(tmp_path / "db")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        sqlitelock.begin_immediate(waiter)
    assert not waiter.in_transaction
    assert _busy_timeout(waiter) == 300  # restored (to the patched value)
    holder.execute("COMMIT")
    sqlitelock.begin_immediate(waiter)  # free now: at the first try
    assert waiter.in_transaction
