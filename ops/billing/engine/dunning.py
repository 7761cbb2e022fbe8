"""Dunning (催款): which payment reminder an open invoice is due for today.

Pure: no Flask, no database.

The rule, as finance can check it by hand:

* A contract's reminder levels are days relative to the invoice's due date (its terms'
  ``dunning_days``, default ``DEFAULT_DUNNING_DAYS`` = −3, +1, +7, +15: three days before the due
  date, then one, seven and fifteen days after it). Level n is the n-th of those days in ascending
  order (level 1 = the earliest); the last level is the final notice, which warns of service
  suspension when the contract allows it.
* On a day ``today``, a level is *reached* when due date + its days ≤ today. The level due today is
  the highest reached one, unless it or a later level was already sent: a reminder missed for
  several days (no consumer running, the invoice issued late) is sent once, not once per missed
  day, and a later level supersedes an earlier one that was never sent (the client gets the
  reminder that fits the day, not a backlog of stale ones).
* Nothing is due before the first level is reached, and nothing once the last level was sent.

Which invoices are dunned at all (open, not disputed, client not paused) is the service's
business (ops.billing.services.dunning); this module only answers "which level, if any".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_DUNNING_DAYS: tuple[int, ...] = (-3, 1, 7, 15)
# Bounds of a configured level: a reminder more than 90 days before or 365 days after the due date
# makes no sense and is refused where the terms are edited.
MIN_DAYS, MAX_DAYS, MAX_LEVELS = -90, 365, 8


@dataclass(frozen=True)
class Reminder:
    """A level due: ``level`` (1-based), ``days`` relative to the due date, ``final`` (the last level)."""

    level: int
    days: int
    on: date  # the day the level was reached (due date + days)
    final: bool


def dunning_days(value: object) -> tuple[int, ...]:
    """The reminder days of a contract's terms value, sorted and without duplicates.

    A missing, empty or malformed value (hand-made or older terms) gives the default, so a
    contract is never left without reminders by a typo in its JSON.
    """
    if not isinstance(value, (list, tuple)) or not value:
        return DEFAULT_DUNNING_DAYS
    days: set[int] = set()
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not MIN_DAYS <= item <= MAX_DAYS:
            return DEFAULT_DUNNING_DAYS
        days.add(item)
    if len(days) > MAX_LEVELS:
        return DEFAULT_DUNNING_DAYS
    return tuple(sorted(days))


def reminder_due(
    due_on: date, today: date, days: Sequence[int], sent_levels: Collection[int]
) -> Reminder | None:
    """The reminder to send for an invoice due on ``due_on`` as of ``today``, or None.

    ``days`` are the contract's levels (``dunning_days``), ``sent_levels`` the levels already
    recorded for the invoice.
    """
    levels = dunning_days(list(days))
    reached = [n for n, offset in enumerate(levels, start=1) if due_on + timedelta(days=offset) <= today]
    if not reached:
        return None
    level = reached[-1]
    if any(sent >= level for sent in sent_levels):
        return None
    offset = levels[level - 1]
    return Reminder(level=level, days=offset, on=due_on + timedelta(days=offset), final=level == len(levels))


# Words in a breach clause (违约条款) that let the vendor suspend service, as the shipped default
# "付款违约" clause says: "逾期超过 15 日的，乙方有权暂停服务。"
SUSPENSION_WORDS = ("暂停服务", "停止服务", "中止服务", "暂停提供服务", "停止提供服务")


def allows_suspension(clause_texts: Sequence[str]) -> bool:
    """Whether any of a contract's clause texts (title and body) allows suspending service; the
    final reminder warns of suspension only then ("as the contract allows")."""
    return any(word in text for text in clause_texts for word in SUSPENSION_WORDS)


def parse_dunning_days(text: str | None) -> tuple[int, ...]:
    """A form's "-3, 1, 7, 15" (commas, Chinese commas or spaces) as sorted days; blank: the default.

    Raises ValueError with a message for the user when a part is not a whole number of days within
    −90 … 365, or there are more than 8 levels.
    """
    from ops.i18n import _l

    parts = [p for p in (text or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if p]
    if not parts:
        return DEFAULT_DUNNING_DAYS
    days: set[int] = set()
    for part in parts:
        try:
            value = int(part.lstrip("+"))
        except ValueError:
            raise ValueError(
                str(_l("“%(part)s”不是天数：请填写整数，例如 -3, 1, 7, 15", part=part))
            ) from None
        if not MIN_DAYS <= value <= MAX_DAYS:
            raise ValueError(str(_l("提醒节点须在到期日前 90 天至到期后 365 天之间")))
        days.add(value)
    if len(days) > MAX_LEVELS:
        raise ValueError(str(_l("最多 8 个提醒节点")))
    return tuple(sorted(days))


def format_dunning_days(days: Sequence[int]) -> str:
    """(-3, 1, 7, 15) → "-3, +1, +7, +15" (the form's and the contract page's text)."""
    return ", ".join(f"{d:+d}" if d else "0" for d in days)
