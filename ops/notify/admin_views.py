"""发件箱 (admin): the .eml files of the file backend, and the deliveries log with resend."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN
from ops.forms import ConfirmForm
from ops.notify import services
from ops.notify.kinds import DELIVERY_STATE_LABELS, DELIVERY_STATES, KINDS, UNKNOWN_LABEL
from ops.notify.mail import file_backend_active, outbox_entries, read_outbox
from ops.notify.models import Delivery
from ops.timeutil import utcnow
from ops.web import paginate, perform

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
require_roles_for_blueprint(bp, ADMIN)


@bp.route("/")
def index():
    status = request.args.get("status", "")
    stmt = sa.select(Delivery).options(joinedload(Delivery.user), joinedload(Delivery.contact))
    if status == "unknown":
        stmt = stmt.where(
            Delivery.status == "sending", Delivery.updated_at <= utcnow() - services.UNKNOWN_AFTER
        )
    elif status in DELIVERY_STATES:
        stmt = stmt.where(Delivery.status == status)
    page = paginate(stmt.order_by(Delivery.id.desc()))
    files = outbox_entries()
    return render_template(
        "notifications/outbox.html",
        page=page,
        status=status,
        states=DELIVERY_STATES,
        state_labels=DELIVERY_STATE_LABELS,
        unknown_label=UNKNOWN_LABEL,
        kinds=KINDS,
        is_unknown=services.is_unknown,
        # The .eml files: listed while the file backend writes them, and after a switch to SMTP while
        # the folder still holds some.
        files=files if files or file_backend_active() else None,
        form=ConfirmForm(),
    )


@bp.route("/mail/<name>")
def message(name: str):
    found = read_outbox(name)
    if found is None:
        abort(404)
    return render_template("notifications/outbox_message.html", message=found)


@bp.route("/deliveries/<int:delivery_id>/resend", methods=["POST"])
def resend(delivery_id: int):
    form = ConfirmForm()
    labels = {"sent": _("已重新发送。"), "failed": _("重发失败，请查看错误信息。")}
    return perform(
        lambda: services.resend_delivery(delivery_id, current_user),
        success=lambda status: labels.get(status, _("已重新排队发送。")),
        back=url_for("outbox.index"),
        form=form,
    )
