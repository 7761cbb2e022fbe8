"""The daily go-live scan: ``assignment.golive_soon`` once per assignment planned to go live within 3
days (today included); not for live or cancelled ones; again when the plan moves to another date."""

from datetime import timedelta

from ops.onboarding import services
from ops.timeutil import today
from tests.event_rows import events_of
from tests.onboarding.helpers import make_assignment, make_contract


def _announced() -> list[tuple[int, str]]:
    return [
        (e.payload["assignment_id"], e.payload["go_live_on"]) for e in events_of("assignment.golive_soon")
    ]


def test_each_go_live_within_3_days_is_announced_once(db, make_user):
    on = today()
    contract = make_contract(db)
    in_3 = make_assignment(db, contract, planned=on + timedelta(days=3))
    in_4 = make_assignment(db, contract, planned=on + timedelta(days=4))
    today_one = make_assignment(db, contract, planned=on)
    cancelled = make_assignment(db, contract, planned=on + timedelta(days=1))
    services.cancel_assignment(cancelled, by=make_user("manager"), reason="客户取消该席位")
    went_live = make_assignment(db, contract, planned=on + timedelta(days=2))
    went_live.go_live_on = on - timedelta(days=1)  # went live early (the go-live service's checklist aside)
    db.session.commit()
    assert services.announce_golives_soon(on) == 2
    db.session.commit()
    assert sorted(_announced()) == sorted(
        [(in_3.id, (on + timedelta(days=3)).isoformat()), (today_one.id, on.isoformat())]
    )
    assert services.announce_golives_soon(on) == 0  # the scan re-run the same day
    assert services.announce_golives_soon(on + timedelta(days=1)) == 1  # in_4 comes in range
    db.session.commit()
    assert _announced()[-1] == (in_4.id, (on + timedelta(days=4)).isoformat())
    assert services.announce_golives_soon(on + timedelta(days=1)) == 0


def test_a_moved_go_live_is_announced_again_for_its_new_date(db):
    on = today()
    assignment = make_assignment(db, planned=on + timedelta(days=2))
    assert services.announce_golives_soon(on) == 1
    db.session.commit()
    assignment.planned_go_live_on = on + timedelta(days=3)
    db.session.commit()
    assert services.announce_golives_soon(on) == 1
    assert services.announce_golives_soon(on) == 0
