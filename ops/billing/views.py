"""Finance pages: invoices, billing runs, payments, credit notes, ageing, exports (admin, manager, finance)."""

import csv
import io
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from ops import hooks
from ops.audit.models import AuditEntry
from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, FINANCE, MANAGER
from ops.billing import engine, services, tasks
from ops.billing.forms import (
    AdjustmentForm,
    ApplyCreditForm,
    CreditNoteForm,
    LateFeeWaiveForm,
    PaymentForm,
    RefundForm,
    RunForm,
    StatementsForm,
    VoidForm,
)
from ops.billing.models import INVOICE_STATES, CreditNote, Invoice
from ops.clients.models import Client
from ops.extensions import db
from ops.fapiao.forms import FapiaoForm
from ops.forms import ConfirmForm, scoped_ids
from ops.money import format_fen
from ops.periods import last_month
from ops.timeutil import today
from ops.urls import db_int
from ops.web import flash_form_errors, paginate, perform, send_document

bp = Blueprint("billing", __name__, url_prefix="/billing")
FINANCE_ROLES = (ADMIN, MANAGER, FINANCE)
require_roles_for_blueprint(bp, *FINANCE_ROLES)

STATUS_BADGES = {
    "draft": "bg-secondary",
    "issued": "bg-primary",
    "paid": "bg-success",
    "void": "bg-dark",
    "overdue": "bg-danger",
}
BUCKET_LABELS = {
    "current": _l("未到期"),
    "1-30": _l("逾期 1–30 天"),
    "31-60": _l("逾期 31–60 天"),
    "61-90": _l("逾期 61–90 天"),
    "90+": _l("逾期 90 天以上"),
}
AUDIT_LABELS = {
    "invoice.draft_created": _l("生成草稿"),
    "invoice.draft_refreshed": _l("重新计算草稿"),
    "invoice.issued": _l("开具"),
    "invoice.adjustment_added": _l("添加调整项"),
    "invoice.adjustment_removed": _l("删除调整项"),
    "invoice.payment_recorded": _l("登记收款"),
    "invoice.payment_reversed": _l("撤销收款（银行流水匹配撤销）"),
    "invoice.voided": _l("作废"),
    "invoice.reissue_started": _l("重新出账"),
    "invoice.credit_note_issued": _l("开具红字冲销单"),
    "invoice.pdf_stored": _l("PDF 已生成"),
    "credit_note.pdf_stored": _l("红字冲销单 PDF 已生成"),
    "invoice.late_fee_billed": _l("计收滞纳金"),
    "invoice.late_fee_waived": _l("减免滞纳金"),
    "invoice.credit_balance_applied": _l("上期余额抵扣"),
    "invoice.dunning_recorded": _l("催款提醒"),
    "invoice.disputed": _l("标记争议"),
    "invoice.dispute_cleared": _l("取消争议"),
    "invoice.fapiao_recorded": _l("登记发票"),
}

STATEMENT_KIND_LABELS = {
    "invoice": _l("账单"),
    "payment": _l("收款"),
    "credit_note": _l("红字冲销"),
    "prepayment": _l("预收款"),
    "refund": _l("退款"),
}


@bp.app_context_processor
def invoice_labels():
    return {
        "invoice_badges": STATUS_BADGES,
        "invoice_status": services.status_label,
        "invoice_overdue": services.is_overdue,
        "invoice_balance": services.balance_fen,
        "client_credit_balance": services.credit_balance_fen,
        "statement_kinds": STATEMENT_KIND_LABELS,
    }


def _load(invoice_id: int) -> Invoice:
    return db.get_or_404(Invoice, invoice_id)


def _detail_url(invoice: Invoice) -> str:
    return url_for("billing.invoice_detail", invoice_id=invoice.id)


def _client_choices() -> list[SelectChoice]:
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
    return [SelectChoice(0, _("全部客户")), *[SelectChoice(c.id, c.name) for c in clients]]


# --- invoice list -----------------------------------------------------------------------------


def _filtered(status: str, client_id: int | None, period: str, q: str):
    stmt = sa.select(Invoice)
    if status == "overdue":
        stmt = stmt.where(Invoice.status == "issued", Invoice.due_on < today())
    elif status in INVOICE_STATES:
        stmt = stmt.where(Invoice.status == status)
    if client_id:
        stmt = stmt.where(Invoice.client_id == client_id)
    if period:
        stmt = stmt.where(Invoice.period == period)
    if q:
        # An invoice number (INV-…) or a fapiao number (20 digits) or part of either.
        stmt = stmt.where(sa.or_(Invoice.number.ilike(f"%{q}%"), Invoice.fapiao_number.like(f"%{q}%")))
    return stmt


def _totals(stmt) -> dict:
    """Totals of the filtered invoices in one aggregate: billed (void excluded), received, what is still
    owed, how many are not void (``count``) and how many match at all (``rows``, the pager's total).

    Sums of integer fen are exact in SQL. On SQLite the index ``ix_invoices_totals`` covers the
    unfiltered page: the rows themselves (with their stored PDF) are not read."""
    live = Invoice.status != "void"
    billed, paid, count, owed, rows = db.session.execute(
        stmt.with_only_columns(
            sa.func.coalesce(sa.func.sum(sa.case((live, Invoice.total_fen), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((live, Invoice.paid_fen), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((live, 1), else_=0)), 0),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(
                        (
                            Invoice.status == "issued",
                            Invoice.total_fen - Invoice.paid_fen - Invoice.allocated_fen,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
            sa.func.count(),
        )
    ).one()
    return {"billed": int(billed), "paid": int(paid), "count": int(count), "open": int(owed), "rows": rows}


@bp.route("/invoices")
def invoices():
    status = request.args.get("status", "")
    client_id = request.args.get("client_id", type=db_int)
    period = request.args.get("period", "").strip()
    q = request.args.get("q", "").strip()
    stmt = _filtered(status, client_id, period, q)
    totals = _totals(stmt)
    page = paginate(
        stmt.options(
            # What the rows show: the client, the void/re-issue links. The balance is the stored
            # sums (total − paid − allocated): the credit notes themselves are not needed.
            joinedload(Invoice.client),
            selectinload(Invoice.replaces),
            selectinload(Invoice.replaced_by),
        ).order_by(Invoice.period.desc(), Invoice.number.desc(), Invoice.id.desc()),
        per_page=25,
        total=totals["rows"],  # counted with the totals: no second pass over the invoices
    )
    periods = db.session.scalars(sa.select(Invoice.period).distinct().order_by(Invoice.period.desc())).all()
    return render_template(
        "billing/invoices.html",
        page=page,
        status=status,
        client_id=client_id or 0,
        period=period,
        q=q,
        clients=_client_choices(),
        periods=periods,
        totals=totals,
        states=(*INVOICE_STATES, "overdue"),
        today=today(),
        zip_form=ConfirmForm(),
    )


# --- one invoice ------------------------------------------------------------------------------


@bp.route("/invoices/<int:invoice_id>")
def invoice_detail(invoice_id: int):
    invoice = db.session.scalar(
        sa.select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            selectinload(Invoice.lines),
            selectinload(Invoice.payments),
            selectinload(Invoice.credit_notes),
            joinedload(Invoice.client),
            joinedload(Invoice.contract),
            joinedload(Invoice.replaces),
            joinedload(Invoice.replaced_by),
        )
    )
    if invoice is None:
        abort(404)
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == Invoice.__tablename__, AuditEntry.object_id == invoice.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(50)
    ).all()
    payment_form = PaymentForm(formdata=None, paid_on=today())
    return render_template(
        "billing/invoice_detail.html",
        invoice=invoice,
        contract=invoice.contract,
        history=history,
        audit_labels=AUDIT_LABELS,
        balance=services.balance_fen(invoice),
        overdue=services.is_overdue(invoice),
        # One page, several forms: their fields get page-unique ids (labels point at the right one).
        adjustment_form=scoped_ids(AdjustmentForm(formdata=None), "adjustment"),
        void_form=scoped_ids(VoidForm(formdata=None), "void"),
        payment_form=scoped_ids(payment_form, "payment"),
        credit_form=scoped_ids(CreditNoteForm(formdata=None), "credit"),
        apply_form=scoped_ids(ApplyCreditForm(formdata=None), "apply"),
        allocations=services.invoice_allocations(invoice.id),
        credit_balance=services.credit_balance_fen(invoice.client_id),
        confirm=ConfirmForm(),
        payment_terms=services.payment_terms_text(invoice.contract, _),
        deposit_remainder=services.invoice_deposit_remainder_fen(invoice),
        late_fee=services.accrued_late_fee(invoice),
        late_fee_charges=services.charges_of(invoice),
        waive_form=scoped_ids(LateFeeWaiveForm(formdata=None), "waive"),
        fapiao_form=scoped_ids(
            FapiaoForm(
                formdata=None,
                number=invoice.fapiao_number,
                issued_on=invoice.fapiao_date or today(),
                status=invoice.fapiao_status or "issued",
            ),
            "fapiao",
        ),
        reminders=services.reminders_of(invoice.id),
        today=today(),
    )


@bp.route("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    invoice = _load(invoice_id)
    if invoice.status == "draft":
        data = services.draft_preview_pdf(invoice)
        return send_document(
            io.BytesIO(data),
            services.invoice_filename(invoice),
            "application/pdf",
            as_attachment=False,
        )
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


def _pdf_pending(invoice: Invoice):
    """The answer to a PDF not stored yet (the queue renders it after the issue): back, with a note."""
    flash(_("PDF 生成中…请稍后再下载。"), "info")
    return redirect(_detail_url(invoice))


@bp.route("/credit-notes/<int:note_id>/pdf")
def credit_note_pdf(note_id: int):
    note = db.get_or_404(CreditNote, note_id)
    if not services.pdf_ready(note):
        return _pdf_pending(note.invoice)
    return send_document(
        io.BytesIO(note.pdf),
        services.credit_note_filename(note),
        "application/pdf",
        etag=note.pdf_sha256,
    )


@bp.route("/invoices/<int:invoice_id>/adjustments", methods=["POST"])
def add_adjustment(invoice_id: int):
    invoice = _load(invoice_id)
    form = AdjustmentForm()
    return perform(
        lambda: services.add_adjustment(
            invoice, form.description.data, form.amount.data, form.reason.data, by=current_user
        ),
        form=form,
        success=_("调整项已添加，合计已重新计算。"),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/adjustments/<int:line_id>/delete", methods=["POST"])
def remove_adjustment(invoice_id: int, line_id: int):
    invoice = _load(invoice_id)
    return perform(
        lambda: services.remove_adjustment(invoice, line_id, by=current_user),
        form=ConfirmForm(),
        success=_("调整项已删除。"),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/issue", methods=["POST"])
def issue(invoice_id: int):
    invoice = _load(invoice_id)
    return perform(
        lambda: services.issue_invoice(invoice.id, by=current_user),  # its own unit of work: commits
        form=ConfirmForm(),
        success=lambda issued: _("账单已开具：%(number)s。", number=issued.number),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/void", methods=["POST"])
def void(invoice_id: int):
    invoice = _load(invoice_id)
    form = VoidForm()
    return perform(
        lambda: services.void_invoice(
            invoice, form.reason.data, by=current_user, idempotency_key=form.idempotency_key.data
        ),
        form=form,
        success=_("账单已作废。"),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/reissue", methods=["POST"])
def reissue(invoice_id: int):
    invoice = _load(invoice_id)
    return perform(
        lambda: services.reissue_invoice(invoice.id, by=current_user),  # its own unit of work: commits
        form=ConfirmForm(),
        success=_("已生成更正后的账单草稿，开具时分配新编号。"),
        back=_detail_url(invoice),
        done=_detail_url,
    )


@bp.route("/invoices/<int:invoice_id>/late-fees/bill", methods=["POST"])
def bill_late_fee(invoice_id: int):
    invoice = _load(invoice_id)
    return perform(
        lambda: services.bill_late_fee(invoice, by=current_user),
        form=ConfirmForm(),
        success=lambda charge: _("滞纳金 %(amount)s 已计入下期账单。", amount=format_fen(charge.amount_fen)),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/late-fees/waive", methods=["POST"])
def waive_late_fee(invoice_id: int):
    invoice = _load(invoice_id)
    form = LateFeeWaiveForm()
    return perform(
        lambda: services.waive_late_fee(invoice, form.reason.data, by=current_user),
        form=form,
        success=lambda charge: _("滞纳金 %(amount)s 已减免。", amount=format_fen(charge.amount_fen)),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/dispute", methods=["POST"])
def mark_disputed(invoice_id: int):
    invoice = _load(invoice_id)
    return perform(
        lambda: services.mark_disputed(invoice, by=current_user),
        form=ConfirmForm(),
        success=_("已标记争议，该账单暂停催款。"),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/dispute/clear", methods=["POST"])
def clear_dispute(invoice_id: int):
    invoice = _load(invoice_id)
    return perform(
        lambda: services.clear_dispute(invoice, by=current_user),
        form=ConfirmForm(),
        success=_("已取消争议，该账单恢复催款。"),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
def record_payment(invoice_id: int):
    invoice = _load(invoice_id)
    form = PaymentForm()
    return perform(
        lambda: services.record_payment(
            invoice,
            form.amount.data,
            form.paid_on.data,
            form.method.data,
            form.reference.data or "",
            by=current_user,
            idempotency_key=form.idempotency_key.data,
        ),
        form=form,
        success=_("收款已登记。"),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/credit-notes", methods=["POST"])
def credit_note(invoice_id: int):
    invoice = _load(invoice_id)
    form = CreditNoteForm()
    return perform(
        lambda: services.create_credit_note(
            invoice,
            form.amount.data,
            form.reason.data,
            by=current_user,
            idempotency_key=form.idempotency_key.data,
            red_reason=form.red_reason.data or "",
        ),  # commits
        form=form,
        success=lambda note: _("红字冲销单 %(number)s 已开具。", number=note.number),
        back=_detail_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/apply-credit", methods=["POST"])
def apply_credit(invoice_id: int):
    invoice = _load(invoice_id)
    form = ApplyCreditForm()
    return perform(
        lambda: services.apply_credit_balance(
            invoice, form.amount.data, by=current_user, idempotency_key=form.idempotency_key.data
        ),
        form=form,
        success=_("已用客户余额抵扣。"),
        back=_detail_url(invoice),
    )


# --- a client's account: credit balance, refunds, statement -----------------------------------


def statement_range() -> tuple[date, date]:
    """The statement's [start, end] from ``?start=&end=`` (ISO dates); default: this year to today."""
    end = _iso_date(request.args.get("end")) or today()
    start = _iso_date(request.args.get("start")) or date(end.year, 1, 1)
    return (start, end) if start <= end else (end, start)


def _iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _account_url(client_id: int) -> str:
    return url_for("billing.client_account", client_id=client_id)


def _render_account(client: Client, refund_form: RefundForm):
    start, end = statement_range()
    return render_template(
        "billing/client_account.html",
        client=client,
        credit_balance=services.credit_balance_fen(client.id),
        refunds=services.client_refunds(client.id),
        refund_form=refund_form,
        statement=services.client_statement(client.id, start, end, _),
        receivables=services.receivables(client.id),
        pdf_url=url_for("billing.client_statement_pdf", client_id=client.id, start=start, end=end),
        csv_url=url_for("billing.client_statement_csv", client_id=client.id, start=start, end=end),
        confirm=ConfirmForm(),
    )


@bp.route("/clients/<int:client_id>/account")
def client_account(client_id: int):
    client = db.get_or_404(Client, client_id)
    return _render_account(client, RefundForm(formdata=None, refunded_on=today()))


@bp.route("/clients/<int:client_id>/dunning/pause", methods=["POST"])
def pause_dunning(client_id: int):
    client = db.get_or_404(Client, client_id)
    return perform(
        lambda: services.pause_dunning(client, by=current_user),
        form=ConfirmForm(),
        success=_("已暂停该客户的催款提醒。"),
        back=_account_url(client.id),
    )


@bp.route("/clients/<int:client_id>/dunning/resume", methods=["POST"])
def resume_dunning(client_id: int):
    client = db.get_or_404(Client, client_id)
    return perform(
        lambda: services.resume_dunning(client, by=current_user),
        form=ConfirmForm(),
        success=_("已恢复该客户的催款提醒。"),
        back=_account_url(client.id),
    )


@bp.route("/clients/<int:client_id>/refunds", methods=["POST"])
def record_refund(client_id: int):
    client = db.get_or_404(Client, client_id)
    form = RefundForm()
    return perform(
        lambda: services.record_refund(
            client,
            form.amount.data,
            form.refunded_on.data,
            form.method.data,
            form.reference.data or "",
            by=current_user,
            idempotency_key=form.idempotency_key.data,
        ),
        form=form,
        success=_("退款已登记。"),
        back=_account_url(client.id),
        render=lambda: _render_account(client, form),
    )


statement_filename = tasks.statement_filename  # one name for a statement, here and in the ZIP


@bp.route("/clients/<int:client_id>/statement.pdf")
def client_statement_pdf(client_id: int):
    client = db.get_or_404(Client, client_id)
    start, end = statement_range()
    data = services.statement_pdf(client, services.client_statement(client.id, start, end))
    return send_document(
        io.BytesIO(data),
        statement_filename(client, start, end, "pdf"),
        "application/pdf",
        ascii_name="statement.pdf",
    )


@bp.route("/clients/<int:client_id>/statement.csv")
def client_statement_csv(client_id: int):
    client = db.get_or_404(Client, client_id)
    start, end = statement_range()
    body = services.statement_csv(services.client_statement(client.id, start, end))
    return send_document(
        body,
        statement_filename(client, start, end, "csv"),
        "text/csv; charset=utf-8",
        ascii_name="statement.csv",
    )


# --- runs, reports, exports -------------------------------------------------------------------


@bp.route("/runs", methods=["GET", "POST"])
def runs():
    form = RunForm()
    form.client_id.choices = _client_choices()
    if request.method == "GET":
        form.period.data = last_month(today())
    if form.validate_on_submit():
        # A run outlives a web request at a large vendor's size: the queue runs it, the job page shows it.
        return perform(
            lambda: tasks.start_billing_run(
                form.period.data,
                client_id=form.client_id.data or None,
                issue=form.issue.data,
                by=current_user,
            ),
            success=_("出账已开始：%(period)s。", period=form.period.data),
            back=url_for("billing.runs"),
            done=_job_url,
        )
    if request.method == "POST":
        flash_form_errors(form)
    drafts = db.session.scalar(
        sa.select(sa.func.count()).select_from(Invoice).where(Invoice.status == "draft")
    )
    return render_template("billing/runs.html", form=form, drafts=drafts)


def _job_url(job) -> str:
    return url_for("jobs.detail", job_id=job.id)


def _checked_period(text: str) -> str | None:
    try:
        return engine.parse_period(text.strip()).code
    except engine.BillingError as exc:
        flash(_(str(exc)), "danger")
        return None


@bp.route("/zip", endpoint="zip", methods=["GET", "POST"])
def period_zip():
    """POST: start the period ZIP job (its page links the file when ready). GET (an old link): the
    period's invoice list, where the button is."""
    period = _checked_period(request.values.get("period", ""))
    if period is None:
        return redirect(url_for("billing.invoices"))
    if request.method == "GET":
        return redirect(url_for("billing.invoices", period=period))
    pending = services.pending_pdf_count(period, statuses=("issued", "paid"))
    if pending:
        flash(
            _("%(period)s 有 %(n)s 份账单的 PDF 仍在生成中，请稍后再下载。", period=period, n=pending),
            "warning",
        )
        return redirect(url_for("billing.invoices", period=period))
    if not tasks.period_invoices(period):
        flash(_("%(period)s 没有已开具的账单。", period=period), "warning")
        return redirect(url_for("billing.invoices", period=period))
    return perform(
        lambda: tasks.start_period_zip(period, by=current_user),
        form=ConfirmForm(),
        success=_("正在打包 %(period)s 的账单 PDF。", period=period),
        back=url_for("billing.invoices", period=period),
        done=_job_url,
    )


@bp.route("/statements", methods=["GET", "POST"])
def statements():
    """Statements of many clients at once: a ZIP of 对账单 PDFs made by a job."""
    form = StatementsForm()
    form.client_ids.choices = [SelectChoice(c.id, c.name) for c in _clients()]
    if request.method == "GET":
        end = today()
        form.start.data, form.end.data = date(end.year, 1, 1), end
    if request.method == "POST" and form.validate():
        return perform(
            lambda: tasks.start_statements(
                form.start.data,
                form.end.data,
                None if form.scope.data == "active" else form.client_ids.data,
                by=current_user,
            ),
            success=_("正在生成对账单。"),
            back=url_for("billing.statements"),
            done=_job_url,
        )
    if request.method == "POST":
        flash_form_errors(form)
    return render_template("billing/statements.html", form=form)


def _clients():
    return db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()


@bp.route("/ageing")
def ageing():
    rows, totals = services.ageing_report()
    return render_template(
        "billing/ageing.html",
        rows=rows,
        totals=totals,
        buckets=services.AGEING_BUCKETS,
        bucket_labels=BUCKET_LABELS,
        grand_total=sum(totals.values()),
        today=today(),
    )


@bp.route("/export.csv")
def export():
    period = request.args.get("period", "").strip()
    if period:
        try:
            period = engine.parse_period(period).code
        except engine.BillingError as exc:
            flash(_(str(exc)), "danger")
            return redirect(url_for("billing.invoices"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(services.EXPORT_HEADER)
    writer.writerows(services.export_rows(period or None))
    body = "\ufeff" + out.getvalue()  # a BOM, so that Excel opens the UTF-8 file with its Chinese intact
    name = f"账单_{period or '全部'}.csv"
    return send_document(body.encode("utf-8"), name, "text/csv; charset=utf-8", ascii_name="invoices.csv")


# --- the staff dashboard panel ----------------------------------------------------------------


def _dashboard_panel():
    if not current_user.is_authenticated or current_user.role not in FINANCE_ROLES:
        return None
    return {"title": _l("应收账款"), "template": "billing/_panel.html", "receivables": services.receivables()}


@bp.record_once
def _register_hooks(state) -> None:
    """Add the receivables panel (open balance, overdue, drafts to issue) to the staff dashboard.
    (The client portal's "账单" section is registered by ``ops.portal.billing``.)"""
    hooks.register(state.app, hooks.DASHBOARD_PANELS, _dashboard_panel)
