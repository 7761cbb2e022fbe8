"""Webhooks (admin): subscriptions (list, create, edit, disable / enable, delete, rotate the secret,
send a test event) and the delivery log (overall and per subscription) with resend."""

import sqlalchemy as sa
from flask import Blueprint, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.timeutil import utcnow
from ops.urls import is_safe_next
from ops.web import paginate, perform
from ops.webhooks import delivery, services
from ops.webhooks.forms import DisableForm, SubscriptionForm
from ops.webhooks.models import WebhookDelivery, WebhookSubscription
from ops.webhooks.rules import DELIVERY_STATE_LABELS, DELIVERY_STATES, EVENT_TYPES, PING, PING_LABEL

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
require_roles_for_blueprint(bp, ADMIN)

SENT_MESSAGES = {
    "succeeded": lambda: _("已发送，接收端返回成功。"),
    "failed": lambda: _("发送失败，请查看投递记录中的错误；系统会按退避计划自动重试。"),
}


def _sent(status: str) -> str:
    return SENT_MESSAGES.get(status, lambda: _("已排队发送。"))()


def _deliveries(subscription_id: int | None = None):
    """The delivery log, filtered by ``?status=`` and ``?event=``, newest first, one page."""
    status, event = request.args.get("status", ""), request.args.get("event", "")
    stmt = sa.select(WebhookDelivery).options(joinedload(WebhookDelivery.subscription))
    if subscription_id is not None:
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    if status in DELIVERY_STATES:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event in EVENT_TYPES or event == PING:
        stmt = stmt.where(WebhookDelivery.event_type == event)
    return paginate(stmt.order_by(WebhookDelivery.id.desc())), status, event


def _log_context() -> dict:
    return {
        "states": DELIVERY_STATES,
        "state_labels": DELIVERY_STATE_LABELS,
        "event_types": {**EVENT_TYPES, PING: PING_LABEL},
        "confirm": ConfirmForm(),
    }


@bp.route("/")
def index():
    state, q = request.args.get("state", ""), request.args.get("q", "").strip()
    stmt = sa.select(WebhookSubscription).options(joinedload(WebhookSubscription.owner))
    if state == "enabled":
        stmt = stmt.where(WebhookSubscription.enabled.is_(True))
    elif state == "disabled":
        stmt = stmt.where(WebhookSubscription.enabled.is_(False))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(WebhookSubscription.url.ilike(like), WebhookSubscription.description.ilike(like))
        )
    page = paginate(stmt.order_by(WebhookSubscription.enabled.desc(), WebhookSubscription.id.desc()))
    return render_template("webhooks/index.html", page=page, state=state, q=q, event_types=EVENT_TYPES)


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = SubscriptionForm()
    return perform(
        lambda: services.create_subscription(
            form.url.data,
            form.event_types.data,
            description=form.description.data,
            allow_private=form.allow_private.data,
            by=current_user,
        ),
        form=form,
        success=None,
        back=url_for("webhooks.create"),
        # Rendered, not redirected: the secret must never travel through the session cookie.
        done=lambda made: make_response(
            render_template("webhooks/secret.html", subscription=made[0], secret=made[1], created=True)
        ),
        render=lambda: render_template("webhooks/form.html", form=form, subscription=None),
    )


@bp.route("/<int:subscription_id>")
def detail(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    page, status, event = _deliveries(subscription.id)
    return render_template(
        "webhooks/detail.html",
        subscription=subscription,
        page=page,
        status=status,
        event=event,
        disable_form=DisableForm(),
        now=utcnow(),
        **_log_context(),
    )


@bp.route("/<int:subscription_id>/edit", methods=["GET", "POST"])
def edit(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    form = SubscriptionForm(obj=subscription)
    return perform(
        lambda: services.update_subscription(
            subscription,
            form.url.data,
            form.event_types.data,
            description=form.description.data,
            allow_private=form.allow_private.data,
            by=current_user,
        ),
        form=form,
        success=_("Webhook 已保存。"),
        back=url_for("webhooks.edit", subscription_id=subscription.id),
        done=url_for("webhooks.detail", subscription_id=subscription.id),
        render=lambda: render_template("webhooks/form.html", form=form, subscription=subscription),
    )


@bp.route("/<int:subscription_id>/disable", methods=["POST"])
def disable(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    form = DisableForm()
    return perform(
        lambda: services.disable_subscription(subscription, form.reason.data, by=current_user),
        form=form,
        success=_("Webhook 已停用：新的事件不再发送，待发送的投递暂停。"),
        back=url_for("webhooks.detail", subscription_id=subscription.id),
    )


@bp.route("/<int:subscription_id>/enable", methods=["POST"])
def enable(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    return perform(
        lambda: services.enable_subscription(subscription, by=current_user),
        form=ConfirmForm(),
        success=_("Webhook 已启用，待发送和等待重试的投递会在一分钟内继续发送。"),
        back=url_for("webhooks.detail", subscription_id=subscription.id),
    )


@bp.route("/<int:subscription_id>/delete", methods=["POST"])
def delete(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    return perform(
        lambda: services.delete_subscription(subscription, by=current_user),
        form=ConfirmForm(),
        success=_("Webhook 已删除。"),
        back=url_for("webhooks.detail", subscription_id=subscription.id),
        done=url_for("webhooks.index"),
    )


@bp.route("/<int:subscription_id>/rotate", methods=["POST"])
def rotate(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    return perform(
        lambda: services.rotate_secret(subscription, by=current_user),
        form=ConfirmForm(),
        success=None,
        back=url_for("webhooks.detail", subscription_id=subscription.id),
        done=lambda secret: make_response(
            render_template("webhooks/secret.html", subscription=subscription, secret=secret, created=False)
        ),
    )


@bp.route("/<int:subscription_id>/test", methods=["POST"])
def ping(subscription_id: int):
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    return perform(
        lambda: delivery.send_test_event(subscription, by=current_user),
        form=ConfirmForm(),
        success=_sent,
        back=url_for("webhooks.detail", subscription_id=subscription.id),
    )


@bp.route("/deliveries")
def deliveries():
    page, status, event = _deliveries()
    return render_template(
        "webhooks/deliveries.html", page=page, status=status, event=event, **_log_context()
    )


@bp.route("/deliveries/<int:delivery_id>")
def delivery_detail(delivery_id: int):
    row = db.get_or_404(WebhookDelivery, delivery_id)
    return render_template("webhooks/delivery.html", delivery=row, **_log_context())


def _back(default: str) -> str:
    """The page the button was on (``next``, an on-site path only), else ``default``."""
    target = request.form.get("next")
    return target if is_safe_next(target) else default


@bp.route("/deliveries/<int:delivery_id>/resend", methods=["POST"])
def resend(delivery_id: int):
    row = db.get_or_404(WebhookDelivery, delivery_id)
    return perform(
        lambda: delivery.resend_delivery(row.id, by=current_user),
        form=ConfirmForm(),
        success=_sent,
        back=_back(url_for("webhooks.delivery_detail", delivery_id=row.id)),
    )
