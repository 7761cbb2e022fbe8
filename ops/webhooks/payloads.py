"""What a webhook says: ``{"type", "timestamp", "data"}`` with a snapshot of the event's object.

The snapshot is read when the delivery row is written (the event's dispatch, normally seconds after
the change) and frozen in the row, so every attempt sends the same bytes. Ids, numbers, dates,
amounts in fen, states and the client's id and name; never a secret, a credential or a person's
contact details.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from ops.billing.models import CreditNote, Invoice
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.extensions import db
from ops.onboarding.models import Assignment
from ops.quotes.models import Quote
from ops.webhooks.rules import PING


class Gone(Exception):
    """The event's object no longer exists: nothing to tell."""


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _client(client_id: int | None) -> dict[str, Any] | None:
    client = db.session.get(Client, client_id) if client_id else None
    return {"id": client.id, "name": client.name} if client is not None else None


def _get(model, event, name: str):
    row = db.session.get(model, (event.payload or {}).get(name) or event.subject_id)
    if row is None:
        raise Gone(f"{model.__name__} of event {event.id}")
    return row


def _quote(event) -> dict[str, Any]:
    quote = _get(Quote, event, "quote_id")
    return {
        "quote": {
            "id": quote.id,
            "number": quote.number,
            "version": quote.version,
            "status": quote.status,
            "model": quote.model,
            "total_fen": quote.total_fen,
            "valid_until": _day(quote.valid_until),
        },
        "client": _client(quote.client_id),
    }


def _contract(event) -> dict[str, Any]:
    contract = _get(Contract, event, "contract_id")
    return {
        "contract": {
            "id": contract.id,
            "number": contract.number,
            "title": contract.title,
            "status": contract.status,
            "model": contract.model,
            "start_on": _day(contract.start_on),
            "end_on": _day(contract.end_on),
            "signed_on": _day(contract.signed_on),
            "quote_id": contract.quote_id,
        },
        "client": _client(contract.client_id),
    }


def _assignment(event) -> dict[str, Any]:
    assignment = _get(Assignment, event, "assignment_id")
    contract = db.session.get(Contract, assignment.contract_id)
    return {
        "assignment": {
            "id": assignment.id,
            "agent": {"id": assignment.agent.id, "name": assignment.agent.name},
            "contract": {"id": contract.id, "number": contract.number} if contract else None,
            "scope": assignment.scope,
            "shift": assignment.shift,
            "go_live_on": _day(assignment.go_live_on),
        },
        "client": _client(assignment.client_id),
    }


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    contract = db.session.get(Contract, invoice.contract_id)
    return {
        "id": invoice.id,
        "number": invoice.number,
        "status": invoice.status,
        "period": invoice.period,
        "contract": {"id": contract.id, "number": contract.number} if contract else None,
        "issued_on": _day(invoice.issued_on),
        "due_on": _day(invoice.due_on),
        "net_fen": invoice.net_fen,
        "tax_fen": invoice.tax_fen,
        "total_fen": invoice.total_fen,
        "paid_fen": invoice.paid_fen,
        "allocated_fen": invoice.allocated_fen,
        "balance_fen": invoice.balance_fen,
        "tax_rate_bp": invoice.tax_rate_bp,
    }


def _invoice(event) -> dict[str, Any]:
    invoice = _get(Invoice, event, "invoice_id")
    data = invoice_data(invoice)
    if invoice.status == "void":
        data["void_reason"] = invoice.void_reason
    return {"invoice": data, "client": _client(invoice.client_id)}


def _credit_note(event) -> dict[str, Any]:
    note = _get(CreditNote, event, "credit_note_id")
    invoice = db.session.get(Invoice, note.invoice_id)
    return {
        "credit_note": {
            "id": note.id,
            "number": note.number,
            "status": note.status,
            "issued_on": _day(note.issued_on),
            "reason": note.reason,
            "net_fen": note.net_fen,
            "tax_fen": note.tax_fen,
            "total_fen": note.total_fen,
            "invoice": {"id": invoice.id, "number": invoice.number} if invoice else None,
        },
        "client": _client(invoice.client_id if invoice else None),
    }


SNAPSHOTS = {
    "quote.sent": _quote,
    "quote.accepted": _quote,
    "contract.activated": _contract,
    "assignment.live": _assignment,
    "invoice.issued": _invoice,
    "invoice.paid": _invoice,
    "invoice.voided": _invoice,
    "credit_note.issued": _credit_note,
}


def encode(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    """The body: compact JSON, UTF-8 text as is (``ensure_ascii=False``), keys in a stable order."""
    message = {"type": event_type, "timestamp": at.isoformat(), "data": data}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def event_body(event) -> str:
    """The body for ``event`` (Gone when its object was deleted since)."""
    return encode(event.kind, event.created_at, SNAPSHOTS[event.kind](event))


def ping_body(subscription, at: datetime) -> str:
    return encode(PING, at, {"subscription": {"id": subscription.id, "url": subscription.url}})
