from flask import Blueprint

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import STAFF_ROLES

bp = Blueprint("clients", __name__, url_prefix="/clients")
require_roles_for_blueprint(bp, *STAFF_ROLES)
