"""Rotation: which timestamped archives a daily/monthly rule keeps, and pruning the rest."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

ROTATED = re.compile(r"^ops-backup-(\d{8}T\d{6}Z)\.tar\.gz$")


def rotated_name(now: datetime) -> str:
    return f"ops-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def backups_to_keep(stamps: Iterable[datetime], keep_daily: int, keep_monthly: int) -> set[datetime]:
    """Which backups a rotation keeps: the newest of each of the ``keep_daily`` most recent days that
    have a backup, and the newest of each of the ``keep_monthly`` most recent months (UTC dates)."""
    newest_first = sorted(set(stamps), reverse=True)
    keep: set[datetime] = set()
    for count, period in ((keep_daily, lambda s: s.date()), (keep_monthly, lambda s: (s.year, s.month))):
        seen = []
        for stamp in newest_first:
            key = period(stamp)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(stamp)
    return keep


def prune(folder: Path, keep_daily: int, keep_monthly: int) -> list[Path]:
    """Delete the rotated archives in ``folder`` the rule does not keep; returns them."""
    stamped = {}
    for path in folder.iterdir():
        match = ROTATED.match(path.name)
        if match and path.is_file():
            stamped[datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)] = path
    keep = backups_to_keep(stamped, keep_daily, keep_monthly)
    removed = []
    for stamp, path in sorted(stamped.items()):
        if stamp not in keep:
            path.unlink()
            removed.append(path)
    return removed
