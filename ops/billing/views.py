from flask import Blueprint

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, FINANCE, MANAGER

bp = Blueprint("billing", __name__, url_prefix="/billing")
require_roles_for_blueprint(bp, ADMIN, MANAGER, FINANCE)
