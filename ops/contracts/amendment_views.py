"""Contract amendments (补充协议) on the contract page: list, new / edit a draft, send, withdraw,
accept on the client's behalf, PDF.

Sales, managers and admins draft, send and withdraw; managers and admins may record the client's
acceptance with a reason; every staff role sees the list and the PDF. The section itself is
``templates/contracts/_amendments.html``, included by the contract page.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, MANAGER, SALES, STAFF_ROLES
from ops.contracts.forms import AmendmentDecisionForm, AmendmentForm
from ops.contracts.models import Contract, ContractAmendment
from ops.contracts.services import amendments as services
from ops.extensions import db
from ops.forms import ConfirmForm, scoped_ids
from ops.vocab import SCOPES, SHIFTS
from ops.web import perform, send_document

bp = Blueprint("amendments", __name__, url_prefix="/contracts")
require_roles_for_blueprint(bp, *STAFF_ROLES)

EDITORS = (ADMIN, MANAGER, SALES)
APPROVERS = (ADMIN, MANAGER)
BADGES = {
    "draft": "bg-secondary",
    "sent": "bg-warning text-dark",
    "accepted": "bg-success",
    "rejected": "bg-danger",
    "withdrawn": "bg-light text-dark border",
}


def section(contract: Contract) -> dict:
    """What the contract page's amendments section shows."""
    items = db.session.scalars(
        sa.select(ContractAmendment)
        .where(ContractAmendment.contract_id == contract.id)
        .order_by(ContractAmendment.seq.desc())
    ).all()
    role = current_user.role if current_user.is_authenticated else None
    return {
        "items": items,
        "labels": services.STATUS_LABELS,
        "badges": BADGES,
        "confirm": ConfirmForm(),
        "withdraw_form": scoped_ids(AmendmentDecisionForm(formdata=None), "amend-withdraw"),
        "behalf_form": scoped_ids(AmendmentDecisionForm(formdata=None), "amend-behalf"),
        "can_edit": role in EDITORS,
        "can_approve": role in APPROVERS,
        "can_create": role in EDITORS
        and contract.status == "active"
        and not any(a.status in ("draft", "sent") for a in items),
    }


@bp.app_context_processor
def _section_helper():
    return {"amendments_section": section}


def _load(contract_id: int, amendment_id: int | None = None) -> tuple[Contract, ContractAmendment | None]:
    contract = get_scoped_or_404(Contract, contract_id)
    if amendment_id is None:
        return contract, None
    amendment = db.session.get(ContractAmendment, amendment_id)
    if amendment is None or amendment.contract_id != contract.id:
        abort(404)
    return contract, amendment


def _detail_url(contract: Contract) -> str:
    return url_for("contracts.detail", contract_id=contract.id) + "#amendments"


def _form_data(source: dict, effective_on, reason: str) -> dict:
    """The form's rows: the source's seat rows, then every other scope × shift with 0 seats."""
    seats = [
        {"scope": s["scope"], "shift": s["shift"], "seats": s["seats"], "monthly_rate": s["monthly_rate_fen"]}
        for s in source.get("seats", [])
    ]
    listed = {(s["scope"], s["shift"]) for s in seats}
    seats += [
        {"scope": scope, "shift": shift, "seats": 0, "monthly_rate": None}
        for scope in SCOPES
        for shift in SHIFTS
        if (scope, shift) not in listed
    ]
    extras = [
        {"quantity": e["quantity"], "unit_price": e["unit_price_fen"]} for e in source.get("extras", [])
    ]
    return {"effective_on": effective_on, "seats": seats, "extras": extras, "reason": reason}


def _edit_page(
    contract: Contract, amendment: ContractAmendment | None, source: dict, effective_on, reason: str
):
    data = _form_data(source, effective_on, reason)
    form = AmendmentForm(data=data) if request.method == "POST" else AmendmentForm(formdata=None, data=data)
    form.extra_count = len(source.get("extras", []))

    def render():
        return render_template(
            "contracts/amendment_form.html",
            contract=contract,
            amendment=amendment,
            form=form,
            source=source,
        )

    if not form.is_submitted():
        return render()

    def action():
        values = dict(
            effective_on=form.effective_on.data, terms=form.terms(source), reason=form.reason.data or ""
        )
        if amendment is None:
            return services.create_amendment(contract, by=current_user, **values)
        return services.update_amendment(amendment, by=current_user, **values)

    return perform(
        action,
        form=form,
        render=render,
        success=_("补充协议草稿已保存。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/amendments", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new(contract_id: int):
    contract, _none = _load(contract_id)
    if contract.status != "active":
        flash(_("只有生效中的合同可以签订补充协议。"), "warning")
        return redirect(_detail_url(contract))
    source = services.terms_in_force(contract, contract.end_on)  # the latest version agreed
    return _edit_page(contract, None, source, None, "")


@bp.route("/<int:contract_id>/amendments/<int:amendment_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(contract_id: int, amendment_id: int):
    contract, amendment = _load(contract_id, amendment_id)
    if amendment.status != "draft":
        flash(_("只有草稿状态的补充协议可以修改。"), "warning")
        return redirect(_detail_url(contract))
    return _edit_page(contract, amendment, amendment.terms, amendment.effective_on, amendment.reason)


@bp.route("/<int:contract_id>/amendments/<int:amendment_id>/send", methods=["POST"])
@roles_required(*EDITORS)
def send(contract_id: int, amendment_id: int):
    contract, amendment = _load(contract_id, amendment_id)
    return perform(
        lambda: services.send_amendment(amendment, by=current_user),
        form=ConfirmForm(),
        success=_("补充协议已发送，等待客户在客户门户确认。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/amendments/<int:amendment_id>/withdraw", methods=["POST"])
@roles_required(*EDITORS)
def withdraw(contract_id: int, amendment_id: int):
    contract, amendment = _load(contract_id, amendment_id)
    form = AmendmentDecisionForm()
    return perform(
        lambda: services.withdraw_amendment(amendment, current_user, form.note.data),
        form=form,
        success=_("补充协议已撤回。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/amendments/<int:amendment_id>/accept", methods=["POST"])
@roles_required(*APPROVERS)
def accept_on_behalf(contract_id: int, amendment_id: int):
    contract, amendment = _load(contract_id, amendment_id)
    form = AmendmentDecisionForm()
    return perform(
        lambda: services.accept_amendment(amendment, current_user, form.note.data, on_behalf=True),
        form=form,
        success=_("已代客户确认补充协议，新条款自生效日起执行。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/amendments/<int:amendment_id>/pdf")
def pdf(contract_id: int, amendment_id: int):
    _contract, amendment = _load(contract_id, amendment_id)
    return send_document(services.amendment_pdf(amendment), f"{amendment.number}.pdf", "application/pdf")
