from flask import Blueprint

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, MANAGER, SALES, TRAINER

bp = Blueprint("training", __name__, url_prefix="/training")
require_roles_for_blueprint(bp, ADMIN, MANAGER, TRAINER, SALES)
