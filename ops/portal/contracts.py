"""The client portal's contract pages (routes on the portal blueprint) and its overview section.

A client user sees only their own company's contracts, and never a draft: drafts are internal
until they are sent for signature.
"""

import sqlalchemy as sa
from flask import abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ops import hooks
from ops.auth.permissions import get_scoped_or_404
from ops.contracts import services
from ops.contracts.models import Contract
from ops.extensions import db
from ops.portal.views import bp
from ops.timeutil import today
from ops.uploads import send_stored
from ops.web import send_document

CLIENT_VISIBLE = ("pending_signature", "active", "expired", "terminated")


def _contracts_section() -> dict:
    counts = dict(
        db.session.execute(
            sa.select(Contract.status, sa.func.count())
            .where(Contract.client_id == current_user.client_id, Contract.status != "draft")
            .group_by(Contract.status)
        ).all()
    )
    return {"title": _l("合同"), "template": "portal/contracts_section.html", "counts": counts}


@bp.record_once
def _register_section(state) -> None:
    hooks.register(state.app, hooks.PORTAL_SECTIONS, _contracts_section)


def _load(contract_id: int) -> Contract:
    contract = get_scoped_or_404(Contract, contract_id)
    if contract.status not in CLIENT_VISIBLE:
        abort(404)
    return contract


@bp.route("/contracts")
def contracts():
    items = db.session.scalars(
        sa.select(Contract)
        .where(Contract.client_id == current_user.client_id, Contract.status.in_(CLIENT_VISIBLE))
        .order_by(Contract.start_on.desc(), Contract.id.desc())
    ).all()
    return render_template("portal/contracts.html", contracts=items, today=today())


@bp.route("/contracts/<int:contract_id>")
def contract_detail(contract_id: int):
    contract = _load(contract_id)
    return render_template(
        "portal/contract_detail.html", contract=contract, terms=contract.terms, today=today()
    )


@bp.route("/contracts/<int:contract_id>/pdf")
def contract_pdf(contract_id: int):
    contract = _load(contract_id)
    return send_document(
        services.render_pdf(contract),
        services.pdf_filename(contract),
        "application/pdf",
    )


@bp.route("/contracts/<int:contract_id>/signed")
def contract_signed(contract_id: int):
    contract = _load(contract_id)
    if not contract.signed_file:
        abort(404)
    try:
        return send_stored(contract.signed_file, services.signed_download_name(contract), "application/pdf")
    except FileNotFoundError:
        abort(404)
