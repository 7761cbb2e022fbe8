"""Seats: the contract's seats sold against the assignments on it (the rules: ``ops.onboarding.seats``)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ops.contracts.models import Contract
from ops.extensions import db
from ops.onboarding import seats
from ops.onboarding.models import Assignment
from ops.timeutil import today


def contract_seat_rows(contract: Contract) -> list[dict]:
    """The seat rows the contract sold (scope, shift, seats), from its frozen terms.

    A per-consult contract sells no seats (empty: no seat bound). When contract amendments version the
    terms by effective date, this is the one place that reads the seats in force.
    """
    terms = contract.terms or {}
    if terms.get("model") == "per_consult":
        return []
    return list(terms.get("seats") or [])


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
    rows = contract_seat_rows(contract)
    if not rows:
        return []
    return seats.usage_rows(rows, held_on_contract(contract.id), on or today())
