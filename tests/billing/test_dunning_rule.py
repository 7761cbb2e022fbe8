"""The dunning rule (ops.billing.engine.dunning): which reminder level is due on a day, worked by hand."""

from datetime import date

import pytest

from ops.billing.engine.dunning import DEFAULT_DUNNING_DAYS, Reminder, dunning_days, reminder_due

DUE = date(2026, 12, 5)  # levels −3, +1, +7, +15 → Dec 2, Dec 6, Dec 12, Dec 20


@pytest.mark.parametrize(
    "today, sent, expected",
    [
        (date(2026, 12, 1), [], None),  # before the first level
        (date(2026, 12, 2), [], Reminder(1, -3, date(2026, 12, 2), False)),
        (date(2026, 12, 3), [1], None),  # level 1 sent, level 2 not reached
        (date(2026, 12, 5), [1], None),  # the due date itself: nothing new
        (date(2026, 12, 6), [1], Reminder(2, 1, date(2026, 12, 6), False)),
        (date(2026, 12, 11), [1, 2], None),
        (date(2026, 12, 12), [1, 2], Reminder(3, 7, date(2026, 12, 12), False)),
        (date(2026, 12, 20), [1, 2, 3], Reminder(4, 15, date(2026, 12, 20), True)),
        (date(2027, 3, 1), [1, 2, 3, 4], None),  # after the final notice: never again
        # Missed days: the reminder is sent once, late, not once per missed day …
        (date(2026, 12, 9), [1], Reminder(2, 1, date(2026, 12, 6), False)),
        # … and a later level supersedes an earlier one never sent (no backlog of stale reminders).
        (date(2026, 12, 13), [], Reminder(3, 7, date(2026, 12, 12), False)),
        (date(2026, 12, 13), [1], Reminder(3, 7, date(2026, 12, 12), False)),
        (date(2026, 12, 25), [1], Reminder(4, 15, date(2026, 12, 20), True)),
        # A later level already sent (a superseding one): the earlier one is never sent after it.
        (date(2026, 12, 13), [3], None),
    ],
)
def test_the_level_due_on_a_day(today, sent, expected):
    assert reminder_due(DUE, today, DEFAULT_DUNNING_DAYS, sent) == expected


def test_a_contracts_own_levels_are_sorted_and_the_last_is_final():
    # Terms say [30, 0, 10]: levels 0 → 1, 10 → 2, 30 → 3 (final).
    assert reminder_due(DUE, date(2026, 12, 5), [30, 0, 10], []) == Reminder(1, 0, DUE, False)
    assert reminder_due(DUE, date(2026, 12, 15), [30, 0, 10], [1]) == Reminder(
        2, 10, date(2026, 12, 15), False
    )
    assert reminder_due(DUE, date(2027, 1, 4), [30, 0, 10], [1, 2]) == Reminder(3, 30, date(2027, 1, 4), True)
    assert reminder_due(DUE, date(2027, 1, 4), [30], []) == Reminder(1, 30, date(2027, 1, 4), True)


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, (-3, 1, 7, 15)),
        ([], (-3, 1, 7, 15)),
        ("-3,1", (-3, 1, 7, 15)),
        ([7, -3, 7], (-3, 7)),
        ([1, "7"], (-3, 1, 7, 15)),  # a malformed list falls back whole, never half-read
        ([1, True], (-3, 1, 7, 15)),
        ([1, 400], (-3, 1, 7, 15)),
        (list(range(1, 10)), (-3, 1, 7, 15)),  # more than 8 levels
        ((0, 30), (0, 30)),
    ],
)
def test_the_terms_value_is_read_safely(value, expected):
    assert dunning_days(value) == expected


def test_the_final_notice_warns_of_suspension_only_when_a_clause_allows_it():
    from ops.billing.engine.dunning import allows_suspension

    default_clause = "付款违约 甲方未按约定日期支付服务费的……逾期超过 15 日的，乙方有权暂停服务。"
    assert allows_suspension(["服务质量违约 扣减当期服务费", default_clause]) is True
    assert allows_suspension(["服务质量违约 扣减当期服务费", "提前解除 提前 30 日书面通知"]) is False
    assert allows_suspension([]) is False


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-3, 1, 7, 15", (-3, 1, 7, 15)),
        ("15，7、+1 -3", (-3, 1, 7, 15)),
        ("", (-3, 1, 7, 15)),
        (None, (-3, 1, 7, 15)),
        ("0", (0,)),
    ],
)
def test_the_form_text_is_parsed(text, expected):
    from ops.billing.engine.dunning import parse_dunning_days

    assert parse_dunning_days(text) == expected


@pytest.mark.parametrize("text", ["-3, 一周", "1.5", "-91", "366", "1,2,3,4,5,6,7,8,9"])
def test_bad_form_text_is_refused(text):
    from ops.billing.engine.dunning import parse_dunning_days

    with pytest.raises(ValueError):
        parse_dunning_days(text)


def test_the_days_read_back_with_signs():
    from ops.billing.engine.dunning import format_dunning_days

    assert format_dunning_days((-3, 0, 1, 15)) == "-3, 0, +1, +15"
