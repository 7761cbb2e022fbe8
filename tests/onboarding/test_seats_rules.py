"""The seat rules (ops.onboarding.seats, pure): what occupies a seat, and the order of the refusals."""

from datetime import date

from ops.onboarding import seats
from ops.onboarding.seats import Held

ROWS = [
    {"scope": "aftersales", "shift": "day", "seats": 2, "monthly_rate_fen": 1},
    {"scope": "aftersales", "shift": "evening", "seats": 1, "monthly_rate_fen": 1},
    {"scope": "aftersales", "shift": "day", "seats": 1, "monthly_rate_fen": 1},  # same key: adds up
]
START = date(2026, 12, 10)


def _check(held, agent_id=9, scope="aftersales", shift="day", rows=ROWS):
    return seats.check_new(rows, held, agent_id=agent_id, scope=scope, shift=shift, start=START)


def test_rows_of_the_same_scope_and_shift_add_up():
    assert seats.sold_seats(ROWS) == {("aftersales", "day"): 3, ("aftersales", "evening"): 1}


def test_occupying_a_seat_means_not_cancelled_and_not_ended_by_the_day():
    assert seats.occupies(Held(1, "aftersales", "day", None), START)
    assert seats.occupies(Held(1, "aftersales", "day", date(2026, 12, 11)), START)
    assert not seats.occupies(Held(1, "aftersales", "day", START), START)  # the end day is not served
    assert not seats.occupies(Held(1, "aftersales", "day", None, cancelled=True), START)


def test_the_fourth_day_seat_is_full_and_freed_seats_count_again():
    three = [Held(i, "aftersales", "day", None) for i in range(3)]
    refusal = _check(three)
    assert refusal is not None and refusal.code == seats.SEAT_FULL and (refusal.used, refusal.sold) == (3, 3)
    ended = [*three[:2], Held(2, "aftersales", "day", START)]
    cancelled = [*three[:2], Held(2, "aftersales", "day", None, cancelled=True)]
    assert _check(ended) is None and _check(cancelled) is None


def test_refusals_in_order_same_agent_then_not_sold_then_full():
    held = [Held(9, "aftersales", "evening", None)]
    assert _check(held, scope="presales", shift="night").code == seats.SAME_AGENT
    assert _check([], scope="presales", shift="night").code == seats.NOT_SOLD
    assert _check([Held(1, "aftersales", "evening", None)], shift="evening").code == seats.SEAT_FULL


def test_no_seats_listed_means_no_bound_but_never_the_same_agent_twice():
    many = [Held(i, "presales", "night", None) for i in range(20)]
    assert _check(many, agent_id=99, scope="presales", shift="night", rows=[]) is None
    assert _check([Held(9, "presales", "night", None)], rows=[]).code == seats.SAME_AGENT


def test_usage_rows_list_the_sold_rows_then_the_unsold_ones_in_use():
    held = [Held(1, "aftersales", "day", None), Held(2, "presales", "night", None)]
    assert seats.usage_rows(ROWS, held, START) == [
        {"scope": "aftersales", "shift": "day", "sold": 3, "used": 1, "over": False},
        {"scope": "aftersales", "shift": "evening", "sold": 1, "used": 0, "over": False},
        {"scope": "presales", "shift": "night", "sold": 0, "used": 1, "over": True},
    ]
