"""Documents, lists and reports the pages use: file names, previews, receivables, ageing, exports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload, undefer

from ops.billing import engine
from ops.billing.models import CreditNote, Invoice
from ops.billing.pdf import render_invoice_pdf
from ops.billing.services.base import BillingServiceError
from ops.billing.services.issuing import closing_period_end, invoice_pdf_data
from ops.billing.services.late_fees import accrued_late_fee
from ops.billing.services.payments import AGEING_BUCKETS, ageing_bucket, balance_fen, is_overdue
from ops.billing.services.pdfs import pending_pdf_count
from ops.billing.states import STATUS_LABELS
from ops.extensions import db
from ops.i18n import _l
from ops.money import format_fen
from ops.timeutil import today

# --- documents, lists and reports the pages use ------------------------------------------


def safe_filename(text: str) -> str:
    """A file-name-safe version of ``text`` (keeps Chinese; drops path separators and controls)."""
    cleaned = "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip(" .")
    return cleaned[:80] or "invoice"


def invoice_filename(invoice: Invoice) -> str:
    """INV-2026-00001_北京晨光家居旗舰店.pdf (a draft: 草稿_2026-10_….pdf)."""
    head = invoice.number or f"草稿_{invoice.period}"
    return f"{head}_{safe_filename(invoice.client.name)}.pdf"


def credit_note_filename(note: CreditNote) -> str:
    return f"{note.number}_{safe_filename(note.invoice.client.name)}.pdf"


def draft_preview_pdf(invoice: Invoice) -> bytes:
    """A preview of a draft as it would be issued today, titled 草稿 and without a number. Not stored."""
    on = today()
    data = invoice_pdf_data(invoice, kind="draft")
    contract = invoice.contract
    due = engine.due_date(contract.due_rule, contract.due_value, closing_period_end(invoice, contract), on)
    data = replace(data, issued_on=on, due_on=due)
    return render_invoice_pdf(data, ttf_path=current_app.config.get("PDF_FONT"))


def open_invoices(client_id: int | None = None) -> list[Invoice]:
    """Issued invoices not yet paid (their balance is what the client owes), oldest due first."""
    stmt = (
        sa.select(Invoice)
        .options(
            selectinload(Invoice.credit_notes),
            selectinload(Invoice.client),
            selectinload(Invoice.payments),
            selectinload(Invoice.contract),
        )
        .where(Invoice.status == "issued")
        .order_by(Invoice.due_on, Invoice.id)
    )
    if client_id is not None:
        stmt = stmt.where(Invoice.client_id == client_id)
    return list(db.session.scalars(stmt))


@dataclass
class Receivables:
    open_fen: int = 0
    open_count: int = 0
    overdue_fen: int = 0
    overdue_count: int = 0
    drafts: int = 0


def receivables(client_id: int | None = None, on: date | None = None) -> Receivables:
    """Open balance, overdue count and amount, and drafts waiting to be issued."""
    on = on or today()
    result = Receivables()
    # Plain rows, not invoices: the dashboard and the portal ask for this on every page, and a large
    # vendor has a month or two of invoices open (the arithmetic stays here, in Python).
    stmt = sa.select(Invoice.total_fen, Invoice.paid_fen, Invoice.allocated_fen, Invoice.due_on).where(
        Invoice.status == "issued"
    )
    if client_id is not None:
        stmt = stmt.where(Invoice.client_id == client_id)
    for total_fen, paid_fen, allocated_fen, due_on in db.session.execute(stmt):
        balance = total_fen - paid_fen - allocated_fen  # as balance_fen(): never negative
        result.open_fen += balance
        result.open_count += 1
        if due_on is not None and due_on < on and balance > 0:  # as is_overdue()
            result.overdue_fen += balance
            result.overdue_count += 1
    drafts = sa.select(sa.func.count()).select_from(Invoice).where(Invoice.status == "draft")
    if client_id is not None:
        drafts = drafts.where(Invoice.client_id == client_id)
    result.drafts = db.session.scalar(drafts)
    return result


@dataclass
class AgeingRow:
    client_id: int
    client_name: str
    buckets: dict[str, int]  # bucket -> open balance in fen
    invoices: dict[str, list[Invoice]]
    total_fen: int = 0
    late_fee_fen: int = 0  # accrued as of the report's day, not yet billed (engine.late_fees)


def ageing_report(on: date | None = None) -> tuple[list[AgeingRow], dict[str, int]]:
    """Open issued invoices by client and days past due (AGEING_BUCKETS), with column totals."""
    on = on or today()
    rows: dict[int, AgeingRow] = {}
    totals = dict.fromkeys(AGEING_BUCKETS, 0)
    for invoice in open_invoices():
        balance = balance_fen(invoice)
        if balance <= 0:
            continue
        row = rows.get(invoice.client_id)
        if row is None:
            row = rows[invoice.client_id] = AgeingRow(
                invoice.client_id,
                invoice.client.name,
                dict.fromkeys(AGEING_BUCKETS, 0),
                {b: [] for b in AGEING_BUCKETS},
            )
        bucket = ageing_bucket(invoice.due_on, on)
        row.buckets[bucket] += balance
        row.invoices[bucket].append(invoice)
        row.total_fen += balance
        fee = accrued_late_fee(invoice, on)
        row.late_fee_fen += fee.amount_fen if fee else 0
        totals[bucket] += balance
    return sorted(rows.values(), key=lambda r: (-r.total_fen, r.client_name)), totals


EXPORT_HEADER = (
    "账单号",
    "客户",
    "统一社会信用代码",
    "账期",
    "开具日期",
    "到期日",
    "不含税金额",
    "税额",
    "价税合计",
    "已收款",
    "未付余额",
    "状态",
)


def _yuan(fen: int) -> str:
    return format_fen(fen, symbol=False).replace(",", "")


def _text_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula (= + - @) gets a leading '."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def status_label(invoice: Invoice, on: date | None = None) -> str:
    return STATUS_LABELS["overdue"] if is_overdue(invoice, on) else STATUS_LABELS[invoice.status]


def export_rows(period: str | None = None) -> list[tuple[str, ...]]:
    """Issued, paid and void invoices (of ``period`` when given) as rows for accounting (yuan, 2 decimals).

    不含税金额 + 税额 = 价税合计 before the deposit offset; 未付余额 is what the client still owes.
    """
    stmt = (
        sa.select(Invoice)
        .options(
            selectinload(Invoice.credit_notes), selectinload(Invoice.client), selectinload(Invoice.contract)
        )
        .where(Invoice.status != "draft")
        .order_by(Invoice.number)
    )
    if period:
        stmt = stmt.where(Invoice.period == period)
    on = today()
    rows = []
    for invoice in db.session.scalars(stmt):
        balance = 0 if invoice.status == "void" else balance_fen(invoice)
        rows.append(
            (
                invoice.number or "",
                _text_cell(invoice.contract.client_legal_name or invoice.client.name),
                _text_cell(invoice.contract.client_tax_id or invoice.client.tax_id or ""),
                invoice.period,
                invoice.issued_on.isoformat() if invoice.issued_on else "",
                invoice.due_on.isoformat() if invoice.due_on else "",
                _yuan(invoice.net_fen),
                _yuan(invoice.tax_fen),
                _yuan(invoice.net_fen + invoice.tax_fen),
                _yuan(invoice.paid_fen),
                _yuan(balance),
                status_label(invoice, on),
            )
        )
    return rows


def period_pdfs(period: str) -> list[tuple[str, bytes]]:
    """(file name, stored PDF bytes) of one period's issued (and paid) invoices, by number.

    Refuses while some of them are still being rendered: a ZIP never leaves an invoice out silently."""
    pending = pending_pdf_count(period, statuses=("issued", "paid"))
    if pending:
        raise BillingServiceError(_l("%(n)s 份账单的 PDF 仍在生成中，请稍后再下载。", n=pending))
    stmt = (
        sa.select(Invoice)
        .options(undefer(Invoice.pdf), selectinload(Invoice.client))
        .where(Invoice.period == period, Invoice.status.in_(("issued", "paid")), Invoice.pdf.is_not(None))
        .order_by(Invoice.number)
    )
    return [(invoice_filename(invoice), invoice.pdf) for invoice in db.session.scalars(stmt)]
