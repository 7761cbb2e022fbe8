"""The clients panel of the staff dashboard, registered on the ``hooks.DASHBOARD_PANELS`` hook."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ops import hooks
from ops.auth.roles import SALES, TRAINER
from ops.clients import services
from ops.clients.models import Client
from ops.clients.views.common import bp
from ops.extensions import db


def clients_panel() -> dict | None:
    """The "我的客户" panel: a sales user's own clients by stage; everyone else's view of all."""
    if not current_user.is_authenticated or not current_user.is_staff or current_user.role == TRAINER:
        return None  # a trainer's dashboard shows training and onboarding work instead
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
    """Add the clients panel to the staff dashboard (once, however often it is called)."""
    hooks.register(app, hooks.DASHBOARD_PANELS, clients_panel)


bp.record_once(lambda state: register_dashboard(state.app))
