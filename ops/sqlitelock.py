"""SQLite's write lock taken by polling, so that a waiting writer gets its turn.

SQLite's own busy handler (``PRAGMA busy_timeout``) sleeps longer and longer between tries (1, 2, 5 … up
to 100 ms). A process that writes back to back (a billing run: a short write transaction per contract,
the next one a millisecond after the last) leaves the lock free only in gaps of about a millisecond, so
a waiter that sleeps 50–100 ms between tries almost never wakes in one: queue consumers storing PDFs, or
a page's POST, waited for most of a run. ``begin_immediate`` tries every millisecond instead, for as long
as the busy timeout allows, then fails as before ("database is locked").
"""

from __future__ import annotations

import sqlite3
import time

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for the lock in all (the connection's busy_timeout)
POLL_SECONDS = 0.001


def begin_immediate(connection: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE on ``connection`` (not in a transaction), waiting up to BUSY_TIMEOUT_MS."""
    cursor = connection.cursor()
    # No busy handler for these tries (restored however this ends): it would sleep up to 100 ms a try.
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(POLL_SECONDS)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()
