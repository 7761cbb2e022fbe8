"""Onboarding settings: the default checklist template (admins) and platform rules (admins, managers, trainers)."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, MANAGER, TRAINER
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.onboarding import services
from ops.onboarding.checklist import AUTO_RULE_LABELS
from ops.onboarding.forms import PlatformRuleForm, TemplateItemForm
from ops.onboarding.models import ChecklistTemplateItem, PlatformRule
from ops.onboarding.services import NotAllowed
from ops.web import label, perform

bp = Blueprint("onboarding_admin", __name__, url_prefix="/admin/onboarding")
require_roles_for_blueprint(bp, ADMIN, MANAGER, TRAINER)
admin_only = roles_required(ADMIN)


def _user():
    return current_user._get_current_object()


def _template_item_data(form: TemplateItemForm) -> dict:
    return {
        "title": form.title.data,
        "category": form.category.data,
        "required": form.required.data,
        "needs_verification": form.needs_verification.data,
        "evidence_note": form.evidence_note.data,
        "auto_rule": form.auto_rule.data or None,
    }


# --- the checklist template ----------------------------------------------------------------


@bp.route("/checklist")
@admin_only
def template():
    template_ = services.default_template()
    if template_ is None:
        template_ = services.ensure_default_template()
        db.session.commit()
    return render_template(
        "onboarding/template.html",
        template=template_,
        confirm=ConfirmForm(),
        auto_rule_labels=AUTO_RULE_LABELS,
    )


@bp.route("/checklist/items/new", methods=["GET", "POST"])
@admin_only
def template_item_new():
    form = TemplateItemForm()
    return perform(
        lambda: services.add_template_item(
            services.ensure_default_template(), _template_item_data(form), by=_user()
        ),
        form=form,
        render=lambda: render_template("onboarding/template_item_form.html", form=form, item=None),
        success=lambda item: _("已添加“%(t)s”，只影响之后新建的分配。", t=item.title),
        back=url_for("onboarding_admin.template"),
    )


@bp.route("/checklist/items/<int:item_id>/edit", methods=["GET", "POST"])
@admin_only
def template_item_edit(item_id: int):
    item = db.get_or_404(ChecklistTemplateItem, item_id)
    form = TemplateItemForm(obj=item)
    return perform(
        lambda: services.update_template_item(item, _template_item_data(form), by=_user()),
        form=form,
        render=lambda: render_template("onboarding/template_item_form.html", form=form, item=item),
        success=_("已保存，只影响之后新建的分配。"),
        back=url_for("onboarding_admin.template"),
    )


@bp.route("/checklist/items/<int:item_id>/<any(up, down):direction>", methods=["POST"])
@admin_only
def template_item_move(item_id: int, direction: str):
    item = db.get_or_404(ChecklistTemplateItem, item_id)
    return perform(
        lambda: services.move_template_item(item, direction, by=_user()),
        form=ConfirmForm(),
        success=None,
        back=url_for("onboarding_admin.template"),
    )


@bp.route("/checklist/items/<int:item_id>/delete", methods=["POST"])
@admin_only
def template_item_delete(item_id: int):
    item = db.get_or_404(ChecklistTemplateItem, item_id)
    title = item.title
    return perform(
        lambda: services.remove_template_item(item, by=_user()),
        form=ConfirmForm(),
        success=_("已删除“%(t)s”；已有分配的清单不受影响。", t=title),
        back=url_for("onboarding_admin.template"),
    )


# --- platform rules ------------------------------------------------------------------------


def _platform_label(code: str) -> str:
    return _("通用") if code == services.ALL_PLATFORMS else label("platform", code)


@bp.route("/rules")
def rules():
    rows = db.session.scalars(
        sa.select(PlatformRule).order_by(PlatformRule.platform, PlatformRule.position, PlatformRule.id)
    ).all()
    groups: dict[str, list[PlatformRule]] = {}
    for rule in rows:
        groups.setdefault(rule.platform, []).append(rule)
    return render_template(
        "onboarding/rules.html", groups=groups, platform_label=_platform_label, confirm=ConfirmForm()
    )


def _rule_data(form: PlatformRuleForm) -> dict:
    return {
        k: getattr(form, k).data
        for k in ("platform", "event", "deadline", "consequence", "source", "position")
    }


def _save_rule(form: PlatformRuleForm, rule: PlatformRule | None):
    def save():
        try:
            if rule is None:
                return services.create_platform_rule(_rule_data(form), by=_user())
            return services.update_platform_rule(rule, _rule_data(form), by=_user())
        except NotAllowed:
            abort(403)

    return perform(
        save,
        form=form,
        render=lambda: render_template("onboarding/rule_form.html", form=form, rule=rule),
        success=_("平台规则已保存。"),
        back=url_for("onboarding_admin.rules"),
    )


@bp.route("/rules/new", methods=["GET", "POST"])
def rule_new():
    return _save_rule(PlatformRuleForm(), None)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def rule_edit(rule_id: int):
    rule = db.get_or_404(PlatformRule, rule_id)
    return _save_rule(PlatformRuleForm(obj=rule), rule)


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
def rule_delete(rule_id: int):
    rule = db.get_or_404(PlatformRule, rule_id)
    return perform(
        lambda: services.delete_platform_rule(rule, by=_user()),
        form=ConfirmForm(),
        success=_("平台规则已删除。"),
        back=url_for("onboarding_admin.rules"),
    )
