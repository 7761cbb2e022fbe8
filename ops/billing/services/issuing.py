"""Issuing an invoice (gapless number, PDF rendered after commit and stored once) and the manual adjustments
of a draft."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ops.audit.services import actor_of, record
from ops.billing import engine
from ops.billing.models import CreditNote, Invoice
from ops.billing.pdf import InvoicePdfData, InvoicePdfLine, KpiResultRow, Party, pdf_data_to_json
from ops.billing.services.base import INVOICE_TYPE_LABELS, BillingServiceError, lock_invoice
from ops.billing.services.drafts import compute, manual_adjustments, write_draft
from ops.billing.services.pdfs import enqueue_invoice_pdf
from ops.billing.services.verification import verify_url
from ops.contracts.models import Contract
from ops.contracts.services import apply_deposit_offset, lock_contract
from ops.events.services import emit
from ops.extensions import db
from ops.fapiao.rules import RED_REASON_LABELS
from ops.i18n import N_
from ops.money import format_bp, format_fen
from ops.numbering import next_number
from ops.timeutil import today, utcnow
from ops.transactions import lock_row, write_transaction

# --- issuing -------------------------------------------------------------------------------


def payment_terms_text(contract: Contract, gettext: Callable[[str], str] = str) -> str:
    """The due rule and the late fee in words: Chinese (the invoice PDF) unless a page passes ``gettext``."""
    due = gettext(
        N_("请于账期结束次月 %(n)s 日前付款")
        if contract.due_rule == "day_of_next_month"
        else N_("请于开具之日起 %(n)s 天内付款")
    ) % {"n": contract.due_value}
    late = ""
    if contract.late_fee_bp_per_day:
        late = gettext(N_("；逾期超过 %(n)s 天按未付金额每日 %(rate)s 计收滞纳金")) % {
            "n": contract.late_fee_grace_days,
            "rate": format_bp(contract.late_fee_bp_per_day),
        }
    return due + late + gettext(N_("。"))


def red_reason_text(code: str) -> str:
    """ "01 开票有误" as the credit note prints it; "" without a reason."""
    return f"{code} {RED_REASON_LABELS[code]}" if code else ""


def invoice_pdf_data(
    invoice: Invoice, *, kind: str = "invoice", credit: CreditNote | None = None
) -> InvoicePdfData:
    c = invoice.contract
    vendor = Party(
        c.vendor_name,
        c.vendor_tax_id,
        c.vendor_address,
        c.vendor_phone,
        c.vendor_bank_name,
        c.vendor_bank_account,
    )
    client = Party(
        c.client_legal_name or invoice.client.name,
        c.client_tax_id,
        c.client_address,
        c.client_phone,
        c.client_bank_name,
        c.client_bank_account,
    )
    if credit is not None:
        lines = (
            InvoicePdfLine(
                f"冲销 {invoice.number}：{credit.reason}"[:300], "1", "项", None, -credit.total_fen
            ),
        )
        return InvoicePdfData(
            kind="credit_note",
            number=credit.number,
            vendor=vendor,
            client=client,
            period_code=invoice.period,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            issued_on=credit.issued_on,
            due_on=None,
            invoice_type=INVOICE_TYPE_LABELS[c.invoice_type],
            lines=lines,
            service_fen=-credit.total_fen,
            deductions_fen=0,
            adjustments_fen=0,
            net_fen=-credit.net_fen,
            tax_rate_bp=invoice.tax_rate_bp,
            tax_fen=-credit.tax_fen,
            prices_include_tax=True,
            deposit_offset_fen=0,
            total_fen=-credit.total_fen,
            reference=invoice.number or "",
            verify_url=verify_url(credit.number, credit.total_fen),
            red_reason=red_reason_text(credit.red_reason),
            fapiao_reference=invoice.fapiao_number or "",
        )
    lines = tuple(
        InvoicePdfLine(
            line.description,
            line.quantity,
            line.unit,
            line.unit_price_fen,
            line.amount_fen,
            line.reason,
            line.kind,
        )
        for line in invoice.lines
    )
    return InvoicePdfData(
        kind=kind,
        number=invoice.number or "",
        vendor=vendor,
        client=client,
        period_code=invoice.period,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        invoice_type=INVOICE_TYPE_LABELS[c.invoice_type],
        lines=lines,
        service_fen=invoice.subtotal_fen,
        deductions_fen=invoice.deductions_fen,
        adjustments_fen=invoice.adjustments_fen,
        net_fen=invoice.net_fen,
        tax_rate_bp=invoice.tax_rate_bp,
        tax_fen=invoice.tax_fen,
        prices_include_tax=invoice.prices_include_tax,
        deposit_offset_fen=invoice.deposit_offset_fen,
        total_fen=invoice.total_fen,
        payment_terms=payment_terms_text(c),
        notes=tuple(invoice.notes or ()),
        kpi_results=tuple(
            KpiResultRow(
                r["month"],
                r["label"],
                r["measured"],
                r["target"],
                r["outcome"],
                r["deduction_fen"],
                r["note"],
            )
            for r in invoice.kpi_results or ()
        ),
        replaces=(invoice.replaces.number or "") if invoice.replaces is not None else "",
        deposit_remainder_fen=invoice_deposit_remainder_fen(invoice),
        verify_url=verify_url(invoice.number, invoice.total_fen)
        if invoice.number and kind == "invoice"
        else "",
    )


def invoice_deposit_remainder_fen(invoice: Invoice) -> int:
    """The part of the contract's deposit this invoice's offset leaves over (owed back), or 0 (also
    for a void invoice: its offset was given back)."""
    if not invoice.deposit_offset_fen or invoice.status == "void":
        return 0
    c = invoice.contract
    return max(0, (c.deposit_received_fen or c.deposit_fen) + invoice.deposit_offset_fen)


def closing_period_end(invoice: Invoice, contract: Contract) -> date:
    # In arrears the invoice's own period has just closed; in advance the one before it.
    return (
        invoice.period_end
        if contract.billing_timing == "in_arrears"
        else invoice.period_start - timedelta(days=1)
    )


def issue_invoice(invoice_id: int, *, by=None, issued_on: date | None = None) -> Invoice:
    """Issue a draft: next gapless number, due date, deposit offset, the PDF's data frozen. Commits.

    After the commit the PDF is rendered by the queue (``ops.billing.tasks``; in immediate mode before
    this returns) and stored with its SHA-256; until then the invoice is not downloadable.
    Safe when two runs issue at once: the invoice row is locked (PostgreSQL) or the whole
    transaction is immediate (SQLite), and an invoice already issued is returned unchanged.
    """
    by_id, _name = actor_of(by)  # without reloading a user a commit expired (and flushing the invoice twice)
    with write_transaction():
        # Lock order contract → invoice → number counter (issuing may apply the contract's deposit).
        contract_id = db.session.scalar(sa.select(Invoice.contract_id).where(Invoice.id == invoice_id))
        if contract_id is None:
            raise BillingServiceError("账单不存在。")
        # The locked contract is invoice.contract (a lazy load of that would read it again).
        contract = lock_contract(contract_id)
        invoice = lock_invoice(invoice_id)
        if invoice.status != "draft":
            return invoice
        if not invoice.lines:
            raise BillingServiceError("账单没有任何明细，不能开具。")
        if invoice.total_fen < 0:
            # A statement that owes the client money is settled by a credit note, not an invoice
            # (e.g. a final true-up where the advance exceeded the actual service).
            raise BillingServiceError(
                f"账单应付总额为负数（{format_fen(invoice.total_fen)}），不能开具：应退客户 "
                f"{format_fen(-invoice.total_fen)}。请对上期已开具的账单开具该金额的红字冲销单（或添加调整项），"
                "再作废本草稿。"
            )
        issued_on = issued_on or today()
        invoice.number = next_number("INV", issued_on.year, 5)
        invoice.issued_on = issued_on
        invoice.due_on = engine.due_date(
            contract.due_rule, contract.due_value, closing_period_end(invoice, contract), issued_on
        )
        # Frozen with the issue (the terms and the deposit as they are now, before this offset is
        # applied): the consumer that renders the PDF after the commit prints exactly this.
        invoice.pdf_data = pdf_data_to_json(invoice_pdf_data(invoice))
        invoice.status = "issued"
        invoice.issued_at = utcnow()
        invoice.issued_by_id = by_id
        if invoice.deposit_offset_fen:
            apply_deposit_offset(contract, -invoice.deposit_offset_fen, invoice.number, issued_on, by=by)
        record(
            "invoice.issued",
            invoice,
            summary=invoice.number,
            before={"status": "draft"},
            after={
                "status": "issued",
                "number": invoice.number,
                "total_fen": invoice.total_fen,
            },
            actor=by,
        )
        emit("invoice.issued", invoice, client_id=invoice.client_id, invoice_id=invoice.id)
    enqueue_invoice_pdf(invoice_id)  # the id, not invoice.id: the commit expired the invoice
    return invoice


def _require_draft(invoice: Invoice) -> None:
    if invoice.status != "draft":
        raise BillingServiceError("账单已开具，不能再修改；如需更正请开具红字冲销单。")


def _lock_draft(invoice: Invoice) -> Invoice:
    """Lock the contract, then the invoice (the run's order), and check it is still a draft."""
    lock_contract(invoice.contract_id)
    invoice = lock_row(Invoice, invoice.id, selectinload(Invoice.lines))
    _require_draft(invoice)
    return invoice


def add_adjustment(invoice: Invoice, description: str, amount_fen: int, reason: str, by=None) -> None:
    """A manual line on a draft (kept when the run refreshes the draft)."""
    invoice = _lock_draft(invoice)
    if not description.strip() or not reason.strip():
        raise BillingServiceError("调整项需要填写说明和原因。")
    if amount_fen == 0:
        raise BillingServiceError("调整金额不能为 0。")
    adjustments = manual_adjustments(invoice) + [
        engine.AdjustmentInput(description.strip(), amount_fen, reason.strip())
    ]
    result = compute(invoice.contract, engine.parse_period(invoice.period), adjustments)
    write_draft(invoice, invoice.contract, result)
    record(
        "invoice.adjustment_added",
        invoice,
        summary=reason.strip()[:300],
        after={"description": description, "amount_fen": amount_fen},
        actor=by,
    )


def remove_adjustment(invoice: Invoice, line_id: int, by=None) -> None:
    invoice = _lock_draft(invoice)
    keep = [
        engine.AdjustmentInput(line.description, line.amount_fen, line.reason)
        for line in invoice.lines
        if line.manual and line.id != line_id
    ]
    removed = next((line for line in invoice.lines if line.id == line_id and line.manual), None)
    if removed is None:
        raise BillingServiceError("找不到该调整项。")
    result = compute(invoice.contract, engine.parse_period(invoice.period), keep)
    write_draft(invoice, invoice.contract, result)
    record(
        "invoice.adjustment_removed",
        invoice,
        before={"description": removed.description, "amount_fen": removed.amount_fen},
        actor=by,
    )
