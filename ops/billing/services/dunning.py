"""Dunning (催款): recording the payment reminders open invoices are due for, and finance's two switches
on it — mark an invoice disputed (争议) and pause a client's reminders — both audited.

The rule of which level is due is engine.dunning. ``run_dunning`` (a daily periodic task, and
``flask billing dunning``) decides per invoice under the invoice's lock and, when a level is due,
writes a ``dunning_reminders`` row and its ``invoice.dunning`` event in ONE transaction, committed
before anything is sent: delivery (e-mail, in-app) reads the committed event afterwards
(ops.events), and sets ``delivered_at``. The unique (invoice, level) key and the idempotent event
key mean that a scan run twice, by two consumers, or again after a crash between "recorded" and
"sent", never records (so never sends) a level twice.

No reminder for an invoice that is not ``issued`` (draft, void, or ``paid`` — settled by payments,
credit notes or allocations), whose outstanding (total − paid − allocated) is 0, that is disputed,
or whose client finance paused.

Locks: the invoice, then its client (as credits.apply_credit_balance); pausing locks the client.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ops.audit.services import record
from ops.billing.engine.dunning import allows_suspension, dunning_days, reminder_due
from ops.billing.models import DunningReminder, Invoice
from ops.billing.services.base import BillingServiceError, lock_invoice
from ops.billing.services.credits import lock_client
from ops.clients.models import Client
from ops.contracts.models import Contract, ContractClause
from ops.events.services import emit
from ops.extensions import db
from ops.i18n import _l
from ops.money import format_fen
from ops.timeutil import today, utcnow
from ops.transactions import write_transaction

OPEN_BALANCE = Invoice.total_fen - Invoice.paid_fen - Invoice.allocated_fen


def _dunnable(invoice: Invoice, client: Client) -> bool:
    return (
        invoice.status == "issued"
        and invoice.due_on is not None
        and invoice.balance_fen > 0
        and invoice.disputed_at is None
        and client.dunning_paused_at is None
    )


def dunning_candidates():
    """A select of (invoice id, due date, contract terms) of invoices that may be dunned: issued,
    due date set, something outstanding, not disputed, client not paused (each is checked again
    under its lock)."""
    return (
        sa.select(Invoice.id, Invoice.due_on, Contract.terms)
        .join(Client, Client.id == Invoice.client_id)
        .join(Contract, Contract.id == Invoice.contract_id)
        .where(
            Invoice.status == "issued",
            Invoice.due_on.is_not(None),
            OPEN_BALANCE > 0,
            Invoice.disputed_at.is_(None),
            Client.dunning_paused_at.is_(None),
        )
        .order_by(Invoice.id)
    )


def sent_levels(invoice_id: int) -> list[int]:
    return list(
        db.session.scalars(sa.select(DunningReminder.level).where(DunningReminder.invoice_id == invoice_id))
    )


def reminders_of(invoice_id: int) -> list[DunningReminder]:
    return list(
        db.session.scalars(
            sa.select(DunningReminder)
            .where(DunningReminder.invoice_id == invoice_id)
            .order_by(DunningReminder.level)
        )
    )


def contract_allows_suspension(contract_id: int) -> bool:
    """Whether the contract's breach clauses (违约条款) let the vendor suspend service."""
    clauses = db.session.execute(
        sa.select(ContractClause.title, ContractClause.body).where(ContractClause.contract_id == contract_id)
    ).all()
    return allows_suspension([f"{title} {body}" for title, body in clauses])


def remind_invoice(invoice_id: int, on: date | None = None) -> DunningReminder | None:
    """Record the reminder ``invoice_id`` is due for on ``on`` (today), with its event; None when
    nothing is due. The caller's transaction commits (``run_dunning`` commits per invoice)."""
    on = on or today()
    invoice = lock_invoice(invoice_id)
    client = lock_client(invoice.client_id)
    if not _dunnable(invoice, client):
        return None
    assert invoice.due_on is not None  # _dunnable
    days = dunning_days(invoice.contract.terms.get("dunning_days"))
    due = reminder_due(invoice.due_on, on, days, sent_levels(invoice.id))
    if due is None:
        return None
    reminder = DunningReminder(
        invoice_id=invoice.id,
        level=due.level,
        days=due.days,
        due_on=invoice.due_on,
        final=due.final,
        suspension_warning=due.final and contract_allows_suspension(invoice.contract_id),
        outstanding_fen=invoice.balance_fen,
    )
    db.session.add(reminder)
    db.session.flush()
    event = emit(
        "invoice.dunning",
        invoice,
        client_id=invoice.client_id,
        key=f"invoice.dunning:{invoice.id}:{due.level}",
        invoice_id=invoice.id,
        reminder_id=reminder.id,
        level=due.level,
        days=due.days,
        final=due.final,
        suspension_warning=reminder.suspension_warning,
        outstanding_fen=reminder.outstanding_fen,
        due_on=invoice.due_on.isoformat(),
    )
    if event is not None:
        db.session.flush()
        reminder.event_id = event.id
    record(
        "invoice.dunning_recorded",
        invoice,
        summary=_l(
            "%(number)s 第 %(level)s 级催款提醒（到期日 %(days)s 天），未付 %(amount)s",
            number=invoice.number or "",
            level=due.level,
            days=f"{due.days:+d}",
            amount=format_fen(reminder.outstanding_fen),
        ),
        after={"level": due.level, "days": due.days, "final": due.final, "reminder_id": reminder.id},
    )
    return reminder


def run_dunning(on: date | None = None) -> int:
    """Record every reminder due today, one transaction per invoice; returns how many were recorded.

    Safe to run any number of times a day and again after a crash: an invoice whose level was
    recorded is skipped under its lock. A first unlocked read (two queries for all candidates) picks
    the invoices with a level due, so a scan over thousands of open invoices locks only those."""
    on = on or today()
    candidates = db.session.execute(dunning_candidates()).all()
    sent: dict[int, list[int]] = {}
    for invoice_id, level in db.session.execute(
        sa.select(DunningReminder.invoice_id, DunningReminder.level).where(
            DunningReminder.invoice_id.in_(sa.select(dunning_candidates().subquery().c.id))
        )
    ):
        sent.setdefault(invoice_id, []).append(level)
    due = [
        invoice_id
        for invoice_id, due_on, terms in candidates
        if reminder_due(due_on, on, dunning_days((terms or {}).get("dunning_days")), sent.get(invoice_id, []))
    ]
    db.session.commit()  # end the read: each invoice gets its own write transaction
    recorded = 0
    for invoice_id in due:
        with write_transaction():
            if remind_invoice(invoice_id, on) is not None:
                recorded += 1
    return recorded


def mark_reminder_delivered(reminder_id: int) -> bool:
    """For the delivery of an ``invoice.dunning`` event (payload ``reminder_id``): the reminder was
    sent. True the first time; False when it was already marked (a redelivery). The caller commits."""
    updated = db.session.execute(
        sa.update(DunningReminder)
        .where(DunningReminder.id == reminder_id, DunningReminder.delivered_at.is_(None))
        .values(delivered_at=utcnow())
    )
    return bool(updated.rowcount)  # type: ignore[attr-defined]


# --- finance's switches ---------------------------------------------------------------------------

MSG_DISPUTE_STATE = _l("只有已开具、未结清的账单可以标记争议。")


def mark_disputed(invoice: Invoice, by=None) -> Invoice:
    """标记争议: no payment reminder for ``invoice`` until the dispute is cleared."""
    invoice = lock_invoice(invoice.id)
    if invoice.disputed_at is not None:
        raise BillingServiceError(_l("该账单已标记为争议。"))
    if invoice.status != "issued":
        raise BillingServiceError(MSG_DISPUTE_STATE)
    invoice.disputed_at = utcnow()
    record(
        "invoice.disputed",
        invoice,
        summary=_l("%(number)s 标记争议，暂停催款", number=invoice.number or ""),
        before={"disputed": False},
        after={"disputed": True},
        actor=by,
    )
    return invoice


def clear_dispute(invoice: Invoice, by=None) -> Invoice:
    """取消争议: reminders resume from the level due on the next scan (missed ones are not backfilled)."""
    invoice = lock_invoice(invoice.id)
    if invoice.disputed_at is None:
        raise BillingServiceError(_l("该账单未标记争议。"))
    invoice.disputed_at = None
    record(
        "invoice.dispute_cleared",
        invoice,
        summary=_l("%(number)s 取消争议，恢复催款", number=invoice.number or ""),
        before={"disputed": True},
        after={"disputed": False},
        actor=by,
    )
    return invoice


def pause_dunning(client: Client, by=None) -> Client:
    """暂停催款 for every invoice of ``client`` until resumed."""
    client = lock_client(client.id)
    if client.dunning_paused_at is not None:
        raise BillingServiceError(_l("该客户的催款已暂停。"))
    client.dunning_paused_at = utcnow()
    record(
        "client.dunning_paused",
        client,
        summary=_l("%(client)s 暂停催款", client=client.name),
        before={"dunning_paused": False},
        after={"dunning_paused": True},
        actor=by,
    )
    return client


def resume_dunning(client: Client, by=None) -> Client:
    """恢复催款: the next scan records the level each open invoice is due for then."""
    client = lock_client(client.id)
    if client.dunning_paused_at is None:
        raise BillingServiceError(_l("该客户的催款未暂停。"))
    client.dunning_paused_at = None
    record(
        "client.dunning_resumed",
        client,
        summary=_l("%(client)s 恢复催款", client=client.name),
        before={"dunning_paused": True},
        after={"dunning_paused": False},
        actor=by,
    )
    return client
