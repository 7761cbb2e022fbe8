"""After issuing: payments, voids, credit notes, balances and ageing."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ops.audit.services import record
from ops.billing.engine import credits as engine_credits
from ops.billing.models import CreditNote, Invoice, Payment
from ops.billing.pdf import pdf_data_to_json
from ops.billing.services.base import BillingServiceError, lock_invoice
from ops.billing.services.credits import allocate, restore_deposit
from ops.billing.services.issuing import invoice_pdf_data
from ops.billing.services.pdfs import enqueue_credit_note_pdf
from ops.contracts.services import lock_contract, release_deposit_offset
from ops.events.services import emit
from ops.extensions import db
from ops.fapiao.rules import RED_REASONS
from ops.i18n import _l
from ops.idempotency import claim
from ops.money import format_fen
from ops.numbering import next_number
from ops.timeutil import today, utcnow
from ops.transactions import write_transaction

# --- after issuing -------------------------------------------------------------------------


def credited_fen(invoice: Invoice) -> int:
    """Everything the invoice's credit notes credited (tax included, deposit part included)."""
    return sum(c.total_fen for c in invoice.credit_notes if c.status == "issued")


def balance_fen(invoice: Invoice) -> int:
    """Outstanding (fen, never negative): total − payments − credit allocated to the invoice.

    Credit beyond the outstanding goes to the client's credit balance (``credits``), not below zero."""
    return invoice.total_fen - invoice.paid_fen - invoice.allocated_fen


def is_overdue(invoice: Invoice, on: date | None = None) -> bool:
    return (
        invoice.status == "issued"
        and invoice.due_on is not None
        and invoice.due_on < (on or today())
        and balance_fen(invoice) > 0
    )


def record_payment(
    invoice: Invoice,
    amount_fen: int,
    paid_on: date,
    method: str,
    reference: str,
    by=None,
    *,
    idempotency_key: str | None = None,
) -> Payment:
    """A (partial) payment of an issued invoice; fully paid invoices become ``paid``.

    Checked under the invoice's row lock, so two payments at once cannot pay more than the balance;
    ``paid_fen`` is set to the sum of the invoice's payments in the same transaction. A form's
    ``idempotency_key`` used before raises ``AlreadyRecorded`` (nothing recorded twice).
    """
    invoice = lock_invoice(invoice.id)
    claim(idempotency_key, "invoice.payment", object_id=invoice.id, by=by)
    if invoice.status != "issued":
        raise BillingServiceError("只能为已开具、未结清的账单登记收款。")
    if amount_fen <= 0:
        raise BillingServiceError("收款金额必须大于 0。")
    if amount_fen > balance_fen(invoice):
        raise BillingServiceError(f"收款金额超过未付余额（{format_fen(balance_fen(invoice))}）。")
    if paid_on > today():
        raise BillingServiceError("收款日期不能晚于今天。")
    if not method.strip():
        raise BillingServiceError("请选择收款方式。")
    payment = Payment(
        invoice_id=invoice.id,
        amount_fen=amount_fen,
        paid_on=paid_on,
        method=method.strip(),
        reference=reference.strip(),
        recorded_by_id=getattr(by, "id", None),
    )
    db.session.add(payment)
    before = {"status": invoice.status, "paid_fen": invoice.paid_fen}
    db.session.flush()
    invoice.paid_fen = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_fen), 0)).where(
            Payment.invoice_id == invoice.id
        )
    )
    if balance_fen(invoice) == 0:
        invoice.status = "paid"
        invoice.paid_at = utcnow()
    db.session.flush()
    record(
        "invoice.payment_recorded",
        invoice,
        summary=f"{invoice.number} {reference}".strip(),
        before=before,
        after={"status": invoice.status, "paid_fen": invoice.paid_fen, "amount_fen": amount_fen},
        actor=by,
    )
    emit(
        "payment.received",
        payment,
        client_id=invoice.client_id,
        payment_id=payment.id,
        invoice_id=invoice.id,
        amount_fen=amount_fen,
    )
    if invoice.status == "paid":
        emit("invoice.paid", invoice, client_id=invoice.client_id, invoice_id=invoice.id)
    return payment


def void_invoice(invoice: Invoice, reason: str, by=None, *, idempotency_key: str | None = None) -> None:
    """Void a draft or an unpaid issued invoice (its number stays used, so numbers keep no gaps).

    Checked under the row locks (contract, then invoice: a run may be refreshing the draft), so a
    payment recorded at the same moment either comes first (and the void is refused) or waits.
    The void invoice frees its (contract, period): the next run, or 重新出账 (``reissue_invoice``),
    makes a corrected draft. A deposit its issue offset is received again (the new one offsets it).
    """
    contract = lock_contract(invoice.contract_id)
    invoice = lock_invoice(invoice.id)
    claim(idempotency_key, "invoice.void", object_id=invoice.id, by=by)
    if invoice.status not in ("draft", "issued"):
        raise BillingServiceError("已结清或已作废的账单不能作废。")
    if invoice.paid_fen:
        raise BillingServiceError("账单已有收款，不能作废；请开具红字冲销单。")
    if invoice.allocated_fen or credited_fen(invoice):
        raise BillingServiceError("账单已有红字冲销或余额抵扣，不能作废。")
    if not reason.strip():
        raise BillingServiceError("作废需要填写原因。")
    before = invoice.status
    invoice.status = "void"
    invoice.void_reason = reason.strip()
    invoice.voided_at = utcnow()
    if before == "issued" and invoice.deposit_offset_fen:
        release_deposit_offset(contract, -invoice.deposit_offset_fen, invoice.number or "", by=by)
    record(
        "invoice.voided",
        invoice,
        summary=reason.strip()[:300],
        before={"status": before},
        after={"status": "void"},
        actor=by,
    )
    emit("invoice.voided", invoice, client_id=invoice.client_id, invoice_id=invoice.id)


def create_credit_note(
    invoice: Invoice,
    total_fen: int,
    reason: str,
    by=None,
    *,
    idempotency_key: str | None = None,
    red_reason: str = "",
) -> CreditNote:
    """A credit note (红字冲销) correcting an issued invoice by reference. Commits (numbered); its PDF
    is rendered by the queue after the commit (``ops.billing.services.pdfs``).

    ``total_fen`` (tax included) may go up to the invoice's gross (net + tax = total + |deposit offset|)
    less what was credited before: a full reversal reverses the service, the VAT (exactly the invoice's)
    and the deposit offset, which returns to the deposit (``restore_deposit``). The note settles the
    invoice's outstanding first; what the client had already paid beyond that becomes its credit
    balance (客户余额), which finance applies to another invoice or refunds.

    ``red_reason``: the 红字确认单 reason (01 开票有误, 02 销货退回, 03 服务中止, 04 销售折让), required
    when the invoice has a fapiao number (the red fapiao that reverses it needs one), optional otherwise.
    """
    invoice_id, contract_id = invoice.id, invoice.contract_id
    with write_transaction():
        # Checked under the row locks, so two credit notes at once cannot credit more than the invoice.
        # Lock order contract → invoice → number counter (restoring the deposit writes the contract).
        contract = lock_contract(contract_id)
        invoice = lock_invoice(invoice_id)
        claim(idempotency_key, "invoice.credit_note", object_id=invoice.id, by=by)
        if invoice.status not in ("issued", "paid"):
            raise BillingServiceError("只能为已开具的账单开具红字冲销单。")
        if not reason.strip():
            raise BillingServiceError("请填写冲销原因。", field="reason")
        red_reason = (red_reason or "").strip()
        if red_reason and red_reason not in RED_REASONS:
            raise BillingServiceError(_l("红字确认单原因无效。"), field="red_reason")
        if invoice.fapiao_number and not red_reason:
            raise BillingServiceError(
                _l(
                    "该账单已开具发票 %(number)s：请选择红字确认单原因（01 开票有误、02 销货退回、03 服务中止、04 销售折让）。",
                    number=invoice.fapiao_number,
                ),
                field="red_reason",
            )
        gross = invoice.total_fen - invoice.deposit_offset_fen
        credited = credited_fen(invoice)
        if total_fen <= 0 or total_fen > gross - credited:
            raise BillingServiceError(
                f"冲销金额必须大于 0，且不超过账单尚未冲销的金额（{format_fen(gross - credited)}，"
                "含定金抵扣部分）。",
                field="amount",
            )
        split = engine_credits.split_credit(
            amount_fen=total_fen,
            invoice_total_fen=invoice.total_fen,
            invoice_gross_fen=gross,
            invoice_tax_fen=invoice.tax_fen,
            credited_fen=credited,
            credited_tax_fen=sum(c.tax_fen for c in invoice.credit_notes if c.status == "issued"),
            rate_bp=invoice.tax_rate_bp,
        )
        issued_on = today()
        note = CreditNote(
            invoice_id=invoice.id,
            number=next_number("CN", issued_on.year, 5),
            issued_on=issued_on,
            reason=reason.strip(),
            net_fen=total_fen - split.tax_fen,
            tax_fen=split.tax_fen,
            total_fen=total_fen,
            deposit_fen=split.deposit_fen,
            red_reason=red_reason,
            created_by_id=getattr(by, "id", None),
        )
        db.session.add(note)
        db.session.flush()
        # Frozen with the issue; the queue renders and stores the PDF after the commit.
        note.pdf_data = pdf_data_to_json(invoice_pdf_data(invoice, credit=note))
        db.session.refresh(invoice, ["credit_notes"])
        settles = min(total_fen - split.deposit_fen, balance_fen(invoice))
        if settles > 0:
            allocate(note, settles, kind="credit_note", client_id=invoice.client_id, invoice=invoice, by=by)
        restore_deposit(contract, split.deposit_fen, by=by)
        settled = invoice.status == "issued" and balance_fen(invoice) == 0
        if settled:
            invoice.status = "paid"
            invoice.paid_at = utcnow()
        emit(
            "credit_note.issued",
            note,
            client_id=invoice.client_id,
            credit_note_id=note.id,
            invoice_id=invoice.id,
        )
        if settled:
            emit("invoice.paid", invoice, client_id=invoice.client_id, invoice_id=invoice.id)
        record(
            "invoice.credit_note_issued",
            invoice,
            summary=f"{note.number}: {reason.strip()}"[:300],
            after={
                "credit_note": note.number,
                "total_fen": total_fen,
                "tax_fen": split.tax_fen,
                "settled_fen": max(settles, 0),
                "deposit_fen": split.deposit_fen,
                "to_credit_balance_fen": note.remainder_fen,
                "red_reason": red_reason,
            },
            actor=by,
        )
    enqueue_credit_note_pdf(note.id)
    return note


AGEING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def ageing_bucket(due_on: date | None, on: date) -> str:
    """Accounts-receivable ageing bucket of an open invoice by days past its due date."""
    if due_on is None or due_on >= on:
        return "current"
    days = (on - due_on).days
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"
