"""The daily contract-expiry scan: ``contract.expiring`` once per contract 30 days ahead, never again for
the same end date, again when the contract is extended to a new one."""

from datetime import date, timedelta

from ops.contracts.services import announce_expiring_contracts
from ops.timeutil import today
from tests.event_rows import events_of
from tests.onboarding.helpers import make_contract

ON = date(2026, 12, 1)


def _announced() -> list[tuple[int, str]]:
    return [(e.payload["contract_id"], e.payload["ends_on"]) for e in events_of("contract.expiring")]


def test_each_contract_ending_within_30_days_is_announced_once(db):
    start = ON - timedelta(days=200)
    ends_in_30 = make_contract(db, start_on=start, end_on=ON + timedelta(days=30))  # Dec 31
    ends_in_31 = make_contract(db, start_on=start, end_on=ON + timedelta(days=31))
    ends_today = make_contract(db, start_on=start, end_on=ON)
    make_contract(db, start_on=start, end_on=ON - timedelta(days=1))  # ended yesterday
    make_contract(db, status="draft", start_on=start, end_on=ON + timedelta(days=5))  # not active
    assert announce_expiring_contracts(ON) == 2
    db.session.commit()
    assert sorted(_announced()) == sorted([(ends_in_30.id, "2026-12-31"), (ends_today.id, "2026-12-01")])
    # Every later day (and a second run the same day) announces only the one that just came in range.
    assert announce_expiring_contracts(ON) == 0
    for n in range(1, 40):
        announce_expiring_contracts(ON + timedelta(days=n))
        db.session.commit()
    assert sorted(_announced()) == sorted(
        [(ends_in_30.id, "2026-12-31"), (ends_today.id, "2026-12-01"), (ends_in_31.id, "2027-01-01")]
    )


def test_an_extended_contract_is_announced_again_for_its_new_end(db):
    contract = make_contract(db, start_on=ON - timedelta(days=200), end_on=ON + timedelta(days=10))
    assert announce_expiring_contracts(ON) == 1
    db.session.commit()
    contract.end_on = ON + timedelta(days=20)
    db.session.commit()
    assert announce_expiring_contracts(ON) == 1
    db.session.commit()
    assert _announced()[-2:] == [(contract.id, "2026-12-11"), (contract.id, "2026-12-21")]


def test_the_default_day_is_today(db):
    contract = make_contract(db, start_on=today() - timedelta(days=100), end_on=today() + timedelta(days=7))
    assert announce_expiring_contracts() == 1
    assert _announced()[-1] == (contract.id, (today() + timedelta(days=7)).isoformat())
