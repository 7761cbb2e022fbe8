"""The client portal's billing pages (routes on the portal blueprint) and its overview's "账单" section.

A client user sees only their own company's invoices, and never a draft. The PDF served is exactly
the document stored when the invoice was issued (same bytes, same SHA-256).
"""

import io
from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ops import hooks
from ops.auth.permissions import get_scoped_or_404
from ops.billing import services
from ops.billing.models import CreditNote, Invoice
from ops.clients.models import Client
from ops.extensions import db
from ops.fapiao.reprint import reprint_filename, reprint_pdf
from ops.portal.views import bp
from ops.timeutil import today
from ops.web import paginate, send_document

CLIENT_VISIBLE = ("issued", "paid", "void")


def _load(invoice_id: int) -> Invoice:
    invoice = get_scoped_or_404(Invoice, invoice_id)
    if invoice.status not in CLIENT_VISIBLE:
        abort(404)
    return invoice


@bp.route("/invoices")
def invoices():
    page = paginate(
        sa.select(Invoice)
        .options(
            selectinload(Invoice.credit_notes),
            selectinload(Invoice.replaces),
            selectinload(Invoice.replaced_by),
        )
        .where(Invoice.client_id == current_user.client_id, Invoice.status.in_(CLIENT_VISIBLE))
        .order_by(Invoice.period.desc(), Invoice.id.desc()),
        per_page=25,
    )
    summary = services.receivables(current_user.client_id)
    return render_template(
        "portal/invoices.html",
        page=page,
        summary=summary,
        credit_balance=services.credit_balance_fen(current_user.client_id),
        today=today(),
    )


@bp.route("/invoices/<int:invoice_id>")
def invoice_detail(invoice_id: int):
    invoice = _load(invoice_id)
    return render_template(
        "portal/invoice_detail.html",
        invoice=invoice,
        balance=services.balance_fen(invoice),
        allocations=services.invoice_allocations(invoice.id),
        credit_balance=services.credit_balance_fen(invoice.client_id),
        overdue=services.is_overdue(invoice),
        payment_terms=services.payment_terms_text(invoice.contract, _),
        deposit_remainder=services.invoice_deposit_remainder_fen(invoice),
        late_fee=services.accrued_late_fee(invoice),
        today=today(),
    )


@bp.route("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    invoice = _load(invoice_id)
    if invoice.number is None:  # voided as a draft: it never had a document
        abort(404)
    if not services.pdf_ready(invoice):
        return _pdf_pending(invoice)
    return send_document(
        io.BytesIO(invoice.pdf),
        services.invoice_filename(invoice),
        "application/pdf",
        etag=invoice.pdf_sha256,
    )


@bp.route("/invoices/<int:invoice_id>/reprint.pdf")
def invoice_reprint(invoice_id: int):
    """The issued document again with the fapiao recorded since (重印副本); never the stored original."""
    invoice = _load(invoice_id)
    if invoice.number is None or invoice.pdf_data is None:
        abort(404)
    return send_document(
        io.BytesIO(reprint_pdf(invoice)),
        reprint_filename(invoice),
        "application/pdf",
        as_attachment=False,
        ascii_name=f"{invoice.number}-copy.pdf",
    )


def _pdf_pending(invoice: Invoice):
    """A PDF not stored yet (rendered by the queue right after the issue): back to the invoice, with a note."""
    flash(_("PDF 生成中…请稍后再下载。"), "info")
    return redirect(url_for("portal.invoice_detail", invoice_id=invoice.id))


@bp.route("/credit-notes/<int:note_id>/pdf")
def credit_note_pdf(note_id: int):
    note = db.session.get(CreditNote, note_id)
    if note is None:
        abort(404)
    invoice = _load(note.invoice_id)  # 404 unless the invoice it corrects is this client's
    if not services.pdf_ready(note):
        return _pdf_pending(invoice)
    return send_document(
        io.BytesIO(note.pdf),
        services.credit_note_filename(note),
        "application/pdf",
        etag=note.pdf_sha256,
    )


# --- the client's statement (对账单): its own company only -------------------------------------


def _statement_range() -> tuple[date, date]:
    """[start, end] from ``?start=&end=`` (ISO dates); default: this year to today."""
    end = _iso(request.args.get("end")) or today()
    start = _iso(request.args.get("start")) or date(end.year, 1, 1)
    return (start, end) if start <= end else (end, start)


def _iso(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@bp.route("/statement")
def statement():
    client_id = current_user.client_id
    start, end = _statement_range()
    return render_template(
        "portal/statement.html",
        statement=services.client_statement(client_id, start, end, _),
        credit_balance=services.credit_balance_fen(client_id),
        refunds=services.client_refunds(client_id),
        form_url=url_for("portal.statement"),
        pdf_url=url_for("portal.statement_pdf", start=start, end=end),
        csv_url=url_for("portal.statement_csv", start=start, end=end),
    )


def _statement_name(start: date, end: date, ext: str) -> str:
    return f"对账单_{start.isoformat()}_{end.isoformat()}.{ext}"


@bp.route("/statement.pdf")
def statement_pdf():
    client = db.get_or_404(Client, current_user.client_id)
    start, end = _statement_range()
    data = services.statement_pdf(client, services.client_statement(client.id, start, end))
    return send_document(
        io.BytesIO(data), _statement_name(start, end, "pdf"), "application/pdf", ascii_name="statement.pdf"
    )


@bp.route("/statement.csv")
def statement_csv():
    start, end = _statement_range()
    body = services.statement_csv(services.client_statement(current_user.client_id, start, end))
    return send_document(
        body, _statement_name(start, end, "csv"), "text/csv; charset=utf-8", ascii_name="statement.csv"
    )


def portal_section() -> dict:
    """The portal overview's "账单" section: open balance and the latest invoices."""
    latest = db.session.scalars(
        sa.select(Invoice)
        .options(selectinload(Invoice.credit_notes))
        .where(Invoice.client_id == current_user.client_id, Invoice.status.in_(CLIENT_VISIBLE))
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(5)
    ).all()
    return {
        "title": _l("账单"),
        "template": "portal/invoices_section.html",
        "latest": latest,
        "receivables": services.receivables(current_user.client_id),
        "credit_balance": services.credit_balance_fen(current_user.client_id),
    }


@bp.record_once
def _register_section(state) -> None:
    hooks.register(state.app, hooks.PORTAL_SECTIONS, portal_section)
