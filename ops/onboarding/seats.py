"""Seats: what a contract sold (scope × shift × headcount) bounds the assignments made on it.

Pure: no Flask, no database. The services hand in plain values (the contract's seat rows and the
assignments already on it) and get back the refusal, if any.

The rules, precisely:

- A contract *sells* seats when its frozen terms list seat rows (``terms["seats"]``); rows of the same
  scope × shift add up. A contract that lists no seats (a per-consult contract) has **no seat bound**:
  any scope × shift, any headcount (the same agent twice is still refused).
- An assignment *occupies a seat* from its creation until it ends: it is not cancelled, and it has no
  end date or its end date is after the day in question (the end day is not served, as in billing).
  Pending (not live yet) and live assignments occupy seats; cancelled and ended ones free theirs.
- A new assignment starts on ``start`` (its planned go-live date, or today when it has none) and
  has no end. It overlaps every assignment that still occupies a seat on or after ``start``: one
  with no end date, or with an end date after ``start``. (A pending assignment has no actual dates
  yet, so it is counted as overlapping whatever its planned date.)
- Refused: a scope × shift the contract does not sell; the same agent on the contract with an
  overlapping assignment (any scope × shift); a headcount beyond the seats sold for that scope ×
  shift — unless a manager gives a reason (``SEAT_FULL`` is the only refusal an override lifts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ops.i18n import LazyText, _l

NOT_SOLD = "not_sold"
SAME_AGENT = "same_agent"
SEAT_FULL = "seat_full"

SeatKey = tuple[str, str]  # (scope, shift)


@dataclass(frozen=True)
class Held:
    """An assignment already on the contract, as the seat rules see it."""

    agent_id: int
    scope: str
    shift: str
    end_on: date | None
    cancelled: bool = False


@dataclass(frozen=True)
class Refusal:
    """Why a new assignment does not fit: ``code`` (NOT_SOLD, SAME_AGENT, SEAT_FULL), the form
    ``field`` at fault and the user's ``message``."""

    code: str
    field: str
    message: LazyText
    sold: int = 0
    used: int = 0


def sold_seats(seat_rows: Iterable[Mapping[str, Any]]) -> dict[SeatKey, int]:
    """{(scope, shift): seats sold}, rows of the same scope × shift added up (in the rows' order)."""
    sold: dict[SeatKey, int] = {}
    for row in seat_rows:
        key = (str(row.get("scope", "")), str(row.get("shift", "")))
        sold[key] = sold.get(key, 0) + int(row.get("seats") or 0)
    return sold


def occupies(held: Held, on: date) -> bool:
    """Whether ``held`` takes a seat on day ``on`` or any later day (not cancelled, not ended by then)."""
    return not held.cancelled and (held.end_on is None or held.end_on > on)


def used_seats(held: Iterable[Held], on: date) -> dict[SeatKey, int]:
    """{(scope, shift): assignments occupying a seat on or after ``on``}."""
    used: dict[SeatKey, int] = {}
    for h in held:
        if occupies(h, on):
            used[(h.scope, h.shift)] = used.get((h.scope, h.shift), 0) + 1
    return used


def check_new(
    seat_rows: Sequence[Mapping[str, Any]],
    held: Iterable[Held],
    *,
    agent_id: int,
    scope: str,
    shift: str,
    start: date,
) -> Refusal | None:
    """The refusal a new assignment of ``agent_id`` to ``scope`` × ``shift`` from ``start`` meets, or None.

    The checks run in this order: the same agent, the scope × shift sold, the headcount.
    """
    held = list(held)
    if any(h.agent_id == agent_id and occupies(h, start) for h in held):
        return Refusal(
            SAME_AGENT, "agent_id", _l("该客服已分配在这份合同上（未结束、未取消），不能重复分配。")
        )
    sold = sold_seats(seat_rows)
    if not sold:
        return None  # no seats listed (per-consult): no seat bound
    key = (scope, shift)
    if key not in sold:
        return Refusal(NOT_SOLD, "shift", _l("这份合同没有该服务范围与班次的席位，不能分配。"))
    used = used_seats(held, start).get(key, 0)
    if used >= sold[key]:
        return Refusal(
            SEAT_FULL,
            "shift",
            _l(
                "该服务范围与班次的席位已满（已占 %(used)s / 合同 %(sold)s）。经理可填写超编原因后分配。",
                used=used,
                sold=sold[key],
            ),
            sold=sold[key],
            used=used,
        )
    return None


def usage_rows(
    seat_rows: Sequence[Mapping[str, Any]], held: Iterable[Held], on: date
) -> list[dict[str, Any]]:
    """Seats used / sold per scope × shift on ``on``: the sold rows first (in the terms' order), then
    any scope × shift occupied without being sold (an override, or terms changed), sold 0."""
    sold = sold_seats(seat_rows)
    used = used_seats(held, on)
    keys = list(sold) + sorted(k for k in used if k not in sold)
    return [
        {
            "scope": scope,
            "shift": shift,
            "sold": sold.get((scope, shift), 0),
            "used": used.get((scope, shift), 0),
            "over": used.get((scope, shift), 0) > sold.get((scope, shift), 0),
        }
        for scope, shift in keys
    ]
