"""A client's outsourcing plan (外包计划): the phases' items, made from the template or added by hand."""

import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ops.auth.permissions import roles_required
from ops.auth.roles import ROLE_LABELS, STAFF_ROLES
from ops.clients import services
from ops.clients.constants import PHASES, PLAN_EVENT_LABELS, PLAN_KINDS
from ops.clients.forms import PlanCreateForm, PlanItemForm
from ops.clients.models import PlanItem
from ops.clients.plan import plan_progress
from ops.clients.views.common import EDITORS, bp, is_editor, load_child, load_client, select, user_choices
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.timeutil import today
from ops.web import perform


def _plan_url(client, item: PlanItem | None = None) -> str:
    anchor = f"#phase-{item.phase}" if item is not None else ""
    return url_for("clients.plan", client_id=client.id) + anchor


def _item_form(item: PlanItem | None = None) -> PlanItemForm:
    form = PlanItemForm(obj=item)
    form.owner_id.choices = select(user_choices(STAFF_ROLES))
    return form


@bp.route("/<int:client_id>/plan")
def plan(client_id: int):
    client = load_client(client_id)
    items = db.session.scalars(
        sa.select(PlanItem)
        .where(PlanItem.client_id == client.id)
        .options(joinedload(PlanItem.owner), joinedload(PlanItem.done_by))
        .order_by(PlanItem.phase, PlanItem.kind, PlanItem.position, PlanItem.id)
    ).all()
    on = today()
    by_phase = {phase: {"concern": [], "work": []} for phase in PHASES}
    for item in items:
        by_phase[item.phase][item.kind].append(item)
    states = services.plan_item_states(client, items)
    progress = plan_progress([(i.phase, bool(states[i.id]), i.due_on) for i in items], on)
    return render_template(
        "clients/plan.html",
        client=client,
        states=states,
        role_labels=ROLE_LABELS,
        event_labels=PLAN_EVENT_LABELS,
        by_phase=by_phase,
        progress=progress,
        today=on,
        has_items=bool(items),
        can_edit=is_editor(),
        confirm=ConfirmForm(),
        plan_form=PlanCreateForm(start_date=on),
        item_form=_item_form(),
        kinds=PLAN_KINDS,
    )


@bp.route("/<int:client_id>/plan/create", methods=["POST"])
@roles_required(*EDITORS)
def plan_create(client_id: int):
    client = load_client(client_id)
    form = PlanCreateForm()
    return perform(
        lambda: services.create_plan_from_template(client, by=current_user, start_date=form.start_date.data),
        form=form,
        success=_("外包计划已按模板创建。"),
        back=_plan_url(client),
    )


@bp.route("/<int:client_id>/plan/items", methods=["POST"])
@roles_required(*EDITORS)
def plan_item_add(client_id: int):
    client = load_client(client_id)
    form = _item_form()
    return perform(
        lambda: services.add_plan_item(
            client,
            phase=form.phase.data,
            kind=form.kind.data,
            title=form.title.data,
            owner_id=form.owner_id.data,
            due_on=form.due_on.data,
            by=current_user,
        ),
        form=form,
        success=_("事项已添加。"),
        back=_plan_url(client),
    )


@bp.route("/<int:client_id>/plan/items/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def plan_item_edit(client_id: int, item_id: int):
    client = load_client(client_id)
    item = load_child(PlanItem, client, item_id)
    form = _item_form(item)
    if request.method == "GET":
        form.owner_id.data = item.owner_id or 0
    return perform(
        lambda: services.update_plan_item(
            item, owner_id=form.owner_id.data, due_on=form.due_on.data, title=form.title.data, by=current_user
        ),
        form=form,
        success=_("事项已保存。"),
        back=_plan_url(client, item),
        render=lambda: render_template("clients/plan_item_form.html", form=form, client=client, item=item),
    )


@bp.route("/<int:client_id>/plan/items/<int:item_id>/toggle", methods=["POST"])
def plan_item_toggle(client_id: int, item_id: int):
    """Tick or untick an item: editors, or the staff member who owns the item."""
    client = load_client(client_id)
    item = load_child(PlanItem, client, item_id)
    if not is_editor() and item.owner_id != current_user.id:
        abort(403)
    back = _plan_url(client, item)
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    return perform(
        lambda: services.toggle_plan_item(item, by=current_user),
        success=lambda done: (
            _("已标记完成：%(t)s", t=item.title) if done else _("已取消完成：%(t)s", t=item.title)
        ),
        back=back,
    )
