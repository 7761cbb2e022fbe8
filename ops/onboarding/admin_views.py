"""Onboarding settings: the default checklist template (admins) and platform rules (admins, managers, trainers)."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, MANAGER, TRAINER
from ops.clients.constants import PLATFORMS
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.onboarding import services
from ops.onboarding.checklist import AUTO_RULE_LABELS
from ops.onboarding.forms import PlatformRuleForm, TemplateItemForm
from ops.onboarding.models import ChecklistTemplateItem, PlatformRule

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


def _apply_error(form, exc: services.OnboardingError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "danger")


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
    if form.validate_on_submit():
        template_ = services.ensure_default_template()
        try:
            item = services.add_template_item(template_, _template_item_data(form), by=_user())
        except services.OnboardingError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("已添加“%(t)s”，只影响之后新建的分配。", t=item.title), "success")
            return redirect(url_for("onboarding_admin.template"))
    return render_template("onboarding/template_item_form.html", form=form, item=None)


@bp.route("/checklist/items/<int:item_id>/edit", methods=["GET", "POST"])
@admin_only
def template_item_edit(item_id: int):
    item = db.get_or_404(ChecklistTemplateItem, item_id)
    form = TemplateItemForm(obj=item)
    if form.validate_on_submit():
        try:
            services.update_template_item(item, _template_item_data(form), by=_user())
        except services.OnboardingError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存，只影响之后新建的分配。"), "success")
            return redirect(url_for("onboarding_admin.template"))
    return render_template("onboarding/template_item_form.html", form=form, item=item)


@bp.route("/checklist/items/<int:item_id>/<any(up, down):direction>", methods=["POST"])
@admin_only
def template_item_move(item_id: int, direction: str):
    item = db.get_or_404(ChecklistTemplateItem, item_id)
    if ConfirmForm().validate_on_submit() and services.move_template_item(item, direction, by=_user()):
        db.session.commit()
    return redirect(url_for("onboarding_admin.template"))


@bp.route("/checklist/items/<int:item_id>/delete", methods=["POST"])
@admin_only
def template_item_delete(item_id: int):
    item = db.get_or_404(ChecklistTemplateItem, item_id)
    if ConfirmForm().validate_on_submit():
        title = item.title
        services.remove_template_item(item, by=_user())
        db.session.commit()
        flash(_("已删除“%(t)s”；已有分配的清单不受影响。", t=title), "success")
    return redirect(url_for("onboarding_admin.template"))


# --- platform rules ------------------------------------------------------------------------


def _platform_label(code: str) -> str:
    return _("通用") if code == services.ALL_PLATFORMS else str(PLATFORMS.get(code, code))


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
    try:
        if rule is None:
            services.create_platform_rule(_rule_data(form), by=_user())
        else:
            services.update_platform_rule(rule, _rule_data(form), by=_user())
    except services.NotAllowed:
        db.session.rollback()
        abort(403)
    except services.OnboardingError as exc:
        db.session.rollback()
        _apply_error(form, exc)
        return None
    db.session.commit()
    flash(_("平台规则已保存。"), "success")
    return redirect(url_for("onboarding_admin.rules"))


@bp.route("/rules/new", methods=["GET", "POST"])
def rule_new():
    form = PlatformRuleForm()
    if form.validate_on_submit():
        done = _save_rule(form, None)
        if done is not None:
            return done
    return render_template("onboarding/rule_form.html", form=form, rule=None)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
def rule_edit(rule_id: int):
    rule = db.get_or_404(PlatformRule, rule_id)
    form = PlatformRuleForm(obj=rule)
    if form.validate_on_submit():
        done = _save_rule(form, rule)
        if done is not None:
            return done
    return render_template("onboarding/rule_form.html", form=form, rule=rule)


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
def rule_delete(rule_id: int):
    rule = db.get_or_404(PlatformRule, rule_id)
    if ConfirmForm().validate_on_submit():
        services.delete_platform_rule(rule, by=_user())
        db.session.commit()
        flash(_("平台规则已删除。"), "success")
    return redirect(url_for("onboarding_admin.rules"))
