from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request

from ops.audit.models import AuditEntry
from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN
from ops.extensions import db
from ops.timeutil import SHANGHAI
from ops.urls import db_int, page_arg

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
require_roles_for_blueprint(bp, ADMIN)


def _date_arg(name: str):
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None


@bp.route("/")
def index():
    action = request.args.get("action", "").strip()
    object_type = request.args.get("object_type", "").strip()
    actor = request.args.get("actor", "").strip()
    object_id = request.args.get("object_id", type=db_int)
    date_from, date_to = _date_arg("from"), _date_arg("to")
    stmt = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action.like(f"{action}%"))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if actor:
        stmt = stmt.where(AuditEntry.actor.ilike(f"%{actor}%"))
    if date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(date_from, time(), SHANGHAI))
    if date_to:
        stmt = stmt.where(AuditEntry.at < datetime.combine(date_to + timedelta(days=1), time(), SHANGHAI))
    page = db.paginate(stmt, page=page_arg(), per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    object_types = db.session.scalars(
        sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    ).all()
    return render_template(
        "audit/index.html",
        page=page,
        action=action,
        object_type=object_type,
        actor=actor,
        object_id=object_id,
        date_from=date_from,
        date_to=date_to,
        object_types=object_types,
    )
