"""The clients blueprint and what its pages share: loading a client and its rows, user choices."""

import sqlalchemy as sa
from flask import Blueprint, abort
from flask_login import current_user
from wtforms import SelectChoice

from ops.auth.models import User
from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint
from ops.auth.roles import ADMIN, MANAGER, SALES, STAFF_ROLES
from ops.clients.constants import NEEDS_FIELDS, PHASES, STAGE_BADGES, STAGE_CODES
from ops.clients.models import Client
from ops.extensions import db
from ops.vocab import PLATFORM_CODES

bp = Blueprint("clients", __name__, url_prefix="/clients")
require_roles_for_blueprint(bp, *STAFF_ROLES)

EDITORS = (ADMIN, MANAGER, SALES)  # who may create and change clients, needs and plans
QUOTE_ROLES = (ADMIN, MANAGER, SALES, "finance")  # who may open the quotes pages


@bp.app_context_processor
def client_labels():
    return {
        "stage_codes": STAGE_CODES,
        "stage_badges": STAGE_BADGES,
        "platform_codes": PLATFORM_CODES,
        "phase_labels": PHASES,
        "needs_fields": NEEDS_FIELDS,
    }


def load_client(client_id: int) -> Client:
    return get_scoped_or_404(Client, client_id)


def load_child(model, client: Client, child_id: int):
    """A shop, contact or plan item of ``client`` (404 for another client's)."""
    child = db.session.get(model, child_id)
    if child is None or child.client_id != client.id:
        abort(404)
    return child


def user_choices(roles) -> list[tuple[int, str]]:
    users = db.session.scalars(
        sa.select(User).where(User.role.in_(roles), User.is_active_user.is_(True)).order_by(User.display_name)
    )
    return [(0, "—")] + [(u.id, u.display_name) for u in users]


def select(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def is_editor() -> bool:
    return current_user.role in EDITORS
