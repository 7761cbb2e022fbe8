"""Quote answers and go-live against gunicorn (several workers): one decision, one go-live."""

from datetime import timedelta

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.onboarding.models import Assignment
from ops.quotes.models import Quote
from ops.timeutil import today
from tests.contracts.helpers import make_accepted_quote
from tests.live import browsers, parallel
from tests.onboarding.helpers import make_assignment


def _audits(db, actions: tuple[str, ...], object_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.in_(actions), AuditEntry.object_id == object_id)
    )


def test_parallel_portal_answers_decide_a_quote_once(db, make_user, live_server):
    quote = make_accepted_quote(db)
    quote.status, quote.decided_at, quote.valid_until = "sent", None, today() + timedelta(days=30)
    db.session.commit()
    quote_id, client_id = quote.id, quote.client_id
    clients, tokens = browsers(
        live_server, make_user, "client", "shop", 6, f"/portal/quotes/{quote_id}", client_id=client_id
    )

    def answer(i):
        action = "accept" if i % 2 else "reject"
        return (
            clients[i]
            .post_form(
                f"/portal/quotes/{quote_id}/{action}", {"csrf_token": tokens[i], "comment": f"答复 {i}"}
            )
            .status
        )

    assert parallel(6, answer) == [302] * 6
    quote = db.session.get(Quote, quote_id)
    assert quote.status in ("accepted", "rejected")
    assert _audits(db, ("quote.accepted", "quote.rejected"), quote_id) == 1


def test_parallel_go_live_goes_live_once(db, make_user, live_server):
    assignment_id = make_assignment(db).id
    clients, tokens = browsers(
        live_server, make_user, "manager", "mgr", 6, f"/onboarding/assignments/{assignment_id}"
    )

    def go_live(i):
        return (
            clients[i]
            .post_form(
                f"/onboarding/assignments/{assignment_id}/go-live",
                {
                    "csrf_token": tokens[i],
                    "go_live_on": today().isoformat(),
                    "override_reason": f"客户要求提前上线 {i}",
                },
            )
            .status
        )

    assert parallel(6, go_live) == [302] * 6
    assert db.session.get(Assignment, assignment_id).go_live_on == today()
    assert _audits(db, ("assignment.went_live",), assignment_id) == 1
    assert _audits(db, ("assignment.go_live_override",), assignment_id) == 1
