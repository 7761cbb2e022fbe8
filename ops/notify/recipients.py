"""Who receives each event kind, on which channels: staff users (in-app, and e-mail when they have an
address) and client contacts (e-mail). Preferences are applied by the caller."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ops.auth.models import User
from ops.auth.roles import MANAGER, STAFF_ROLES, TRAINER
from ops.billing.models import Invoice, Payment
from ops.clients.models import Client, ClientContact
from ops.contracts.models import Contract
from ops.extensions import db
from ops.notify.kinds import EMAIL, IN_APP, KINDS
from ops.onboarding.models import Assignment
from ops.quotes.models import Quote
from ops.training.models import TrainingSession


@dataclass(frozen=True)
class Recipient:
    key: str  # u<user id> or c<contact id>: part of the delivery key
    user_id: int | None
    contact_id: int | None
    email: str
    locale: str

    @property
    def staff(self) -> bool:
        return self.user_id is not None

    def channels(self) -> tuple[str, ...]:
        if self.staff:
            return (IN_APP, EMAIL) if self.email else (IN_APP,)
        return (EMAIL,) if self.email else ()


def _user(user: User) -> Recipient:
    return Recipient(f"u{user.id}", user.id, None, (user.email or "").strip(), user.locale or "zh")


def _contact(contact: ClientContact) -> Recipient:
    return Recipient(
        f"c{contact.id}", None, contact.id, (contact.email or "").strip(), contact.locale or "zh"
    )


def staff(user_ids) -> list[Recipient]:
    ids = [i for i in user_ids if i]
    if not ids:
        return []
    users = db.session.scalars(
        sa.select(User)
        .where(User.id.in_(ids), User.is_active_user.is_(True), User.role.in_(STAFF_ROLES))
        .order_by(User.id)
    )
    return [_user(u) for u in users]


def with_role(*roles: str) -> list[Recipient]:
    users = db.session.scalars(
        sa.select(User).where(User.role.in_(roles), User.is_active_user.is_(True)).order_by(User.id)
    )
    return [_user(u) for u in users]


def contacts(client_id: int, *, finance: bool = False) -> list[Recipient]:
    """The client's contacts with an e-mail address; ``finance``: those flagged 财务联系人, or every
    contact when none is flagged."""
    rows = db.session.scalars(
        sa.select(ClientContact)
        .where(ClientContact.client_id == client_id, ClientContact.email != "")
        .order_by(ClientContact.id)
    ).all()
    if finance and any(c.is_finance for c in rows):
        rows = [c for c in rows if c.is_finance]
    return [_contact(c) for c in rows]


def _owner_id(client_id: int) -> int | None:
    return db.session.scalar(sa.select(Client.owner_id).where(Client.id == client_id))


def _payload_row(model, event, name: str):
    return db.session.get(model, (event.payload or {}).get(name) or event.subject_id)


def _quote(event) -> list[Recipient]:
    quote = _payload_row(Quote, event, "quote_id")
    if quote is None:
        return []
    if event.kind == "quote.sent":
        return contacts(quote.client_id)
    if event.kind == "quote.approval_needed":
        return with_role(MANAGER)
    return staff([quote.created_by_id, _owner_id(quote.client_id)])  # the quote's sales owner(s)


def _deposit(event) -> list[Recipient]:
    contract = _payload_row(Contract, event, "contract_id")
    if contract is None:
        return []
    return contacts(contract.client_id, finance=True) + staff([_owner_id(contract.client_id)])


def _trainers_of(client_id: int | None) -> list[Recipient]:
    """The trainers who ran the client's training sessions; every trainer when none did."""
    ids = (
        db.session.scalars(
            sa.select(TrainingSession.trainer_id).where(TrainingSession.client_id == client_id).distinct()
        ).all()
        if client_id
        else []
    )
    return staff(ids) or with_role(TRAINER)


def _golive(event) -> list[Recipient]:
    assignment = _payload_row(Assignment, event, "assignment_id")
    if assignment is None:
        return []
    return _trainers_of(assignment.client_id) + with_role(MANAGER)


def _invoice_client(event) -> int | None:
    invoice = _payload_row(Invoice, event, "invoice_id")
    return invoice.client_id if invoice is not None else None


def _billing(event) -> list[Recipient]:
    client_id = _invoice_client(event)
    return contacts(client_id, finance=True) if client_id else []


def _payment(event) -> list[Recipient]:
    payment = _payload_row(Payment, event, "payment_id")
    return contacts(payment.invoice.client_id, finance=True) if payment is not None else []


def _expiring(event) -> list[Recipient]:
    contract = _payload_row(Contract, event, "contract_id")
    if contract is None:
        return []
    return staff([_owner_id(contract.client_id)]) + with_role(MANAGER)


def _webhook_owner(event) -> list[Recipient]:
    return staff([(event.payload or {}).get("owner_id")])


RESOLVERS = {
    "quote.sent": _quote,
    "quote.accepted": _quote,
    "quote.rejected": _quote,
    "quote.approval_needed": _quote,
    "deposit.received": _deposit,
    "material.uploaded": lambda event: with_role(TRAINER),
    "assignment.golive_soon": _golive,
    "invoice.issued": _billing,
    "payment.received": _payment,
    "contract.expiring": _expiring,
    "invoice.dunning": _billing,
    "webhook.disabled": _webhook_owner,
}


def recipients(event) -> list[Recipient]:
    """The event's recipients, each once (a sales owner who is also a manager hears once)."""
    if event.kind not in KINDS:
        return []
    seen: dict[str, Recipient] = {}
    for recipient in RESOLVERS[event.kind](event):
        seen.setdefault(recipient.key, recipient)
    return list(seen.values())
