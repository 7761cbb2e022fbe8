from flask import Blueprint

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, MANAGER, SALES, TRAINER

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding")
require_roles_for_blueprint(bp, ADMIN, MANAGER, TRAINER, SALES)
