import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from ops.auth.models import User
from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, MANAGER, SALES, STAFF_ROLES
from ops.clients import services
from ops.clients.constants import (
    CATEGORIES,
    COMPLEXITY_LEVELS,
    HALT_STAGES,
    NEEDS_FIELDS,
    PHASES,
    PLAN_KINDS,
    PLATFORMS,
    SCOPES,
    SHIFTS,
    STAGE_BADGES,
    STAGE_ORDER,
    STAGES,
)
from ops.clients.forms import (
    ClientForm,
    ContactForm,
    NeedsForm,
    PlanCreateForm,
    PlanItemForm,
    ShopForm,
    StageForm,
)
from ops.clients.models import Client, ClientContact, ClientShop, Needs, PlanItem
from ops.clients.plan import diff_needs, pipeline_phases, plan_progress
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.money import format_bp, format_fen
from ops.timeutil import today
from ops.urls import db_int, page_arg

bp = Blueprint("clients", __name__, url_prefix="/clients")
require_roles_for_blueprint(bp, *STAFF_ROLES)

EDITORS = (ADMIN, MANAGER, SALES)  # who may create and change clients, needs and plans
QUOTE_ROLES = (ADMIN, MANAGER, SALES, "finance")  # who may open the quotes pages
SORTS = {
    "name": Client.name.asc(),
    "-name": Client.name.desc(),
    "updated": Client.updated_at.asc(),
    "-updated": Client.updated_at.desc(),
}


@bp.app_template_global()
def needs_value(field: str, value) -> str:
    """A needs field's value as the user reads it (money in yuan, shares in percent, labels)."""
    if value is None or value == "" or value == []:
        return "—"
    if field == "platform":
        return str(PLATFORMS.get(value, value))
    if field == "scope":
        return str(SCOPES.get(value, value))
    if field == "shifts":
        return "、".join(str(SHIFTS.get(s, s)) for s in value)
    if field.endswith("_fen"):
        return format_fen(value)
    if field.endswith("_bp"):
        return format_bp(value)
    if field == "complexity":
        return str(COMPLEXITY_LEVELS.get(value, value)).split(" - ")[0]
    return str(value)


@bp.app_context_processor
def client_labels():
    return {
        "stage_labels": STAGES,
        "stage_badges": STAGE_BADGES,
        "platform_labels": PLATFORMS,
        "phase_labels": PHASES,
        "needs_fields": NEEDS_FIELDS,
    }


def _load_client(client_id: int) -> Client:
    return get_scoped_or_404(Client, client_id)


def _load_child(model, client: Client, child_id: int):
    child = db.session.get(model, child_id)
    if child is None or child.client_id != client.id:
        abort(404)
    return child


def _user_choices(roles) -> list[tuple[int, str]]:
    users = db.session.scalars(
        sa.select(User).where(User.role.in_(roles), User.is_active_user.is_(True)).order_by(User.display_name)
    )
    return [(0, "—")] + [(u.id, u.display_name) for u in users]


def _select(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _client_form(client: Client | None = None) -> ClientForm:
    form = ClientForm(obj=client)
    form.owner_id.choices = _select(_user_choices(services.OWNER_ROLES))
    if client is not None and client.category and client.category not in CATEGORIES:
        form.category.choices = [*form.category.choices, SelectChoice(client.category, client.category)]
    return form


def _form_errors(form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


def _is_editor() -> bool:
    return current_user.role in EDITORS


# --- clients ------------------------------------------------------------------------------


@bp.route("/")
def index():
    q = request.args.get("q", "").strip()
    stage = request.args.get("stage", "")
    platform = request.args.get("platform", "")
    category = request.args.get("category", "")
    owner = request.args.get("owner", type=db_int)
    sort = request.args.get("sort", "-updated")
    stmt = sa.select(Client).options(joinedload(Client.owner), selectinload(Client.shops))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(
                Client.name.ilike(like),
                Client.legal_name.ilike(like),
                Client.tax_id.ilike(like),
                Client.shops.any(ClientShop.shop_name.ilike(like)),
            )
        )
    if stage in STAGES:
        stmt = stmt.where(Client.stage == stage)
    if platform in PLATFORMS:
        stmt = stmt.where(Client.shops.any(ClientShop.platform == platform))
    if category:
        stmt = stmt.where(Client.category == category)
    if owner:
        stmt = stmt.where(Client.owner_id == owner)
    stmt = stmt.order_by(SORTS.get(sort, SORTS["-updated"]), Client.id)
    page = db.paginate(stmt, page=page_arg(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "clients/index.html",
        page=page,
        q=q,
        stage=stage,
        platform=platform,
        category=category,
        owner=owner,
        sort=sort,
        categories=CATEGORIES,
        owners=_user_choices(EDITORS)[1:],
        can_edit=_is_editor(),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    form = _client_form()
    if request.method == "GET" and current_user.role == SALES:
        form.owner_id.data = current_user.id
    if form.validate_on_submit():
        try:
            client = services.create_client(form.data, by=current_user)
        except services.ClientError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("客户“%(name)s”已创建。", name=client.name), "success")
            return redirect(url_for("clients.detail", client_id=client.id))
    return render_template("clients/form.html", form=form, client=None)


def _field_error(form, exc: services.ClientError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        flash(str(exc), "danger")


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(client_id: int):
    client = _load_client(client_id)
    form = _client_form(client)
    if request.method == "GET":
        form.owner_id.data = client.owner_id or 0
    if form.validate_on_submit():
        try:
            services.update_client(client, form.data, by=current_user)
        except services.ClientError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("clients.detail", client_id=client.id))
    return render_template("clients/form.html", form=form, client=client)


@bp.route("/<int:client_id>")
def detail(client_id: int):
    client = _load_client(client_id)
    needs = services.current_needs(client.id)
    items = db.session.scalars(sa.select(PlanItem).where(PlanItem.client_id == client.id)).all()
    progress = plan_progress([(i.phase, i.done_at is not None, i.due_on) for i in items], today())
    stage_form = StageForm()
    stage_form.stage.choices = _select(_stage_choices(client))
    if client.stage in HALT_STAGES:
        stage_form.stage.data = services.stage_before_halt(client)
    quotes_enabled = "quotes.index" in current_app.view_functions and current_user.role in QUOTE_ROLES
    return render_template(
        "clients/detail.html",
        client=client,
        needs=needs,
        phases=pipeline_phases(services.pipeline_facts(client)),
        plan_total=len(items),
        progress=progress,
        can_edit=_is_editor(),
        can_set_stage=current_user.role in (MANAGER, ADMIN),
        stage_form=stage_form,
        shop_form=ShopForm(),
        contact_form=ContactForm(),
        plan_form=PlanCreateForm(start_date=today()),
        confirm=ConfirmForm(),
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
    client = _load_client(client_id)
    form = StageForm()
    form.stage.choices = _select(_stage_choices(client))
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            services.set_client_stage(client, form.stage.data, form.reason.data, by=current_user)
        except services.ClientError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("客户阶段已改为“%(stage)s”。", stage=STAGES[client.stage]), "success")
    return redirect(url_for("clients.detail", client_id=client.id))


# --- shops and contacts -------------------------------------------------------------------


@bp.route("/<int:client_id>/shops", methods=["POST"])
@roles_required(*EDITORS)
def shop_add(client_id: int):
    client = _load_client(client_id)
    form = ShopForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            services.add_shop(
                client, form.platform.data, form.shop_name.data, form.shop_url.data, by=current_user
            )
        except services.ClientError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("店铺已添加。"), "success")
    return redirect(url_for("clients.detail", client_id=client.id) + "#shops")


@bp.route("/<int:client_id>/shops/<int:shop_id>/remove", methods=["POST"])
@roles_required(*EDITORS)
def shop_remove(client_id: int, shop_id: int):
    client = _load_client(client_id)
    shop = _load_child(ClientShop, client, shop_id)
    if ConfirmForm().validate_on_submit():
        services.remove_shop(shop, by=current_user)
        db.session.commit()
        flash(_("店铺已移除。"), "success")
    return redirect(url_for("clients.detail", client_id=client.id) + "#shops")


@bp.route("/<int:client_id>/contacts", methods=["POST"])
@roles_required(*EDITORS)
def contact_add(client_id: int):
    client = _load_client(client_id)
    form = ContactForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            services.add_contact(client, form.data, by=current_user)
        except services.ClientError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("联系人已添加。"), "success")
    return redirect(url_for("clients.detail", client_id=client.id) + "#contacts")


@bp.route("/<int:client_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def contact_edit(client_id: int, contact_id: int):
    client = _load_client(client_id)
    contact = _load_child(ClientContact, client, contact_id)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        try:
            services.update_contact(contact, form.data, by=current_user)
        except services.ClientError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("联系人已保存。"), "success")
            return redirect(url_for("clients.detail", client_id=client.id) + "#contacts")
    return render_template("clients/contact_form.html", form=form, client=client, contact=contact)


@bp.route("/<int:client_id>/contacts/<int:contact_id>/remove", methods=["POST"])
@roles_required(*EDITORS)
def contact_remove(client_id: int, contact_id: int):
    client = _load_client(client_id)
    contact = _load_child(ClientContact, client, contact_id)
    if ConfirmForm().validate_on_submit():
        services.remove_contact(contact, by=current_user)
        db.session.commit()
        flash(_("联系人已删除。"), "success")
    return redirect(url_for("clients.detail", client_id=client.id) + "#contacts")


# --- needs --------------------------------------------------------------------------------


def _needs_form(client: Client, current: Needs | None) -> NeedsForm:
    """The needs form, prefilled from the current version on GET."""
    form = NeedsForm()
    own = client.platforms
    form.platform.choices = _select([(p, PLATFORMS[p]) for p in own]) + _select(
        (p, _("%(platform)s（未登记店铺）", platform=label)) for p, label in PLATFORMS.items() if p not in own
    )
    if request.method == "GET":
        if current is not None:
            for field in (
                "platform",
                "scope",
                "shifts",
                "avg_daily_consults",
                "peak_daily_consults",
                "aht_seconds",
                "concurrency",
                "sl_answer_seconds",
                "category",
                "complexity",
                "sku_count",
                "special_requirements",
            ):
                getattr(form, field).data = getattr(current, field)
            for field in ("peak_hour_share", "sl_target", "inquiry_conversion"):
                value = getattr(current, f"{field}_bp")
                getattr(form, field).data = format_bp(value).rstrip("%") if value is not None else ""
            if current.avg_order_value_fen is not None:
                form.avg_order_value.data = format_fen(current.avg_order_value_fen).lstrip("¥")
        else:
            form.platform.data = own[0] if own else "tmall"
            form.category.data = client.category if client.category in CATEGORIES else ""
            form.shifts.data = ["day"]
    return form


@bp.route("/<int:client_id>/needs/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def needs_new(client_id: int):
    client = _load_client(client_id)
    current = services.current_needs(client.id)
    form = _needs_form(client, current)
    if form.validate_on_submit():
        try:
            needs = services.record_needs(client, form.needs_data(), by=current_user)
        except services.ClientError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("需求已保存为第 %(v)s 版。", v=needs.version), "success")
            return redirect(url_for("clients.needs_history", client_id=client.id))
    return render_template(
        "clients/needs_form.html",
        form=form,
        client=client,
        current=current,
        complexity_levels=COMPLEXITY_LEVELS,
    )


@bp.route("/<int:client_id>/needs")
def needs_history(client_id: int):
    client = _load_client(client_id)
    versions = db.session.scalars(
        sa.select(Needs)
        .where(Needs.client_id == client.id)
        .options(joinedload(Needs.created_by))
        .order_by(Needs.version.desc())
    ).all()
    changes = {}
    for newer, older in zip(versions, versions[1:], strict=False):
        changes[newer.id] = diff_needs(services.needs_values(older), services.needs_values(newer))
    return render_template(
        "clients/needs_history.html",
        client=client,
        versions=versions,
        changes=changes,
        fields=NEEDS_FIELDS,
        can_edit=_is_editor(),
    )


# --- plan ---------------------------------------------------------------------------------


@bp.route("/<int:client_id>/plan")
def plan(client_id: int):
    client = _load_client(client_id)
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
    progress = plan_progress([(i.phase, i.done_at is not None, i.due_on) for i in items], on)
    item_form = PlanItemForm()
    item_form.owner_id.choices = _select(_user_choices(STAFF_ROLES))
    return render_template(
        "clients/plan.html",
        client=client,
        by_phase=by_phase,
        progress=progress,
        today=on,
        has_items=bool(items),
        can_edit=_is_editor(),
        confirm=ConfirmForm(),
        plan_form=PlanCreateForm(start_date=on),
        item_form=item_form,
        kinds=PLAN_KINDS,
    )


@bp.route("/<int:client_id>/plan/create", methods=["POST"])
@roles_required(*EDITORS)
def plan_create(client_id: int):
    client = _load_client(client_id)
    form = PlanCreateForm()
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            services.create_plan_from_template(client, by=current_user, start_date=form.start_date.data)
        except services.ClientError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("外包计划已按模板创建。"), "success")
    return redirect(url_for("clients.plan", client_id=client.id))


@bp.route("/<int:client_id>/plan/items", methods=["POST"])
@roles_required(*EDITORS)
def plan_item_add(client_id: int):
    client = _load_client(client_id)
    form = PlanItemForm()
    form.owner_id.choices = _select(_user_choices(STAFF_ROLES))
    if not form.validate_on_submit():
        flash(_form_errors(form), "danger")
    else:
        try:
            services.add_plan_item(
                client,
                phase=form.phase.data,
                kind=form.kind.data,
                title=form.title.data,
                owner_id=form.owner_id.data,
                due_on=form.due_on.data,
                by=current_user,
            )
        except services.ClientError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("事项已添加。"), "success")
    return redirect(url_for("clients.plan", client_id=client.id))


@bp.route("/<int:client_id>/plan/items/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def plan_item_edit(client_id: int, item_id: int):
    client = _load_client(client_id)
    item = _load_child(PlanItem, client, item_id)
    form = PlanItemForm(obj=item)
    form.owner_id.choices = _select(_user_choices(STAFF_ROLES))
    if request.method == "GET":
        form.owner_id.data = item.owner_id or 0
    if form.validate_on_submit():
        try:
            services.update_plan_item(
                item,
                owner_id=form.owner_id.data,
                due_on=form.due_on.data,
                title=form.title.data,
                by=current_user,
            )
        except services.ClientError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("事项已保存。"), "success")
            return redirect(url_for("clients.plan", client_id=client.id) + f"#phase-{item.phase}")
    return render_template("clients/plan_item_form.html", form=form, client=client, item=item)


@bp.route("/<int:client_id>/plan/items/<int:item_id>/toggle", methods=["POST"])
def plan_item_toggle(client_id: int, item_id: int):
    """Tick or untick an item: editors, or the staff member who owns the item."""
    client = _load_client(client_id)
    item = _load_child(PlanItem, client, item_id)
    if not _is_editor() and item.owner_id != current_user.id:
        abort(403)
    if ConfirmForm().validate_on_submit():
        done = services.toggle_plan_item(item, by=current_user)
        db.session.commit()
        flash(
            _("已标记完成：%(t)s", t=item.title) if done else _("已取消完成：%(t)s", t=item.title), "success"
        )
    return redirect(url_for("clients.plan", client_id=client.id) + f"#phase-{item.phase}")


# --- dashboard ----------------------------------------------------------------------------


def clients_panel() -> dict | None:
    """The "我的客户" panel: a sales user's own clients by stage; everyone else's view of all."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return None
    mine = current_user.role == SALES
    counts = services.stage_counts(current_user.id if mine else None)
    recent = []
    if mine:
        recent = db.session.scalars(
            sa.select(Client)
            .where(Client.owner_id == current_user.id)
            .order_by(Client.updated_at.desc())
            .limit(5)
        ).all()
    return {
        "title": _l("我的客户"),
        "template": "clients/_panel.html",
        "counts": counts,
        "owner": current_user.id if mine else None,
        "recent": recent,
    }


def register_dashboard(app) -> None:
    """Add the clients panel to the staff dashboard (called from the app factory)."""
    providers = app.extensions.setdefault("ops_dashboard_panels", [])
    if clients_panel not in providers:
        providers.append(clients_panel)
