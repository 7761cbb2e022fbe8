"""One place for time: aware UTC timestamps, business dates in Asia/Shanghai (pure; the column type
that stores timestamps lives in ``ops.dbtypes``)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's business date in Asia/Shanghai."""
    return datetime.now(SHANGHAI).date()


def local(dt: datetime | None) -> datetime | None:
    """An aware timestamp shown in Asia/Shanghai."""
    return dt.astimezone(SHANGHAI) if dt is not None else None
