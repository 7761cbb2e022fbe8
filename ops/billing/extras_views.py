"""Dated extras on the contract page (节假日补贴, 大促临时客服, 加班): list, add, delete.

Finance and trainers (and managers, admins) record them; the section itself is
``templates/billing/_dated_extras.html``, included by the contract page.
"""

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint
from ops.auth.roles import ADMIN, FINANCE, MANAGER, TRAINER
from ops.billing.forms import DatedExtraForm
from ops.billing.services import extras as services
from ops.contracts.models import Contract
from ops.forms import ConfirmForm
from ops.urls import db_int
from ops.web import perform

bp = Blueprint("dated_extras", __name__, url_prefix="/contracts")
RECORDERS = (ADMIN, MANAGER, FINANCE, TRAINER)
require_roles_for_blueprint(bp, *RECORDERS)

UNIT_LABELS = {"person_day": "人·天", "person_shift_day": "人·班·天"}


def section(contract: Contract) -> dict:
    """What the contract page's dated-extras section shows (entries; the form for recorders)."""
    can_record = current_user.is_authenticated and current_user.role in RECORDERS
    return {
        "entries": services.entries_of(contract),
        "form": DatedExtraForm(formdata=None) if can_record else None,
        "confirm": ConfirmForm(),
        "can_record": can_record,
        "units": UNIT_LABELS,
        "recordable": contract.status in services.BILLABLE_STATES,
    }


@bp.app_context_processor
def _section_helper():
    return {"dated_extras_section": section}


def _detail_url(contract: Contract) -> str:
    return url_for("contracts.detail", contract_id=contract.id)


@bp.route("/<int:contract_id>/dated-extras", methods=["GET", "POST"])
def add(contract_id: int):
    contract = get_scoped_or_404(Contract, contract_id)
    form = DatedExtraForm()

    def render():
        return render_template("billing/dated_extra_form.html", contract=contract, form=form)

    if not form.is_submitted():
        return render()
    return perform(
        lambda: services.add_entry(
            contract,
            code=form.code.data,
            label=form.label.data or "",
            start_on=form.start_on.data,
            end_on=form.end_on.data,
            headcount=form.headcount.data,
            shifts_per_day=form.shifts_per_day.data or 1,
            unit_price_fen=form.unit_price.data,
            note=form.note.data or "",
            by=current_user,
        ),
        form=form,
        render=render,
        success=_("按日附加费已登记，将在对应账期的账单中计费。"),
        back=_detail_url(contract),
    )


@bp.route("/<int:contract_id>/dated-extras/<int:entry_id>/delete", methods=["POST"])
def delete(contract_id: int, entry_id: int):
    contract = get_scoped_or_404(Contract, contract_id)
    try:
        entry_id = db_int(entry_id)
    except ValueError:
        abort(404)
    return perform(
        lambda: services.delete_entry(contract, entry_id, by=current_user),
        form=ConfirmForm(),
        success=_("按日附加费记录已删除。"),
        back=_detail_url(contract),
    )
