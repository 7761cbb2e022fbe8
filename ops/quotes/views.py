import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from ops.auth.models import User
from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, FINANCE, MANAGER, SALES
from ops.clients.models import Client, Needs
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.quotes import documents, services
from ops.quotes.forms import (
    MODEL_CHOICES,
    MODEL_HELP,
    DecisionForm,
    QuoteCreateForm,
    QuoteEditForm,
    WithdrawForm,
)
from ops.quotes.models import Quote
from ops.quotes.pricing import MODELS
from ops.quotes.states import STATE_BADGES, STATES
from ops.urls import db_int
from ops.web import paginate, perform, send_document

bp = Blueprint("quotes", __name__, url_prefix="/quotes")
require_roles_for_blueprint(bp, ADMIN, MANAGER, SALES, FINANCE)

WRITERS = (ADMIN, MANAGER, SALES)


@bp.context_processor
def quote_labels():
    return {"state_badges": STATE_BADGES, "model_codes": tuple(MODELS)}


def _load(quote_id: int) -> Quote:
    return get_scoped_or_404(Quote, quote_id)


def _detail_url(quote: Quote) -> str:
    return url_for("quotes.detail", quote_id=quote.id)


def _confirmed(quote: Quote, action, success: str):
    """A confirm-button action on a quote; a refused one changes nothing (except an expiry)."""
    if not ConfirmForm().validate_on_submit():
        return redirect(_detail_url(quote))
    return perform(action, success=success, back=_detail_url(quote))


def _decided(quote: Quote, action, success: str):
    """Record the client's answer (the comment is at most 1000 characters)."""
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("意见最多 1000 字。"), "danger")
        return redirect(_detail_url(quote))
    return perform(
        lambda: action(quote, current_user, form.comment.data), success=success, back=_detail_url(quote)
    )


@bp.route("/")
def index():
    status = request.args.get("status", "")
    model = request.args.get("model", "")
    client_id = request.args.get("client_id", type=db_int)
    owner_id = request.args.get("owner_id", type=db_int)
    q = request.args.get("q", "").strip()
    stmt = (
        sa.select(Quote)
        .join(Quote.client)
        .options(joinedload(Quote.client).joinedload(Client.owner))
        .order_by(Quote.created_at.desc(), Quote.id.desc())
    )
    if status in STATES:
        stmt = stmt.where(Quote.status == status)
    if model in MODELS:
        stmt = stmt.where(Quote.model == model)
    if client_id:
        stmt = stmt.where(Quote.client_id == client_id)
    if owner_id:
        stmt = stmt.where(Client.owner_id == owner_id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(Quote.number.ilike(like), Client.name.ilike(like), Client.legal_name.ilike(like))
        )
    page = paginate(stmt)
    owners = db.session.scalars(
        sa.select(User)
        .where(User.role.in_(WRITERS), User.is_active_user.is_(True))
        .order_by(User.display_name)
    ).all()
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
    return render_template(
        "quotes/index.html",
        page=page,
        status=status,
        model=model,
        client_id=client_id,
        owner_id=owner_id,
        q=q,
        owners=owners,
        clients=clients,
        states=STATES,
        can_create=current_user.role in WRITERS,
    )


def _clients_with_needs() -> list[tuple[int, str]]:
    has_needs = sa.exists().where(Needs.client_id == Client.id)
    return [
        (c.id, c.name)
        for c in db.session.execute(
            sa.select(Client.id, Client.name)
            .where(has_needs, Client.archived_at.is_(None))  # no new quotes for an archived client
            .order_by(Client.name)
        )
    ]


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def create():
    form = QuoteCreateForm()
    with_needs = _clients_with_needs()
    form.client_id.choices = [SelectChoice(client_id, name) for client_id, name in with_needs]
    if request.method == "GET":
        form.client_id.data = request.args.get("client_id", type=db_int)
        form.model.data = "fixed_seat"
    asked = request.args.get("client_id", type=db_int)
    asked_without_needs = asked and asked not in dict(with_needs)
    return perform(
        lambda: services.create_quote(
            get_scoped_or_404(Client, form.client_id.data), form.model.data, current_user
        ),
        form=form,
        success=lambda quote: _("报价 %(n)s 已生成，请核对后发送。", n=quote.label),
        back=url_for("quotes.index"),
        done=_detail_url,
        render=lambda: render_template(
            "quotes/create.html",
            form=form,
            model_choices=MODEL_CHOICES,
            model_help=MODEL_HELP,
            asked_without_needs=asked_without_needs,
        ),
    )


@bp.route("/<int:quote_id>")
def detail(quote_id: int):
    return _detail_page(_load(quote_id))


def _detail_page(quote: Quote, withdraw_form: WithdrawForm | None = None):
    return render_template(
        "quotes/detail.html",
        quote=quote,
        actions=services.allowed_actions(quote, current_user),
        approval_reasons=services.approval_reasons(quote),
        awaiting_approval=services.awaiting_approval(quote),
        history=services.quote_history(quote),
        versions=services.quote_versions(quote),
        needs=services.needs_summary(quote.needs, _),
        confirm=ConfirmForm(),
        decision=DecisionForm(),
        withdraw_form=withdraw_form or WithdrawForm(formdata=None),
        client_link="clients.detail" in current_app.view_functions,
        contract_link="contracts.create_from_quote" in current_app.view_functions,
        live_contract=services.live_contract(quote) if quote.status == "accepted" else None,
    )


@bp.route("/<int:quote_id>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit(quote_id: int):
    quote = _load(quote_id)
    if quote.status != "draft":
        flash(_("只有草稿可以修改；已发送的报价请“修订”生成新版本"), "warning")
        return redirect(url_for("quotes.detail", quote_id=quote.id))
    form = QuoteEditForm.for_quote(quote)
    return perform(
        lambda: services.update_quote(
            quote,
            form.terms_changes(),
            form.discount.data,
            form.valid_days.data,
            form.notes.data,
            current_user,
        ),
        form=form,
        success=_("已保存，报价已重新计算。"),
        back=_detail_url(quote),
        render=lambda: render_template("quotes/edit.html", form=form, quote=quote),
    )


@bp.route("/<int:quote_id>/pdf")
def pdf(quote_id: int):
    quote = _load(quote_id)
    return send_document(documents.render_pdf(quote), documents.pdf_filename(quote), "application/pdf")


@bp.route("/<int:quote_id>/approve-discount", methods=["POST"])
@roles_required(ADMIN, MANAGER)
def approve_discount(quote_id: int):
    quote = _load(quote_id)
    return _confirmed(quote, lambda: services.approve_discount(quote, current_user), _("折扣已审批。"))


@bp.route("/<int:quote_id>/send", methods=["POST"])
@roles_required(*WRITERS)
def send(quote_id: int):
    quote = _load(quote_id)
    return _confirmed(quote, lambda: services.send_quote(quote, current_user), _("报价已发送给客户。"))


@bp.route("/<int:quote_id>/accept", methods=["POST"])
@roles_required(*WRITERS)
def accept(quote_id: int):
    return _decided(_load(quote_id), services.accept_quote, _("已记录：客户接受报价。"))


@bp.route("/<int:quote_id>/reject", methods=["POST"])
@roles_required(*WRITERS)
def reject(quote_id: int):
    return _decided(_load(quote_id), services.reject_quote, _("已记录：客户拒绝报价。"))


@bp.route("/<int:quote_id>/revise", methods=["POST"])
@roles_required(*WRITERS)
def revise(quote_id: int):
    quote = _load(quote_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(_detail_url(quote))
    return perform(
        lambda: services.revise_quote(quote, current_user),
        success=lambda revision: _("已生成新版本 %(l)s（草稿），原版本已作废。", l=revision.label),
        back=_detail_url(quote),
        done=lambda revision: url_for("quotes.edit", quote_id=revision.id),
    )


@bp.route("/<int:quote_id>/withdraw", methods=["POST"])
@roles_required(*WRITERS)
def withdraw(quote_id: int):
    quote = _load(quote_id)
    form = WithdrawForm()
    return perform(
        lambda: services.withdraw_quote(quote, form.reason.data, current_user),
        form=form,
        success=_("报价已撤回，客户不能再接受该报价。"),
        back=_detail_url(quote),
        render=lambda: _detail_page(quote, withdraw_form=form),
    )
