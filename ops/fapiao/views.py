"""数电票 pages (admin, manager, finance): the batch export of a period, the fapiao numbers recorded on
an invoice or imported from a file, the item codes per line kind, and the PDF reprint with the fapiao."""

import io

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, FINANCE, MANAGER
from ops.billing import engine
from ops.billing.models import Invoice
from ops.errors import ServiceError
from ops.extensions import db
from ops.fapiao import services
from ops.fapiao.forms import FapiaoForm, FapiaoImportForm, ItemCodeForm
from ops.fapiao.reprint import reprint_filename, reprint_pdf
from ops.fapiao.rules import ITEM_KINDS, SAMPLE_ITEM_CODES
from ops.forms import ConfirmForm
from ops.urls import db_int
from ops.web import perform, send_document

bp = Blueprint("fapiao", __name__, url_prefix="/billing/fapiao")
require_roles_for_blueprint(bp, ADMIN, MANAGER, FINANCE)
EDITORS = (ADMIN, FINANCE)  # who may configure the item codes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _invoice_url(invoice: Invoice) -> str:
    return url_for("billing.invoice_detail", invoice_id=invoice.id)


def _period_arg() -> str:
    text = request.values.get("period", "").strip()
    if not text:
        return ""
    try:
        return engine.parse_period(text).code
    except engine.BillingError as exc:
        flash(_(str(exc)), "danger")
        return ""


# --- export ----------------------------------------------------------------------------------


def _periods() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Invoice.period)
            .where(Invoice.status.in_(("issued", "paid")))
            .distinct()
            .order_by(Invoice.period.desc())
        )
    )


@bp.route("/export")
def export_page():
    periods = _periods()
    period = _period_arg() or (periods[0] if periods else "")
    invoices = services.exportable_invoices(period) if period else []
    result = services.build_export(invoices)
    problems = dict(result.problems)
    return render_template(
        "fapiao/export.html",
        period=period,
        periods=periods,
        invoices=invoices,
        records={r["invoice_id"]: r for r in result.records},
        problems=problems,
        samples=[kind for kind, code in services.item_codes().items() if code.sample],
        form=ConfirmForm(),
    )


@bp.route("/export", methods=["POST"])
def export_file():
    period = _period_arg()
    back = url_for("fapiao.export_page", period=period)
    form = ConfirmForm()
    if not period or not form.validate_on_submit():
        flash(_("请选择账期。") if not period else _("表单已过期，请刷新页面后重试。"), "danger")
        return redirect(back)
    ids = [i for i in (db_int(v) for v in request.form.getlist("invoice_ids")) if i]
    if not ids:
        flash(_("请至少勾选一张账单。"), "warning")
        return redirect(back)
    invoices = services.exportable_invoices(period, ids)
    name = f"数电票开票_{period}.xlsx"
    return perform(
        lambda: services.export_workbook(invoices, by=current_user, label=period),
        success=None,
        back=back,
        done=lambda data: send_document(data, name, XLSX, ascii_name=f"fapiao_{period}.xlsx"),
    )


# --- fapiao numbers --------------------------------------------------------------------------


@bp.route("/invoices/<int:invoice_id>", methods=["POST"])
def record(invoice_id: int):
    invoice = db.get_or_404(Invoice, invoice_id)
    form = FapiaoForm()
    return perform(
        lambda: services.record_fapiao(
            invoice, form.number.data, form.issued_on.data, form.status.data, by=current_user
        ),
        form=form,
        success=lambda changed: _("发票信息已保存。") if changed else _("发票信息没有变化。"),
        back=_invoice_url(invoice),
    )


@bp.route("/invoices/<int:invoice_id>/reprint.pdf")
def reprint(invoice_id: int):
    invoice = db.get_or_404(Invoice, invoice_id)
    if invoice.status == "draft" or invoice.pdf_data is None:
        abort(404)
    return send_document(
        io.BytesIO(reprint_pdf(invoice)),
        reprint_filename(invoice),
        "application/pdf",
        as_attachment=False,
        ascii_name=f"{invoice.number}-copy.pdf",
    )


@bp.route("/import", methods=["GET", "POST"])
def import_numbers():
    form = FapiaoImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = services.import_fapiao_numbers(upload.read(), upload.filename or "", by=current_user)
        except services.FapiaoImportError as exc:
            db.session.rollback()
            errors = exc.errors
            flash(str(exc), "danger")
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(
                _(
                    "已导入：%(changed)s 张账单更新，%(same)s 张没有变化。",
                    changed=result.changed,
                    same=result.unchanged,
                ),
                "success",
            )
            return redirect(url_for("fapiao.import_numbers"))
    return render_template("fapiao/import.html", form=form, errors=errors)


# --- item codes ------------------------------------------------------------------------------


@bp.route("/codes")
def codes():
    return render_template(
        "fapiao/codes.html",
        kinds=ITEM_KINDS,
        codes=services.item_codes(),
        samples=SAMPLE_ITEM_CODES,
        can_edit=current_user.role in EDITORS,
    )


@bp.route(f"/codes/<any({', '.join(ITEM_KINDS)}):kind>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_code(kind: str):
    current = services.item_codes()[kind]
    form = ItemCodeForm(data=None if request.method == "POST" else current.__dict__)
    return perform(
        lambda: services.save_item_code(
            kind, form.item_name.data, form.tax_code.data, form.unit.data or "", by=current_user
        ),
        form=form,
        success=lambda changed: _("开票项目已保存。") if changed else _("开票项目没有变化。"),
        back=url_for("fapiao.codes"),
        render=lambda: render_template("fapiao/code_form.html", form=form, kind=kind, current=current),
    )
