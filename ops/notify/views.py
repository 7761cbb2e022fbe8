"""The notification centre of staff users: list, open (mark read), mark all read, preferences."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import STAFF_ROLES
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.notify import services
from ops.notify.forms import PreferencesForm, pair
from ops.notify.kinds import CHANNEL_LABELS, CHANNELS, staff_kinds_for
from ops.notify.models import Notification
from ops.notify.preferences import user_choices
from ops.urls import is_safe_next
from ops.web import paginate, perform

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
require_roles_for_blueprint(bp, *STAFF_ROLES)


@bp.record_once
def _bell(state) -> None:
    app = state.app

    @app.context_processor
    def unread_notifications():
        # One COUNT query, and only on pages that show the bell (staff, logged in).
        if current_user.is_authenticated and current_user.is_staff:
            return {"unread_notifications": services.unread_count(current_user)}
        return {"unread_notifications": None}


@bp.route("/")
def index():
    unread = request.args.get("unread") == "1"
    stmt = sa.select(Notification).where(Notification.user_id == current_user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()))
    return render_template("notifications/index.html", page=page, unread=unread, form=ConfirmForm())


def _own(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    return notification


def _safe(link: str) -> str:
    """Only an on-site path is followed (never another host)."""
    return link if is_safe_next(link) else url_for("notifications.index")


@bp.route("/<int:notification_id>/open", methods=["POST"])
def open_one(notification_id: int):
    notification = _own(notification_id)
    return perform(
        lambda: services.open_notification(notification),
        success=None,
        back=url_for("notifications.index"),
        done=_safe,
    )


@bp.route("/read-all", methods=["POST"])
def read_all():
    form = ConfirmForm()
    return perform(
        lambda: services.mark_all_read(current_user),
        success=lambda n: _("已将 %(n)s 条通知标为已读。", n=n),
        back=url_for("notifications.index"),
        form=form,
    )


@bp.route("/preferences", methods=["GET", "POST"])
def preferences():
    form = PreferencesForm()
    if request.method == "GET":
        form.chosen.data = [pair(k, c) for k, c in user_choices(current_user)]
    return perform(
        lambda: services.save_preferences(current_user, form.pairs()),
        success=_("通知设置已保存。"),
        back=url_for("notifications.preferences"),
        form=form,
        render=lambda: render_template(
            "notifications/preferences.html",
            form=form,
            kinds=staff_kinds_for(current_user.role),
            channels=CHANNELS,
            channel_labels=CHANNEL_LABELS,
            chosen=set(form.chosen.data or []),
            pair=pair,
        ),
    )
