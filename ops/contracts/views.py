"""Staff contract pages: list, detail, editing while draft, state actions, deposit, signed copy, PDF."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from ops import hooks
from ops.audit.models import AuditEntry
from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, FINANCE, MANAGER, SALES, STAFF_ROLES, TRAINER
from ops.clients.models import Client
from ops.contracts import services, wording
from ops.contracts.forms import (
    ActivateForm,
    CancelForm,
    ClausesForm,
    ContractForm,
    DepositReceiveForm,
    DepositSettleForm,
    KpisForm,
    ReasonForm,
    SignedUploadForm,
    TerminateForm,
    kpi_row_data,
)
from ops.contracts.models import BILLING_CYCLES, CONTRACT_STATES, ClauseTemplate, Contract
from ops.contracts.terms import PRESETS_BY_KEY, kpi_from_preset
from ops.extensions import db
from ops.forms import ConfirmForm, scoped_ids
from ops.quotes.models import Quote
from ops.timeutil import today
from ops.transactions import write_transaction
from ops.uploads import send_stored
from ops.urls import db_int
from ops.web import paginate, perform, send_document

bp = Blueprint("contracts", __name__, url_prefix="/contracts")
require_roles_for_blueprint(bp, *STAFF_ROLES)

EDITORS = (ADMIN, MANAGER, SALES)  # draft terms, submit, signed copy
APPROVERS = (ADMIN, MANAGER)  # activate, terminate
CASHIERS = (ADMIN, MANAGER, FINANCE)  # deposit
RENEWAL_DAYS = 30

STATUS_BADGES = {
    "draft": "bg-secondary",
    "pending_signature": "bg-warning text-dark",
    "active": "bg-success",
    "expired": "bg-dark",
    "terminated": "bg-danger",
    "cancelled": "bg-light text-dark border",
}
DEPOSIT_BADGES = {
    "none": "bg-light text-dark",
    "due": "bg-warning text-dark",
    "received": "bg-success",
    "partly_applied": "bg-info text-dark",
    "applied": "bg-info text-dark",
    "refunded": "bg-secondary",
    "forfeited": "bg-danger",
}


@bp.app_context_processor
def contract_template_values():
    # State labels come from ops.vocab: label("contract_state", code), label("deposit_state", code).
    return {"contract_badges": STATUS_BADGES, "deposit_badges": DEPOSIT_BADGES, "wording": wording}


@bp.record_once
def _register_hooks(state) -> None:
    """What contracts add to other pages: the staff dashboard's "即将到期的合同" panel and the
    "contract signed" fact of a client's pipeline (the portal registers its own contract section)."""
    hooks.register(state.app, hooks.DASHBOARD_PANELS, _dashboard_panel)
    hooks.register(state.app, hooks.PIPELINE_FACTS, _pipeline_facts)


def _load(contract_id: int) -> Contract:
    return get_scoped_or_404(Contract, contract_id)


def _detail_url(contract: Contract) -> str:
    return url_for("contracts.detail", contract_id=contract.id)


def _back(contract: Contract):
    return redirect(_detail_url(contract))


def _can(roles) -> bool:
    return current_user.role in roles


def _require_draft_page(contract: Contract):
    if contract.status != "draft":
        flash(_("只有草稿状态的合同可以修改；已提交签署或生效的合同条款已冻结。"), "warning")
        return _back(contract)
    return None


# --- lists ------------------------------------------------------------------------------------


@bp.route("/")
def index():
    q = request.args.get("q", "").strip()
    status = request.args.get("status", "")
    client_id = request.args.get("client_id", type=db_int)
    cycle = request.args.get("cycle", "")
    model = request.args.get("model", "")
    ending = request.args.get("ending", "")
    stmt = (
        sa.select(Contract)
        .join(Contract.client)
        .options(joinedload(Contract.client))
        .order_by(Contract.created_at.desc(), Contract.id.desc())
    )
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(
                Contract.number.ilike(like),
                Client.name.ilike(like),
                Client.legal_name.ilike(like),
                Contract.client_legal_name.ilike(like),
            )
        )
    if status in CONTRACT_STATES:
        stmt = stmt.where(Contract.status == status)
    if client_id:
        stmt = stmt.where(Contract.client_id == client_id)
    if cycle in BILLING_CYCLES:
        stmt = stmt.where(Contract.billing_cycle == cycle)
    if model in wording.MODELS:
        stmt = stmt.where(Contract.model == model)
    if ending:
        stmt = stmt.where(services.contracts_ending_within(RENEWAL_DAYS).whereclause)
    page = paginate(stmt)
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()
    waiting = []
    if _can(EDITORS):
        waiting = db.session.scalars(
            services.accepted_quotes_without_contract().options(joinedload(Quote.client)).limit(20)
        ).all()
    return render_template(
        "contracts/index.html",
        page=page,
        q=q,
        status=status,
        client_id=client_id,
        cycle=cycle,
        model=model,
        ending=ending,
        clients=clients,
        states=CONTRACT_STATES,
        waiting=waiting,
        confirm=ConfirmForm(),
        today=today(),
    )


@bp.route("/renewals")
def renewals():
    stmt = services.contracts_ending_within(RENEWAL_DAYS).options(joinedload(Contract.client))
    page = paginate(stmt)
    return render_template("contracts/renewals.html", page=page, today=today(), days=RENEWAL_DAYS)


@bp.route("/from-quote/<int:quote_id>", methods=["POST"])
@roles_required(*EDITORS)
def create_from_quote(quote_id: int):
    quote = db.get_or_404(Quote, quote_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return perform(
        lambda: services.create_from_quote(quote, current_user._get_current_object()),
        success=_("已根据报价单 %(n)s 生成合同草稿，请核对条款后提交签署。", n=quote.label),
        back=url_for("contracts.index"),
        done=_detail_url,
    )


# --- one contract -----------------------------------------------------------------------------


@bp.route("/<int:contract_id>")
def detail(contract_id: int):
    return _detail_page(_load(contract_id))


def _detail_page(contract: Contract, cancel_form: CancelForm | None = None):
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == Contract.__tablename__, AuditEntry.object_id == contract.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    still_owed = contract.deposit_fen - (
        (contract.deposit_received_fen or 0) if contract.deposit_status == "partial" else 0
    )
    receive_form = DepositReceiveForm(formdata=None, amount=still_owed, received_on=today())
    return render_template(
        "contracts/detail.html",
        contract=contract,
        terms=contract.terms,
        history=history,
        today=today(),
        confirm=ConfirmForm(),
        # One page, several forms: their fields get page-unique ids (labels point at the right one).
        return_form=scoped_ids(ReasonForm(formdata=None), "return"),
        activate_form=scoped_ids(ActivateForm(formdata=None), "activate"),
        terminate_form=scoped_ids(TerminateForm(formdata=None, effective_on=today()), "terminate"),
        cancel_form=scoped_ids(cancel_form or CancelForm(formdata=None), "cancel"),
        receive_form=scoped_ids(receive_form, "receive"),
        deposit_owed=still_owed,
        waive_form=scoped_ids(ReasonForm(formdata=None), "waive"),
        settle_form=scoped_ids(DepositSettleForm(formdata=None, settled_on=today()), "settle"),
        deposit_remainder=services.deposit_remainder_fen(contract),
        upload_form=SignedUploadForm(formdata=None),
        can_edit=_can(EDITORS),
        can_approve=_can(APPROVERS),
        can_cash=_can(CASHIERS),
    )


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(contract_id: int):
    contract = _load(contract_id)
    refused = _require_draft_page(contract)
    if refused:
        return refused
    form = ContractForm.for_contract(contract, formdata=request.form if request.method == "POST" else None)
    return perform(
        lambda: services.update_contract(contract, form.values(contract), by=current_user),
        form=form,
        success=_("合同条款已保存。"),
        back=_detail_url(contract),
        render=lambda: render_template("contracts/edit.html", contract=contract, form=form),
        refused=lambda exc: render_template(
            "contracts/edit.html", contract=contract, form=form, errors=_problems(exc)
        ),
    )


def _problems(exc) -> list[str]:
    """Every problem a refused save found (a ContractError carries a list), shown above the form."""
    return [str(m) for m in getattr(exc, "messages", None) or [exc]]


@bp.route("/<int:contract_id>/kpis", methods=["GET", "POST"])
@roles_required(*EDITORS)
def kpis(contract_id: int):
    contract = _load(contract_id)
    refused = _require_draft_page(contract)
    if refused:
        return refused
    if request.method == "POST":
        form = KpisForm()
    else:
        form = KpisForm(formdata=None, data={"rows": [kpi_row_data(k) for k in contract.kpis]})

    def save() -> None:
        rows = [entry.form.row() for entry in form.rows if not entry.form.remove.data]
        if form.add.data:
            preset = PRESETS_BY_KEY.get(form.preset.data or "")
            if preset is None:
                flash(_("请先选择要添加的常用条款。"), "warning")
            else:
                rows.append(kpi_from_preset(preset))
        services.set_kpis(contract, rows, by=current_user)

    return perform(
        save,
        form=form,
        success=_("KPI 条款已保存。"),
        back=url_for("contracts.kpis", contract_id=contract.id),
        render=lambda: render_template("contracts/kpis.html", contract=contract, form=form),
        refused=lambda exc: render_template(
            "contracts/kpis.html", contract=contract, form=form, errors=_problems(exc)
        ),
    )


def _clauses_form(contract: Contract) -> ClausesForm:
    if request.method == "POST":
        form = ClausesForm()
    else:
        form = ClausesForm(
            formdata=None,
            data={
                "rows": [
                    {"template_id": c.template_id or "", "title": c.title, "body": c.body}
                    for c in contract.clauses
                ]
            },
        )
    library = db.session.scalars(
        sa.select(ClauseTemplate)
        .where(ClauseTemplate.is_active.is_(True))
        .order_by(ClauseTemplate.position, ClauseTemplate.id)
    ).all()
    form.add_templates.choices = [SelectChoice(t.id, t.title) for t in library]
    form.library = {t.id: t for t in library}
    return form


@bp.route("/<int:contract_id>/clauses", methods=["GET", "POST"])
@roles_required(*EDITORS)
def clauses(contract_id: int):
    contract = _load(contract_id)
    refused = _require_draft_page(contract)
    if refused:
        return refused
    form = _clauses_form(contract)

    def save() -> None:
        rows = [
            {
                "title": e.form.title.data or "",
                "body": e.form.body.data or "",
                "template_id": int(e.form.template_id.data)
                if (e.form.template_id.data or "").isdigit()
                else None,
            }
            for e in form.rows
            if not e.form.remove.data
        ]
        rows += [
            {"title": form.library[i].title, "body": form.library[i].body, "template_id": i}
            for i in form.add_templates.data or []
        ]
        services.set_clauses(contract, rows, by=current_user)

    return perform(
        save,
        form=form,
        success=_("违约条款已保存。"),
        back=url_for("contracts.clauses", contract_id=contract.id),
        render=lambda: render_template("contracts/clauses.html", contract=contract, form=form),
        refused=lambda exc: render_template(
            "contracts/clauses.html", contract=contract, form=form, errors=_problems(exc)
        ),
    )


# --- state actions ----------------------------------------------------------------------------


@bp.route("/<int:contract_id>/submit", methods=["POST"])
@roles_required(*EDITORS)
def submit(contract_id: int):
    contract = _load(contract_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def submit_locked() -> None:
        with write_transaction():  # the number is taken under the write lock: gapless and unique
            services.submit_for_signature(services.lock_contract(contract.id), by=current_user)

    return perform(submit_locked, success=_("合同已提交签署，编号已生成。"), back=_detail_url(contract))


@bp.route("/<int:contract_id>/return", methods=["POST"])
@roles_required(*EDITORS)
def return_to_draft(contract_id: int):
    contract = _load(contract_id)
    form = ReasonForm()
    return perform(
        lambda: services.return_to_draft(contract, form.reason.data, by=current_user),
        form=form,
        success=_("合同已退回草稿，可以修改条款。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/activate", methods=["POST"])
@roles_required(*APPROVERS)
def activate(contract_id: int):
    contract = _load(contract_id)
    form = ActivateForm()
    return perform(
        lambda: services.activate(contract, by=current_user, signed_on=form.signed_on.data),
        form=form,
        success=_("合同已生效。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/terminate", methods=["POST"])
@roles_required(*APPROVERS)
def terminate(contract_id: int):
    contract = _load(contract_id)
    form = TerminateForm()
    return perform(
        lambda: services.terminate(
            contract,
            form.reason.data,
            form.effective_on.data,
            by=current_user,
            for_breach=bool(form.for_breach.data),
        ),
        form=form,
        success=_("合同已终止。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/cancel", methods=["POST"])
@roles_required(*EDITORS)
def cancel(contract_id: int):
    contract = _load(contract_id)
    form = CancelForm()
    return perform(
        lambda: services.cancel(contract, form.reason.data, by=current_user),
        form=form,
        success=_("合同已取消，报价单可以重新生成合同。"),
        back=_detail_url(contract),
        render=lambda: _detail_page(contract, cancel_form=form),
    )


@bp.route("/<int:contract_id>/deposit/receive", methods=["POST"])
@roles_required(*CASHIERS)
def deposit_receive(contract_id: int):
    contract = _load(contract_id)
    form = DepositReceiveForm()
    return perform(
        lambda: services.receive_deposit(
            contract,
            form.amount.data,
            form.received_on.data,
            form.reference.data,
            by=current_user,
            idempotency_key=form.idempotency_key.data,
        ),
        form=form,
        success=_("定金到账已登记。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/deposit/waive", methods=["POST"])
@roles_required(MANAGER, ADMIN)
def deposit_waive(contract_id: int):
    contract = _load(contract_id)
    form = ReasonForm()
    return perform(
        lambda: services.waive_deposit_rest(contract, form.reason.data, by=current_user),
        form=form,
        success=_("定金余额已免收，定金按已收金额计。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/deposit/settle", methods=["POST"])
@roles_required(*CASHIERS)
def deposit_settle(contract_id: int):
    contract = _load(contract_id)
    form = DepositSettleForm()
    return perform(
        lambda: services.settle_deposit(
            contract,
            form.outcome.data,
            form.settled_on.data,
            form.reference.data or "",
            by=current_user,
            idempotency_key=form.idempotency_key.data,
        ),
        form=form,
        success=_("定金已结清。"),
        back=_detail_url(contract),
    )


# --- documents --------------------------------------------------------------------------------


@bp.route("/<int:contract_id>/signed", methods=["POST"])
@roles_required(*EDITORS)
def upload_signed(contract_id: int):
    contract = _load(contract_id)
    form = SignedUploadForm()
    return perform(
        lambda: services.upload_signed_copy(contract, form.file.data, by=current_user),
        form=form,
        success=_("签署件已上传。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/signed")
def download_signed(contract_id: int):
    contract = _load(contract_id)
    if not contract.signed_file:
        abort(404)
    try:
        return send_stored(contract.signed_file, services.signed_download_name(contract), "application/pdf")
    except FileNotFoundError:
        abort(404)


@bp.route("/<int:contract_id>/pdf")
def pdf(contract_id: int):
    contract = _load(contract_id)
    return send_document(
        services.render_pdf(contract),
        services.pdf_filename(contract),
        "application/pdf",
    )


# --- what contracts add to other pages --------------------------------------------------------


def _dashboard_panel():
    # A trainer's dashboard shows training and onboarding work instead.
    if (
        not current_user.is_authenticated
        or current_user.role not in STAFF_ROLES
        or current_user.role == TRAINER
    ):
        return None
    contracts = db.session.scalars(
        services.contracts_ending_within(RENEWAL_DAYS).options(joinedload(Contract.client)).limit(10)
    ).all()
    return {
        "title": _l("即将到期的合同"),
        "template": "contracts/_panel.html",
        "contracts": contracts,
        "today": today(),
        "days": RENEWAL_DAYS,
    }


def _pipeline_facts(client) -> dict:
    signed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Contract)
        .where(Contract.client_id == client.id, Contract.activated_at.is_not(None))
    )
    return {"contracts_signed": signed}
