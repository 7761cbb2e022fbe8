from flask import Blueprint

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, FINANCE, MANAGER, SALES

bp = Blueprint("quotes", __name__, url_prefix="/quotes")
require_roles_for_blueprint(bp, ADMIN, MANAGER, SALES, FINANCE)
