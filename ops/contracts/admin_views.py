"""Admin pages for contracts: the breach-clause library (违约条款库) and the vendor's own details."""

import sqlalchemy as sa
from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN
from ops.contracts import services
from ops.contracts.forms import ClauseTemplateForm, VendorProfileForm
from ops.contracts.models import ClauseTemplate
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.web import perform

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
    def save() -> None:
        if template is None:
            services.create_clause_template(
                form.title.data, form.body.data, form.position.data, by=current_user
            )
        else:
            services.update_clause_template(
                template, form.title.data, form.body.data, form.position.data, by=current_user
            )

    return perform(
        save,
        form=form,
        success=_("条款已保存。已生成的合同保留原有条款文字。"),
        back=url_for("contract_admin.clauses"),
        render=lambda: render_template("contracts/admin_clause_form.html", form=form, template=template),
    )


@bp.route("/clauses/new", methods=["GET", "POST"])
def clause_create():
    return _save_clause(ClauseTemplateForm(), None)


@bp.route("/clauses/<int:template_id>/edit", methods=["GET", "POST"])
def clause_edit(template_id: int):
    template = db.get_or_404(ClauseTemplate, template_id)
    return _save_clause(ClauseTemplateForm(obj=template), template)


@bp.route("/clauses/<int:template_id>/<any(activate, deactivate):action>", methods=["POST"])
def clause_set_active(template_id: int, action: str):
    template = db.get_or_404(ClauseTemplate, template_id)
    active = action == "activate"
    return perform(
        lambda: services.set_clause_template_active(template, active, by=current_user),
        form=ConfirmForm(),
        success=lambda _result: (
            _("条款“%(t)s”已启用。", t=template.title)
            if active
            else _("条款“%(t)s”已停用，新合同不再默认带入。", t=template.title)
        ),
        back=url_for("contract_admin.clauses"),
    )


@bp.route("/vendor", methods=["GET", "POST"])
def vendor():
    profile = services.vendor_profile()
    form = VendorProfileForm(obj=profile)
    return perform(
        lambda: services.update_vendor_profile(
            {f: getattr(form, f).data for f in services.VENDOR_FIELDS}, by=current_user
        ),
        form=form,
        success=_("本公司信息已保存，新生成的合同将使用这些信息。"),
        back=url_for("contract_admin.vendor"),
        render=lambda: render_template("contracts/admin_vendor.html", form=form, profile=profile),
    )
