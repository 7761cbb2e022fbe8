"""Seats: the contract's seats sold against the assignments on it (the rules: ``ops.onboarding.seats``)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ops.contracts.models import Contract
from ops.contracts.services.amendments import accepted_versions, terms_in_force
from ops.extensions import db
from ops.onboarding import seats
from ops.onboarding.models import Assignment
from ops.timeutil import today


def contract_seat_rows(contract: Contract, on: date | None = None) -> list[dict]:
    """The seat rows the contract sells on ``on`` (default today): scope, shift, seats.

    The one place that reads the seats in force: the contract's frozen terms with its accepted
    amendments (补充协议) applied, the version in force on ``on``. A per-consult contract sells no
    seats (empty: no seat bound).
    """
    if contract.model == "per_consult" or (contract.terms or {}).get("model") == "per_consult":
        return []
    return list(terms_in_force(contract, on or today()).get("seats") or [])


def seat_rows_from(contract: Contract, start: date) -> list[list[dict]]:
    """The seat rows in force on ``start`` and on every later amendment's effective date: an
    assignment starting on ``start`` (with no end) must fit each of them."""
    later = sorted(
        {effective_on for effective_on, _ in accepted_versions(contract.id) if effective_on > start}
    )
    return [contract_seat_rows(contract, day) for day in [start, *later]]


def held_on_contract(contract_id: int, *, exclude_id: int | None = None) -> list[seats.Held]:
    """The assignments on the contract, as the seat rules see them (one query)."""
    stmt = sa.select(
        Assignment.id,
        Assignment.agent_id,
        Assignment.scope,
        Assignment.shift,
        Assignment.end_on,
        Assignment.cancelled_at,
    ).where(Assignment.contract_id == contract_id)
    return [
        seats.Held(
            agent_id=agent_id, scope=scope, shift=shift, end_on=end_on, cancelled=cancelled_at is not None
        )
        for id_, agent_id, scope, shift, end_on, cancelled_at in db.session.execute(stmt)
        if id_ != exclude_id
    ]


def seat_usage(contract: Contract, on: date | None = None) -> list[dict]:
    """Seats used / sold per scope × shift on ``on`` (default today); empty when the contract sells no
    seats. Each row: scope, shift, sold, used, over."""
    day = on or today()
    rows = contract_seat_rows(contract, day)
    if not rows:
        return []
    return seats.usage_rows(rows, held_on_contract(contract.id), day)
