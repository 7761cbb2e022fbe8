"""Issued PDFs, rendered off the issuing transaction (in the queue's consumers) and stored once.

Issuing keeps the number, the dates, the deposit offset and its audit entry in its write transaction
and freezes what the document prints (``pdf_data``). After the commit it enqueues
``ops.billing.tasks.render_invoice_pdf_task``, which renders those data and stores the bytes and their
SHA-256 under the invoice's row lock: a second render (a retried task, the sweep, two consumers) finds
the PDF stored and leaves it alone, and would have produced the same bytes anyway. Until the PDF is
stored the document is not downloadable (``pdf_ready``); ``render_missing_pdfs`` re-enqueues whatever a
killed consumer left, and ``finish_pdfs`` lets a CLI command end with every PDF stored.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import undefer

from ops.audit.services import record
from ops.billing.models import CreditNote, Invoice
from ops.billing.pdf import InvoicePdfData, pdf_data_from_json, render_invoice_pdf
from ops.extensions import db
from ops.transactions import lock_row, write_transaction

log = logging.getLogger(__name__)

# An invoice has a document once it has a number (issued, paid, or voided after issue).
_INVOICE_HAS_DOCUMENT = Invoice.number.is_not(None)


def pdf_ready(document: Invoice | CreditNote) -> bool:
    """True once the document's issued PDF is stored (bytes and SHA-256): it may be downloaded, attached
    to an e-mail, put in a ZIP. False while it is being rendered, and for a draft."""
    return document.pdf_sha256 is not None


def _render(data: InvoicePdfData) -> tuple[bytes, str]:
    pdf = render_invoice_pdf(data, ttf_path=current_app.config.get("PDF_FONT"))
    return pdf, hashlib.sha256(pdf).hexdigest()


def _frozen_data(invoice: Invoice, note: CreditNote | None = None) -> InvoicePdfData:
    """What the document printed when it was issued."""
    frozen = note.pdf_data if note is not None else invoice.pdf_data
    if frozen:
        return pdf_data_from_json(frozen)
    # Issued before the data were frozen (and, in practice, never without its PDF): as it stands.
    from ops.billing.services.issuing import invoice_pdf_data  # issuing enqueues through this module

    return invoice_pdf_data(invoice, credit=note)


def store_invoice_pdf(invoice_id: int) -> bool:
    """Render an issued invoice's PDF from its frozen data and store it with its SHA-256. Commits.

    True when this call stored it; False when it was stored already (by another render) or the invoice
    has no number. The rendering happens outside any transaction (on SQLite the write lock is the whole
    database: consumers render in parallel and only queue for the short store).
    """
    invoice = db.session.get(Invoice, invoice_id, options=[undefer(Invoice.pdf_data)])
    if invoice is None or invoice.number is None or pdf_ready(invoice):
        return False
    data = _frozen_data(invoice)
    db.session.commit()  # nothing written: ends the read, so the render holds no lock
    pdf, digest = _render(data)
    with write_transaction():
        invoice = lock_row(Invoice, invoice_id)  # not lock_invoice: storing needs no credit notes
        if invoice is None or pdf_ready(invoice):
            return False
        invoice.pdf = pdf
        invoice.pdf_sha256 = digest
        record(
            "invoice.pdf_stored",
            invoice,
            summary=invoice.number or "",
            after={"pdf_sha256": digest, "bytes": len(pdf)},
        )
    return True


def store_credit_note_pdf(note_id: int) -> bool:
    """Render a credit note's PDF from its frozen data and store it with its SHA-256. Commits.

    True when this call stored it; False when it was stored already."""
    note = db.session.get(CreditNote, note_id, options=[undefer(CreditNote.pdf_data)])
    if note is None or pdf_ready(note):
        return False
    data = _frozen_data(note.invoice, note)
    db.session.commit()
    pdf, digest = _render(data)
    with write_transaction():
        note = lock_row(CreditNote, note_id)
        if pdf_ready(note):
            return False
        note.pdf = pdf
        note.pdf_sha256 = digest
        record(
            "credit_note.pdf_stored",
            note.invoice,
            summary=note.number,
            after={"credit_note": note.number, "pdf_sha256": digest, "bytes": len(pdf)},
        )
    return True


def _enqueue(task_name: str, object_id: int) -> None:
    """Hand one render to the queue (in immediate mode it runs here and now). Called after the commit.

    A queue that cannot be reached does not undo the issue: the sweep (``render_missing_pdfs``) picks
    the document up later.
    """
    from ops.billing import tasks  # the task module imports these services

    try:
        getattr(tasks, task_name)(object_id)
    except Exception:  # noqa: BLE001 - the issue is committed; the sweep retries the render
        log.exception("could not enqueue %s(%s); the sweep will render it", task_name, object_id)


def enqueue_invoice_pdf(invoice_id: int) -> None:
    _enqueue("render_invoice_pdf_task", invoice_id)


def enqueue_credit_note_pdf(note_id: int) -> None:
    _enqueue("render_credit_note_pdf_task", note_id)


def missing_invoice_pdfs(issued_before: datetime | None = None) -> list[int]:
    """Ids of issued (or paid, or voided after issue) invoices whose PDF is not stored, oldest first
    (only those issued before ``issued_before`` when given)."""
    stmt = sa.select(Invoice.id).where(_INVOICE_HAS_DOCUMENT, Invoice.pdf_sha256.is_(None))
    if issued_before is not None:
        stmt = stmt.where(Invoice.issued_at < issued_before)
    return list(db.session.scalars(stmt.order_by(Invoice.id)))


def missing_credit_note_pdfs(issued_before: datetime | None = None) -> list[int]:
    stmt = sa.select(CreditNote.id).where(CreditNote.pdf_sha256.is_(None))
    if issued_before is not None:
        stmt = stmt.where(CreditNote.created_at < issued_before)
    return list(db.session.scalars(stmt.order_by(CreditNote.id)))


def render_missing_pdfs(issued_before: datetime | None = None) -> int:
    """Enqueue a render for every issued invoice and credit note whose PDF is not stored (a consumer
    killed mid-render, a queue that was down at issue). Returns how many were enqueued. Safe to run
    any time: a render of a stored PDF does nothing. ``issued_before`` leaves out the documents just
    issued (their render is most likely still in the queue)."""
    invoices, notes = missing_invoice_pdfs(issued_before), missing_credit_note_pdfs(issued_before)
    db.session.commit()
    for invoice_id in invoices:
        enqueue_invoice_pdf(invoice_id)
    for note_id in notes:
        enqueue_credit_note_pdf(note_id)
    return len(invoices) + len(notes)


def pending_pdf_count(period: str | None = None, *, statuses: tuple[str, ...] | None = None) -> int:
    """Issued invoices (of ``period``, or all; of ``statuses``, or any) whose PDF is still being rendered."""
    stmt = sa.select(sa.func.count(Invoice.id)).where(_INVOICE_HAS_DOCUMENT, Invoice.pdf_sha256.is_(None))
    if period is not None:
        stmt = stmt.where(Invoice.period == period)
    if statuses is not None:
        stmt = stmt.where(Invoice.status.in_(statuses))
    return db.session.scalar(stmt) or 0


def finish_pdfs(
    *,
    idle_seconds: float = 5.0,
    poll_seconds: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Return once every issued invoice and credit note has its PDF stored (for CLI commands).

    Waits while the consumers make progress; what is still missing after ``idle_seconds`` without
    progress (no consumer running) is rendered here. Returns how many this call rendered itself.
    """
    rendered = 0
    last_missing, idle = -1, 0.0
    while True:
        invoices, notes = missing_invoice_pdfs(), missing_credit_note_pdfs()
        db.session.commit()
        missing = len(invoices) + len(notes)
        if missing == 0:
            return rendered
        if missing != last_missing:
            last_missing, idle = missing, 0.0
        elif idle >= idle_seconds:
            rendered += sum(store_invoice_pdf(i) for i in invoices)
            rendered += sum(store_credit_note_pdf(n) for n in notes)
            last_missing = -1
            continue
        sleep(poll_seconds)
        idle += poll_seconds
