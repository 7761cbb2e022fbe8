"""Client pages: the list, a client's page, creating and editing, its stage, shops and contacts."""

import sqlalchemy as sa
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from ops.auth.permissions import roles_required
from ops.auth.roles import ADMIN, MANAGER, SALES
from ops.clients import services
from ops.clients.constants import CATEGORIES, HALT_STAGES, STAGE_ORDER, STAGES
from ops.clients.forms import (
    ArchiveForm,
    ClientForm,
    ContactEditForm,
    ContactForm,
    PlanCreateForm,
    ShopForm,
    StageForm,
)
from ops.clients.models import Client, ClientContact, ClientShop, PlanItem
from ops.clients.plan import pipeline_phases, plan_progress
from ops.clients.views.common import (
    EDITORS,
    QUOTE_ROLES,
    bp,
    is_editor,
    load_child,
    load_client,
    select,
    user_choices,
)
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.timeutil import today
from ops.urls import db_int
from ops.vocab import PLATFORMS
from ops.web import paginate, perform

SORTS = {
    "name": Client.name.asc(),
    "-name": Client.name.desc(),
    "updated": Client.updated_at.asc(),
    "-updated": Client.updated_at.desc(),
}


def _client_form(client: Client | None = None) -> ClientForm:
    form = ClientForm(obj=client)
    form.owner_id.choices = select(user_choices(services.OWNER_ROLES))
    if client is not None and client.category and client.category not in CATEGORIES:
        form.category.choices = [*form.category.choices, SelectChoice(client.category, client.category)]
    return form


def _detail_url(client: Client, anchor: str = "") -> str:
    return url_for("clients.detail", client_id=client.id) + anchor


def _search(stmt, q: str):
    like = f"%{q}%"
    return stmt.where(
        sa.or_(
            Client.name.ilike(like),
            Client.legal_name.ilike(like),
            Client.tax_id.ilike(like),
            Client.shops.any(ClientShop.shop_name.ilike(like)),
        )
    )


@bp.route("/")
def index():
    q = request.args.get("q", "").strip()
    stage = request.args.get("stage", "")
    platform = request.args.get("platform", "")
    category = request.args.get("category", "")
    owner = request.args.get("owner", type=db_int)
    archived = request.args.get("archived") == "1"
    sort = request.args.get("sort", "-updated")
    stmt = sa.select(Client).options(joinedload(Client.owner), selectinload(Client.shops))
    # Archived clients are listed only when asked for (and then only they are).
    stmt = stmt.where(Client.archived_at.is_not(None) if archived else Client.archived_at.is_(None))
    if q:
        stmt = _search(stmt, q)
    if stage in STAGES:
        stmt = stmt.where(Client.stage == stage)
    if platform in PLATFORMS:
        stmt = stmt.where(Client.shops.any(ClientShop.platform == platform))
    if category:
        stmt = stmt.where(Client.category == category)
    if owner:
        stmt = stmt.where(Client.owner_id == owner)
    stmt = stmt.order_by(SORTS.get(sort, SORTS["-updated"]), Client.id)
    return render_template(
        "clients/index.html",
        page=paginate(stmt),
        q=q,
        stage=stage,
        platform=platform,
        category=category,
        owner=owner,
        archived=archived,
        sort=sort,
        categories=CATEGORIES,
        owners=user_choices(EDITORS)[1:],
        can_edit=is_editor(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    form = _client_form()
    if request.method == "GET" and current_user.role == SALES:
        form.owner_id.data = current_user.id
    return perform(
        lambda: services.create_client(form.data, by=current_user),
        form=form,
        success=lambda client: _("客户“%(name)s”已创建。", name=client.name),
        back=url_for("clients.index"),
        done=_detail_url,
        render=lambda: render_template("clients/form.html", form=form, client=None),
    )


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(client_id: int):
    client = load_client(client_id)
    form = _client_form(client)
    if request.method == "GET":
        form.owner_id.data = client.owner_id or 0
    return perform(
        lambda: services.update_client(client, form.data, by=current_user),
        form=form,
        success=_("已保存。"),
        back=_detail_url(client),
        render=lambda: render_template("clients/form.html", form=form, client=client),
    )


@bp.route("/<int:client_id>")
def detail(client_id: int):
    client = load_client(client_id)
    needs = services.current_needs(client.id)
    items = db.session.scalars(sa.select(PlanItem).where(PlanItem.client_id == client.id)).all()
    facts = services.pipeline_facts(client)
    states = services.plan_item_states(client, items, facts)
    progress = plan_progress([(i.phase, bool(states[i.id]), i.due_on) for i in items], today())
    stage_form = StageForm()
    stage_form.stage.choices = select(_stage_choices(client))
    if client.stage in HALT_STAGES:
        stage_form.stage.data = services.stage_before_halt(client)
    quotes_enabled = "quotes.index" in current_app.view_functions and current_user.role in QUOTE_ROLES
    return render_template(
        "clients/detail.html",
        client=client,
        needs=needs,
        phases=pipeline_phases(facts),
        plan_total=len(items),
        progress=progress,
        can_edit=is_editor(),
        can_set_stage=current_user.role in (MANAGER, ADMIN),
        stage_form=stage_form,
        shop_form=ShopForm(),
        contact_form=ContactForm(),
        plan_form=PlanCreateForm(start_date=today()),
        confirm=ConfirmForm(),
        archive_form=ArchiveForm(),
        quotes_enabled=quotes_enabled,
    )


def _stage_choices(client: Client) -> list[tuple[str, str]]:
    if client.stage in HALT_STAGES:
        others = [s for s in HALT_STAGES if s != client.stage]
        return [(s, _("恢复为：%(stage)s", stage=STAGES[s])) for s in STAGE_ORDER] + [
            (s, STAGES[s]) for s in others
        ]
    return [(s, STAGES[s]) for s in HALT_STAGES]


@bp.route("/<int:client_id>/stage", methods=["POST"])
@roles_required(MANAGER, ADMIN)
def set_stage(client_id: int):
    client = load_client(client_id)
    form = StageForm()
    form.stage.choices = select(_stage_choices(client))
    return perform(
        lambda: services.set_client_stage(client, form.stage.data, form.reason.data, by=current_user),
        form=form,
        success=lambda _result: _("客户阶段已改为“%(stage)s”。", stage=STAGES[client.stage]),
        back=_detail_url(client),
    )


@bp.route("/<int:client_id>/archive", methods=["POST"])
@roles_required(MANAGER, ADMIN)
def archive(client_id: int):
    client = load_client(client_id)
    form = ArchiveForm()
    return perform(
        lambda: services.archive_client(client, form.reason.data, by=current_user),
        form=form,
        success=_("客户已归档：客户列表默认不再显示，所有记录均保留。"),
        back=_detail_url(client),
    )


@bp.route("/<int:client_id>/restore", methods=["POST"])
@roles_required(MANAGER, ADMIN)
def restore(client_id: int):
    client = load_client(client_id)
    back = _detail_url(client)
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    return perform(
        lambda: services.restore_client(client, by=current_user), success=_("客户已恢复。"), back=back
    )


# --- shops and contacts -------------------------------------------------------------------


@bp.route("/<int:client_id>/shops", methods=["POST"])
@roles_required(*EDITORS)
def shop_add(client_id: int):
    client = load_client(client_id)
    form = ShopForm()
    return perform(
        lambda: services.add_shop(
            client, form.platform.data, form.shop_name.data, form.shop_url.data, by=current_user
        ),
        form=form,
        success=_("店铺已添加。"),
        back=_detail_url(client, "#shops"),
    )


@bp.route("/<int:client_id>/shops/<int:shop_id>/remove", methods=["POST"])
@roles_required(*EDITORS)
def shop_remove(client_id: int, shop_id: int):
    client = load_client(client_id)
    shop = load_child(ClientShop, client, shop_id)
    back = _detail_url(client, "#shops")
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    return perform(lambda: services.remove_shop(shop, by=current_user), success=_("店铺已移除。"), back=back)


@bp.route("/<int:client_id>/contacts", methods=["POST"])
@roles_required(*EDITORS)
def contact_add(client_id: int):
    client = load_client(client_id)
    form = ContactForm()
    return perform(
        lambda: services.add_contact(client, form.data, by=current_user),
        form=form,
        success=_("联系人已添加。"),
        back=_detail_url(client, "#contacts"),
    )


@bp.route("/<int:client_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def contact_edit(client_id: int, contact_id: int):
    client = load_client(client_id)
    contact = load_child(ClientContact, client, contact_id)
    form = ContactEditForm(obj=contact)
    if request.method == "GET":
        form.emails.data = services.contact_mail_kinds(contact)
    return perform(
        lambda: services.update_contact(contact, form.data, by=current_user),
        form=form,
        success=_("联系人已保存。"),
        back=_detail_url(client, "#contacts"),
        render=lambda: render_template(
            "clients/contact_form.html", form=form, client=client, contact=contact
        ),
    )


@bp.route("/<int:client_id>/contacts/<int:contact_id>/remove", methods=["POST"])
@roles_required(*EDITORS)
def contact_remove(client_id: int, contact_id: int):
    client = load_client(client_id)
    contact = load_child(ClientContact, client, contact_id)
    back = _detail_url(client, "#contacts")
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    return perform(
        lambda: services.remove_contact(contact, by=current_user), success=_("联系人已删除。"), back=back
    )
