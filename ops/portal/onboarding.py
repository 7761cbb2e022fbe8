"""The client portal's onboarding pages (routes on the portal blueprint).

A client user sees its own company's agents and their go-live progress: names, scope and shift,
dates and each checklist item's state. Never credentials, phone numbers or another client's data.
"""

import sqlalchemy as sa
from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from ops import hooks
from ops.auth.permissions import get_scoped_or_404
from ops.extensions import db
from ops.onboarding import checklist
from ops.onboarding.models import Assignment
from ops.portal.views import bp
from ops.timeutil import today


def _agents_section(user=None, client=None) -> dict | None:
    """The overview's section (``hooks.PORTAL_SECTIONS``); called with (user, client) or, as the
    portal does today, with neither (the current user then)."""
    user = user if user is not None else current_user
    client_id = client.id if client is not None else getattr(user, "client_id", None)
    if not user.is_authenticated or client_id is None:
        return None
    on = today()
    counts = dict(
        db.session.execute(
            sa.select(Assignment.go_live_on.is_not(None), sa.func.count())
            .where(
                Assignment.client_id == client_id,
                sa.or_(Assignment.end_on.is_(None), Assignment.end_on > on),
            )
            .group_by(Assignment.go_live_on.is_not(None))
        ).all()
    )
    return {
        "title": _l("客服上线进度"),
        "template": "portal/agents_section.html",
        "live": counts.get(True, 0),
        "pending": counts.get(False, 0),
    }


@bp.record_once
def _register_section(state) -> None:
    hooks.register(state.app, hooks.PORTAL_SECTIONS, _agents_section)


def _labels() -> dict:
    """Badge colours; the labels come from the ``label`` global (scope, shift, checklist_item_state)."""
    return {"item_state_badges": checklist.ITEM_STATE_BADGES}


@bp.route("/agents")
def agents():
    assignments = db.session.scalars(
        sa.select(Assignment)
        .options(joinedload(Assignment.agent), selectinload(Assignment.items))
        .where(Assignment.client_id == current_user.client_id)
        .order_by(Assignment.end_on.is_not(None), Assignment.planned_go_live_on, Assignment.id)
    ).all()
    progress = {a.id: checklist.completion(a.items) for a in assignments}
    return render_template(
        "portal/agents.html", assignments=assignments, progress=progress, on=today(), **_labels()
    )


@bp.route("/agents/<int:assignment_id>")
def agent_detail(assignment_id: int):
    assignment = get_scoped_or_404(Assignment, assignment_id)
    return render_template(
        "portal/agents_detail.html",
        assignment=assignment,
        progress=checklist.completion(assignment.items),
        on=today(),
        **_labels(),
    )
