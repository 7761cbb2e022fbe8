"""The client portal's contract amendments (补充协议): listed on the contract page, accepted or
rejected like a quote (routes on the portal blueprint).

A client user sees only the amendments of their own company's contracts, and never a draft (or one
withdrawn before it was sent).
"""

import sqlalchemy as sa
from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import get_scoped_or_404
from ops.contracts.forms import AmendmentClientForm
from ops.contracts.models import Contract, ContractAmendment
from ops.contracts.services import amendments as services
from ops.extensions import db
from ops.portal.contracts import CLIENT_VISIBLE
from ops.portal.views import bp
from ops.web import perform, send_document


def _visible(contract: Contract):
    return (
        sa.select(ContractAmendment)
        .where(ContractAmendment.contract_id == contract.id, ContractAmendment.sent_at.is_not(None))
        .order_by(ContractAmendment.seq.desc())
    )


def section(contract: Contract) -> dict:
    return {
        "items": db.session.scalars(_visible(contract)).all(),
        "labels": services.STATUS_LABELS,
        "form": AmendmentClientForm(formdata=None),
    }


@bp.app_context_processor
def _section_helper():
    return {"portal_amendments": section}


def _load(contract_id: int, amendment_id: int) -> tuple[Contract, ContractAmendment]:
    contract = get_scoped_or_404(Contract, contract_id)
    if contract.status not in CLIENT_VISIBLE:
        abort(404)
    amendment = db.session.get(ContractAmendment, amendment_id)
    if amendment is None or amendment.contract_id != contract.id or amendment.sent_at is None:
        abort(404)
    return contract, amendment


def _answer(contract_id: int, amendment_id: int, action, success: str):
    contract, amendment = _load(contract_id, amendment_id)
    form = AmendmentClientForm()
    return perform(
        lambda: action(amendment, current_user._get_current_object(), form.comment.data or ""),
        form=form,
        success=success,
        back=url_for("portal.contract_detail", contract_id=contract.id) + "#amendments",
    )


@bp.route("/contracts/<int:contract_id>/amendments/<int:amendment_id>/accept", methods=["POST"])
def amendment_accept(contract_id: int, amendment_id: int):
    return _answer(
        contract_id, amendment_id, services.accept_amendment, _("您已确认该补充协议，新条款自生效日起执行。")
    )


@bp.route("/contracts/<int:contract_id>/amendments/<int:amendment_id>/reject", methods=["POST"])
def amendment_reject(contract_id: int, amendment_id: int):
    return _answer(contract_id, amendment_id, services.reject_amendment, _("您已拒绝该补充协议，感谢反馈。"))


@bp.route("/contracts/<int:contract_id>/amendments/<int:amendment_id>/pdf")
def amendment_pdf(contract_id: int, amendment_id: int):
    _contract, amendment = _load(contract_id, amendment_id)
    return send_document(services.amendment_pdf(amendment), f"{amendment.number}.pdf", "application/pdf")
