"""Go-lives planned within a few days: the ``assignment.golive_soon`` event, once per assignment and
planned date.

The daily scan (ops.tasks.schedule) emits one event for every assignment not yet live nor
cancelled whose planned go-live date falls within ``GOLIVE_NOTICE_DAYS`` days (today included);
the key holds the assignment and its planned date, so a re-run emits nothing and a go-live moved
to another date is announced again. The trainer and the manager are told by the notifications.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from ops.events.services import emit
from ops.extensions import db
from ops.onboarding.models import Assignment
from ops.timeutil import today

GOLIVE_NOTICE_DAYS = 3


def announce_golives_soon(on: date | None = None) -> int:
    """Emit ``assignment.golive_soon`` for each assignment planned to go live within 3 days of ``on``
    (today) and not announced before for that date; returns how many were new. The caller commits."""
    on = on or today()
    assignments = db.session.scalars(
        sa.select(Assignment)
        .where(
            Assignment.go_live_on.is_(None),
            Assignment.cancelled_at.is_(None),
            Assignment.planned_go_live_on >= on,
            Assignment.planned_go_live_on <= on + timedelta(days=GOLIVE_NOTICE_DAYS),
        )
        .order_by(Assignment.planned_go_live_on, Assignment.id)
    )
    new = 0
    for assignment in assignments:
        planned = assignment.planned_go_live_on
        assert planned is not None  # the query
        event = emit(
            "assignment.golive_soon",
            assignment,
            client_id=assignment.client_id,
            key=f"assignment.golive_soon:{assignment.id}:{planned.isoformat()}",
            assignment_id=assignment.id,
            go_live_on=planned.isoformat(),
        )
        new += event is not None
    return new
