"""Contracts ending soon: the ``contract.expiring`` event, once per contract and end date.

The daily scan (ops.tasks.schedule) emits one event for every active contract whose end date falls
within ``EXPIRY_NOTICE_DAYS`` days; the event's key holds the contract and its end date, so the
scan may run any number of times (a contract extended to a new end date is announced again when
that date comes near). Delivery (sales, managers) is the notifications' business.
"""

from __future__ import annotations

from datetime import date

from ops.contracts.services.contracts import contracts_ending_within
from ops.events.services import emit
from ops.extensions import db
from ops.timeutil import today

EXPIRY_NOTICE_DAYS = 30


def announce_expiring_contracts(on: date | None = None) -> int:
    """Emit ``contract.expiring`` for each active contract ending within 30 days of ``on`` (today)
    not announced before for that end date; returns how many were new. The caller commits."""
    on = on or today()
    new = 0
    for contract in db.session.scalars(contracts_ending_within(EXPIRY_NOTICE_DAYS, on)):
        event = emit(
            "contract.expiring",
            contract,
            client_id=contract.client_id,
            key=f"contract.expiring:{contract.id}:{contract.end_on.isoformat()}",
            contract_id=contract.id,
            ends_on=contract.end_on.isoformat(),
        )
        new += event is not None
    return new
