"""Gapless document numbers per kind and year (HT-2026-0001, INV-2026-00001, BJ-2026-0001).

The counter row is updated inside the caller's transaction: on PostgreSQL the UPDATE takes a row
lock that makes a concurrent transaction wait; on SQLite it takes the database write lock. A
rolled-back transaction gives its number back, so numbers have no gaps.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.timeutil import utcnow


class NumberSequence(db.Model):
    __tablename__ = "number_sequences"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def next_value(kind: str, year: int) -> int:
    """Take the next value of the (kind, year) counter in the current transaction."""
    table = NumberSequence.__table__
    for _ in range(3):
        value = db.session.execute(
            sa.update(table)
            .where(table.c.kind == kind, table.c.year == year)
            .values(last_value=table.c.last_value + 1, updated_at=utcnow())
            .returning(table.c.last_value)
        ).scalar()
        if value is not None:
            return value
        try:
            with db.session.begin_nested():
                db.session.execute(
                    sa.insert(table).values(kind=kind, year=year, last_value=1, updated_at=utcnow())
                )
            return 1
        except IntegrityError:
            continue  # another transaction created the row first: take the UPDATE path
    raise RuntimeError(f"could not take a number for {kind} {year}")


def next_number(prefix: str, year: int, width: int) -> str:
    """The next document number, e.g. next_number("HT", 2026, 4) -> "HT-2026-0001"."""
    return f"{prefix}-{year}-{next_value(prefix, year):0{width}d}"
