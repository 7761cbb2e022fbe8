from flask import Blueprint

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, MANAGER

bp = Blueprint("ratecards", __name__, url_prefix="/admin/rate-cards")
require_roles_for_blueprint(bp, ADMIN, MANAGER)
