"""Late fees (滞纳金) of issued invoices: what has accrued and not yet been handled, and finance's two
actions on it — bill it on the contract's next draft, or waive it with a reason (both audited).

The accrual rule is engine.late_fees. Each action records a LateFeeCharge for the days from the
day after the invoice's last charge up to today, so no day is ever billed or waived twice. A charge
billed while the contract has no draft waits (billed_on_invoice_id None) and goes on the next draft
the run creates; a contract with ``late_fee_auto`` gets its late fees billed by the run itself.

Locks: contract → the overdue invoice → the draft (refresh_draft), the billing lock order.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import partial

import sqlalchemy as sa

from ops.audit.services import record
from ops.billing import engine
from ops.billing.engine.late_fees import LateFee, Reduction, accrue, description
from ops.billing.models import Invoice, LateFeeCharge
from ops.billing.services.base import BillingServiceError, lock_invoice
from ops.contracts.models import Contract
from ops.contracts.services import lock_contract
from ops.extensions import db
from ops.money import format_fen
from ops.timeutil import today
from ops.transactions import retrying, write_transaction

log = logging.getLogger(__name__)

MSG_NOTHING = "该账单目前没有待处理的滞纳金。"
MSG_REASON = "请填写减免原因。"


def charged_until(invoice: Invoice) -> date | None:
    """The last day already billed or waived for ``invoice`` (None: nothing yet)."""
    if invoice.id is None:
        return None
    return db.session.scalar(
        sa.select(sa.func.max(LateFeeCharge.to_on)).where(LateFeeCharge.invoice_id == invoice.id)
    )


def accrued_late_fee(invoice: Invoice, on: date | None = None) -> LateFee | None:
    """What ``invoice`` accrued up to ``on`` (today) and is not yet billed or waived.

    None for drafts, void invoices, invoices without a due date and contracts without a late fee.
    Payments count from ``paid_on``, issued credit notes from ``issued_on`` (engine.late_fees).
    """
    contract = invoice.contract
    if invoice.status not in ("issued", "paid") or invoice.due_on is None or not contract.late_fee_bp_per_day:
        return None
    last = charged_until(invoice)
    return _accrue(invoice, on or today(), since=last + timedelta(days=1) if last else None)


def _accrue(invoice: Invoice, on: date, since: date | None) -> LateFee:
    contract = invoice.contract
    assert invoice.due_on is not None  # callers check
    reductions = [Reduction(p.paid_on, p.amount_fen) for p in invoice.payments]
    reductions += [Reduction(c.issued_on, c.total_fen) for c in invoice.credit_notes if c.status == "issued"]
    return accrue(
        invoice.total_fen,
        invoice.due_on,
        contract.late_fee_grace_days or 0,
        contract.late_fee_bp_per_day,
        reductions,
        on,
        since=since,
    )


def charges_of(invoice: Invoice) -> list[LateFeeCharge]:
    return list(
        db.session.scalars(
            sa.select(LateFeeCharge)
            .where(LateFeeCharge.invoice_id == invoice.id)
            .order_by(LateFeeCharge.from_on)
        )
    )


def _new_charge(invoice: Invoice, status: str, reason: str, by, on: date) -> LateFeeCharge | None:
    fee = accrued_late_fee(invoice, on)
    if fee is None or fee.start is None or fee.amount_fen <= 0:
        return None
    charge = LateFeeCharge(
        invoice_id=invoice.id,
        contract_id=invoice.contract_id,
        from_on=fee.start,
        to_on=on,
        amount_fen=fee.amount_fen,
        description=description(invoice.number or "", fee)[:300],
        status=status,
        reason=reason,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(charge)
    db.session.flush()
    record(
        f"invoice.late_fee_{status}",
        invoice,
        summary=f"{invoice.number} {fee.start.isoformat()}—{on.isoformat()} {format_fen(fee.amount_fen)}"
        + (f"：{reason}" if reason else ""),
        after={"amount_fen": fee.amount_fen, "from_on": fee.start.isoformat(), "to_on": on.isoformat()},
        actor=by,
    )
    return charge


def _next_draft(contract: Contract) -> Invoice | None:
    return db.session.scalar(
        sa.select(Invoice)
        .where(Invoice.contract_id == contract.id, Invoice.status == "draft")
        .order_by(Invoice.period_start.desc())
        .limit(1)
    )


def bill_late_fee(invoice: Invoice, by=None) -> LateFeeCharge:
    """Bill what ``invoice`` accrued and has not been handled as a 滞纳金 line of the contract's next
    draft (refreshed now; without a draft, the next run's)."""
    from ops.billing.services.drafts import refresh_draft  # drafts loads the charges this writes

    with write_transaction():
        contract = lock_contract(invoice.contract_id)
        invoice = lock_invoice(invoice.id)
        charge = _new_charge(invoice, "billed", "", by, today())
        if charge is None:
            raise BillingServiceError(MSG_NOTHING)
        draft = _next_draft(contract)
        if draft is not None:
            refresh_draft(contract, draft.period, by=by)
        return charge


def waive_late_fee(invoice: Invoice, reason: str, by=None) -> LateFeeCharge:
    """Waive (减免) what ``invoice`` accrued and has not been handled, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingServiceError(MSG_REASON, field="reason")
    with write_transaction():
        lock_contract(invoice.contract_id)
        invoice = lock_invoice(invoice.id)
        charge = _new_charge(invoice, "waived", reason, by, today())
        if charge is None:
            raise BillingServiceError(MSG_NOTHING)
        return charge


def _extend_charge(invoice: Invoice, draft: Invoice | None, by, on: date) -> bool:
    """For an automatic late fee: extend the invoice's last charge up to ``on`` when it is already on
    ``draft`` (not issued yet) and ends the day before the new days, so a draft refreshed every day
    (the daily accrual) keeps ONE 滞纳金 line per overdue invoice, its amount the exact sum over all
    its days rounded once. True when extended (or nothing new to add to it)."""
    if draft is None or draft.id is None:
        return False
    last = db.session.scalar(
        sa.select(LateFeeCharge)
        .where(LateFeeCharge.invoice_id == invoice.id)
        .order_by(LateFeeCharge.to_on.desc(), LateFeeCharge.id.desc())
        .limit(1)
    )
    if last is None or last.status != "billed" or last.billed_on_invoice_id != draft.id:
        return False
    if last.to_on >= on:
        return True  # already billed through today
    fee = _accrue(invoice, on, since=last.from_on)
    if fee.start is None or fee.amount_fen <= last.amount_fen:
        return False  # nothing accrued since (paid up): no change, and never a smaller charge
    before = {"amount_fen": last.amount_fen, "to_on": last.to_on.isoformat()}
    last.to_on = on
    last.amount_fen = fee.amount_fen
    last.description = description(invoice.number or "", fee)[:300]
    record(
        "invoice.late_fee_billed",
        invoice,
        summary=f"{invoice.number} {last.from_on.isoformat()}—{on.isoformat()} {format_fen(fee.amount_fen)}",
        before=before,
        after={"amount_fen": fee.amount_fen, "from_on": last.from_on.isoformat(), "to_on": on.isoformat()},
        actor=by,
    )
    return True


def accrue_late_fees() -> int:
    """The daily late-fee accrual (a periodic task): what the billing run does for a contract whose
    terms bill late fees automatically (``late_fee_auto``), done every day for those with an open
    draft — the draft is refreshed so its 滞纳金 lines run up to today. Returns how many drafts were
    refreshed. Contracts without ``late_fee_auto`` are never touched (finance bills or waives those
    per invoice), nor are contracts without a draft (the next run bills their late fees). Safe to run
    again the same day: nothing new accrues. Each contract is its own unit of work."""
    from ops.billing.services.drafts import refresh_locked  # drafts loads the charges this writes

    on = today()
    drafts = db.session.execute(
        sa.select(Invoice.contract_id, Invoice.period)
        .join(Contract, Contract.id == Invoice.contract_id)
        .where(Contract.late_fee_auto.is_(True), Contract.late_fee_bp_per_day > 0, Invoice.status == "draft")
        .order_by(Invoice.contract_id, Invoice.period)
    ).all()
    db.session.commit()
    refreshed = 0
    for contract_id, period in drafts:
        overdue = db.session.scalars(
            sa.select(Invoice).where(
                Invoice.contract_id == contract_id,
                Invoice.status.in_(("issued", "paid")),
                Invoice.due_on.is_not(None),
                Invoice.due_on < on,
            )
        ).all()
        if not any((fee := accrued_late_fee(i, on)) is not None and fee.amount_fen > 0 for i in overdue):
            continue
        try:
            retrying(partial(refresh_locked, contract_id, period, None))
        except (engine.BillingError, BillingServiceError, ValueError) as exc:
            # One contract's bad terms must not stop the others' accrual (as in a billing run); the
            # next run lists it to finance.
            db.session.rollback()
            log.warning("late-fee accrual: contract %s %s: %s", contract_id, period, exc)
            continue
        refreshed += 1
    return refreshed


def late_fees_for_draft(contract: Contract, draft: Invoice | None, by=None) -> list[LateFeeCharge]:
    """The billed late fees that go on ``draft``: those already on it and those waiting for a draft;
    for a ``late_fee_auto`` contract, first bills what its issued invoices accrued up to today.

    The caller holds the contract's lock and the draft's (refresh_draft)."""
    if contract.late_fee_auto:
        overdue = db.session.scalars(
            sa.select(Invoice.id)
            .where(Invoice.contract_id == contract.id, Invoice.status.in_(("issued", "paid")))
            .order_by(Invoice.id)
        ).all()
        for invoice_id in overdue:
            invoice = lock_invoice(invoice_id)
            if not _extend_charge(invoice, draft, by, today()):
                _new_charge(invoice, "billed", "", by, today())
    waiting = LateFeeCharge.billed_on_invoice_id.is_(None)
    if draft is not None and draft.id is not None:
        waiting = sa.or_(waiting, LateFeeCharge.billed_on_invoice_id == draft.id)
    return list(
        db.session.scalars(
            sa.select(LateFeeCharge)
            .where(LateFeeCharge.contract_id == contract.id, LateFeeCharge.status == "billed", waiting)
            .order_by(LateFeeCharge.id)
        )
    )


def late_fee_inputs(charges: list[LateFeeCharge]) -> tuple[engine.LateFeeInput, ...]:
    return tuple(engine.LateFeeInput(c.description, c.amount_fen) for c in charges)
