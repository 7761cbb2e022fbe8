"""Admin pages for contracts: the breach-clause library (违约条款库) and the vendor's own details."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN
from ops.contracts import services
from ops.contracts.forms import ClauseTemplateForm, VendorProfileForm
from ops.contracts.models import ClauseTemplate
from ops.contracts.services import ContractError
from ops.extensions import db
from ops.forms import ConfirmForm

bp = Blueprint("contract_admin", __name__, url_prefix="/admin")
require_roles_for_blueprint(bp, ADMIN)


@bp.route("/clauses")
def clauses():
    if services.ensure_default_clauses():  # an empty library starts with the shipped defaults
        db.session.commit()
    templates = db.session.scalars(
        sa.select(ClauseTemplate).order_by(
            ClauseTemplate.is_active.desc(), ClauseTemplate.position, ClauseTemplate.id
        )
    ).all()
    return render_template("contracts/admin_clauses.html", templates=templates, confirm=ConfirmForm())


def _save_clause(form: ClauseTemplateForm, template: ClauseTemplate | None):
    try:
        if template is None:
            services.create_clause_template(
                form.title.data, form.body.data, form.position.data, by=current_user
            )
        else:
            services.update_clause_template(
                template, form.title.data, form.body.data, form.position.data, by=current_user
            )
    except ContractError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "danger")
        return None
    db.session.commit()
    flash(_("条款已保存。已生成的合同保留原有条款文字。"), "success")
    return redirect(url_for("contract_admin.clauses"))


@bp.route("/clauses/new", methods=["GET", "POST"])
def clause_create():
    form = ClauseTemplateForm()
    if form.validate_on_submit():
        done = _save_clause(form, None)
        if done:
            return done
    return render_template("contracts/admin_clause_form.html", form=form, template=None)


@bp.route("/clauses/<int:template_id>/edit", methods=["GET", "POST"])
def clause_edit(template_id: int):
    template = db.get_or_404(ClauseTemplate, template_id)
    form = ClauseTemplateForm(obj=template)
    if form.validate_on_submit():
        done = _save_clause(form, template)
        if done:
            return done
    return render_template("contracts/admin_clause_form.html", form=form, template=template)


@bp.route("/clauses/<int:template_id>/<any(activate, deactivate):action>", methods=["POST"])
def clause_set_active(template_id: int, action: str):
    template = db.get_or_404(ClauseTemplate, template_id)
    if ConfirmForm().validate_on_submit():
        services.set_clause_template_active(template, action == "activate", by=current_user)
        db.session.commit()
        flash(
            _("条款“%(t)s”已启用。", t=template.title)
            if action == "activate"
            else _("条款“%(t)s”已停用，新合同不再默认带入。", t=template.title),
            "success",
        )
    return redirect(url_for("contract_admin.clauses"))


@bp.route("/vendor", methods=["GET", "POST"])
def vendor():
    profile = services.vendor_profile()
    form = VendorProfileForm(obj=profile)
    if form.validate_on_submit():
        try:
            services.update_vendor_profile(
                {f: getattr(form, f).data for f in services.VENDOR_FIELDS}, by=current_user
            )
        except ContractError as exc:
            db.session.rollback()
            for message in exc.messages:
                flash(message, "danger")
        else:
            db.session.commit()
            flash(_("本公司信息已保存，新生成的合同将使用这些信息。"), "success")
            return redirect(url_for("contract_admin.vendor"))
    return render_template("contracts/admin_vendor.html", form=form, profile=profile)
