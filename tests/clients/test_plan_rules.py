from datetime import date

from ops.clients.plan import (
    DEFAULT_PLAN,
    PipelineFacts,
    current_phase,
    diff_needs,
    pipeline_phases,
    plan_from_template,
    plan_progress,
)


def states(facts):
    return [p.state for p in pipeline_phases(facts)]


def test_a_new_lead_is_in_phase_one():
    assert states(PipelineFacts()) == ["current", "todo", "todo", "todo", "todo", "todo"]
    assert current_phase(PipelineFacts()) == 1


def test_needs_finish_phase_one_and_a_sent_quote_starts_phase_two():
    phases = pipeline_phases(PipelineFacts(has_needs=True, quotes_sent=1))
    assert [p.state for p in phases] == ["done", "current", "todo", "todo", "todo", "todo"]
    assert phases[1].started and not phases[0].started


def test_an_accepted_quote_finishes_phase_two():
    assert states(PipelineFacts(has_needs=True, quotes_sent=2, quotes_accepted=1)) == [
        "done",
        "done",
        "current",
        "todo",
        "todo",
        "todo",
    ]


def test_later_facts_fed_by_other_modules():
    facts = PipelineFacts(
        has_needs=True, quotes_accepted=1, contracts_signed=1, training_done=True, agents_live=3
    )
    assert states(facts) == ["done", "done", "done", "done", "done", "current"]
    facts = PipelineFacts(
        has_needs=True,
        quotes_accepted=1,
        contracts_signed=1,
        training_done=True,
        agents_live=3,
        invoices_issued=1,
    )
    assert states(facts) == ["done"] * 6
    assert current_phase(facts) is None


def test_a_gap_stops_the_run_of_done_phases():
    # a contract without recorded needs: phase 1 is still the current one
    assert states(PipelineFacts(contracts_signed=1)) == ["current", "todo", "todo", "todo", "todo", "todo"]


def test_the_stage_vouches_for_earlier_phases():
    assert states(PipelineFacts(stage="live")) == ["done"] * 5 + ["current"]
    assert states(PipelineFacts(stage="contracted")) == ["done", "done", "done", "current", "todo", "todo"]
    assert states(PipelineFacts(stage="paused", has_needs=True)) == [
        "done",
        "current",
        "todo",
        "todo",
        "todo",
        "todo",
    ]


def test_default_plan_has_two_to_four_concerns_and_work_items_per_phase():
    assert sorted(DEFAULT_PLAN) == [1, 2, 3, 4, 5, 6]
    for phase in DEFAULT_PLAN.values():
        assert 2 <= len(phase["concern"]) <= 4
        assert 2 <= len(phase["work"]) <= 4
    assert {"违约条款"} <= set(DEFAULT_PLAN[3]["concern"])
    assert {"子账号与密码准备并完成认证", "快捷短语导入"} <= set(DEFAULT_PLAN[5]["work"])


def test_plan_from_template_spreads_due_dates_by_phase():
    items = plan_from_template(date(2026, 3, 1))
    assert len(items) == sum(len(p["concern"]) + len(p["work"]) for p in DEFAULT_PLAN.values())
    due = {i.phase: i.due_on for i in items}
    # offsets 3, 7, 14, 21, 28 and 65 days after 2026-03-01
    assert due == {
        1: date(2026, 3, 4),
        2: date(2026, 3, 8),
        3: date(2026, 3, 15),
        4: date(2026, 3, 22),
        5: date(2026, 3, 29),
        6: date(2026, 5, 5),
    }
    phase_one = [i for i in items if i.phase == 1]
    assert [i.position for i in phase_one] == list(range(len(phase_one)))
    assert phase_one[0].kind == "concern" and phase_one[-1].kind == "work"


def test_plan_progress_counts_done_and_overdue():
    today = date(2026, 3, 10)
    items = [
        (1, True, date(2026, 3, 1)),
        (1, False, date(2026, 3, 9)),
        (1, False, date(2026, 3, 10)),
        (2, False, None),
        (2, True, None),
    ]
    progress = plan_progress(items, today)
    assert (progress[1].done, progress[1].total, progress[1].overdue, progress[1].percent) == (1, 3, 1, 33)
    assert (progress[2].done, progress[2].total, progress[2].overdue, progress[2].percent) == (1, 2, 0, 50)
    assert (progress[6].total, progress[6].percent) == (0, 0)


def test_diff_needs_lists_changed_fields_in_form_order():
    v1 = {
        "platform": "tmall",
        "scope": "presales",
        "shifts": ["day", "evening"],
        "avg_daily_consults": 800,
        "avg_order_value_fen": 25_000,
        "special_requirements": "",
    }
    v2 = dict(v1, scope="both", shifts=["evening", "day"], avg_daily_consults=1000, special_requirements=None)
    changes = diff_needs(v1, v2)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("scope", "presales", "both"),
        ("avg_daily_consults", 800, 1000),
    ]
    assert diff_needs(None, v2) == []
    assert diff_needs(v2, v2) == []
