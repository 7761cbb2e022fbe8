from flask import Blueprint

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import CLIENT

bp = Blueprint("portal", __name__, url_prefix="/portal")
require_roles_for_blueprint(bp, CLIENT)
