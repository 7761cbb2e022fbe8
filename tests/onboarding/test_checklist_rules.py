"""The pure checklist rules: no app, no database."""

from dataclasses import dataclass
from datetime import date

import pytest

from ops.onboarding import checklist
from ops.onboarding.checklist import ChecklistError, can_go_live, check_item_transition, completion


@dataclass
class Item:
    title: str
    state: str = "todo"
    required: bool = True
    needs_verification: bool = False
    blocked_reason: str = ""


def test_default_template_covers_the_design_list():
    titles = [i.title for i in checklist.DEFAULT_TEMPLATE_ITEMS]
    assert len(titles) == 10
    assert titles[0] == "子账号已创建" and titles[-1] == "质检已开启"
    assert {i.category for i in checklist.DEFAULT_TEMPLATE_ITEMS} == set(checklist.CATEGORIES)
    verified = {i.title for i in checklist.DEFAULT_TEMPLATE_ITEMS if i.needs_verification}
    assert verified == {"实人认证已完成（7 天内扫码）", "快捷短语已导入"}
    auto = {i.auto_rule: i.title for i in checklist.DEFAULT_TEMPLATE_ITEMS if i.auto_rule}
    assert auto == {"training_attended": "已参加培训", "exam_passed": "产品考试已通过"}
    optional = [i.title for i in checklist.DEFAULT_TEMPLATE_ITEMS if not i.required]
    assert optional == ["手机号已绑定（拼多多子账号需唯一手机号）"]


@pytest.mark.parametrize(
    "state,target,ok",
    [
        ("todo", "done", True),
        ("todo", "blocked", True),
        ("todo", "na", True),
        ("todo", "verified", False),
        ("done", "verified", True),
        ("done", "todo", True),
        ("done", "blocked", False),
        ("done", "na", False),
        ("blocked", "todo", True),
        ("blocked", "done", True),
        ("blocked", "verified", False),
        ("na", "todo", True),
        ("na", "done", False),
        ("verified", "todo", True),
        ("verified", "done", False),
    ],
)
def test_transitions(state, target, ok):
    kwargs = dict(required=False, needs_verification=True, done_by_id=1, actor_id=2, reason="等待客户")
    if ok:
        check_item_transition(state, target, **kwargs)
    else:
        with pytest.raises(ChecklistError):
            check_item_transition(state, target, **kwargs)


def test_verification_needs_a_second_person():
    with pytest.raises(ChecklistError, match="另一位同事"):
        check_item_transition("done", "verified", needs_verification=True, done_by_id=7, actor_id=7)
    check_item_transition("done", "verified", needs_verification=True, done_by_id=7, actor_id=8)
    # An item ticked by the training records (done by nobody) may be verified by anyone.
    check_item_transition("done", "verified", needs_verification=True, done_by_id=None, actor_id=7)
    with pytest.raises(ChecklistError, match="无需复核"):
        check_item_transition("done", "verified", needs_verification=False, done_by_id=7, actor_id=8)


def test_block_needs_a_reason_and_required_items_cannot_be_na():
    with pytest.raises(ChecklistError, match="受阻原因"):
        check_item_transition("todo", "blocked", reason="  ")
    with pytest.raises(ChecklistError, match="必填项不能标记为不适用"):
        check_item_transition("todo", "na", required=True)
    check_item_transition("todo", "na", required=False)
    assert checklist.allowed_targets("todo", required=True, needs_verification=False) == ("done", "blocked")


def test_gate_lists_every_open_required_item():
    items = [
        Item("子账号已创建", "done"),
        Item("实人认证", "done", needs_verification=True),
        Item("快捷短语", "blocked", blocked_reason="客户未提供"),
        Item("手机号已绑定", "todo", required=False),
        Item("质检已开启", "todo"),
    ]
    ok, reasons = can_go_live(items)
    assert not ok
    assert reasons == ["“实人认证”待第二人复核", "“快捷短语”受阻：客户未提供", "“质检已开启”尚未完成"]


def test_gate_opens_when_required_items_are_done_or_verified():
    items = [
        Item("子账号已创建", "done"),
        Item("实人认证", "verified", needs_verification=True),
        Item("手机号已绑定", "na", required=False),
        Item("跟岗", "todo", required=False),
    ]
    assert can_go_live(items) == (True, [])
    # n/a never satisfies a required item (should one get there, e.g. after a template change).
    assert can_go_live([Item("质检", "na", required=True)])[0] is False
    assert can_go_live([])[0] is False


def test_completion_counts_done_and_verified_out_of_applicable_items():
    items = [
        Item("a", "done"),
        Item("b", "verified"),
        Item("c", "todo"),
        Item("d", "na", required=False),
        Item("e", "blocked"),
    ]
    assert completion(items) == (2, 4)


def test_auto_tick_target():
    assert checklist.auto_tick_target("todo", auto_ticked=False, fact_holds=True) == "done"
    assert checklist.auto_tick_target("done", auto_ticked=True, fact_holds=False) == "todo"
    assert (
        checklist.auto_tick_target("done", auto_ticked=False, fact_holds=False) is None
    )  # a person ticked it
    assert checklist.auto_tick_target("blocked", auto_ticked=False, fact_holds=True) is None
    assert checklist.auto_tick_target("verified", auto_ticked=True, fact_holds=False) is None


def test_date_problems():
    start, end = date(2026, 3, 1), date(2027, 2, 28)
    assert checklist.date_problems(start, end, planned_go_live_on=date(2026, 3, 1)) == {}
    problems = checklist.date_problems(start, end, planned_go_live_on=date(2026, 2, 28))
    assert problems["planned_go_live_on"] == "计划上线日期不能早于合同开始日期（2026-03-01）。"
    problems = checklist.date_problems(start, end, go_live_on=date(2027, 3, 1))
    assert "不能晚于合同结束日期" in problems["go_live_on"]
    same = checklist.date_problems(start, end, go_live_on=date(2026, 4, 1), end_on=date(2026, 4, 1))
    assert "结束日期必须晚于上线日期" in same["end_on"]
    before = checklist.date_problems(start, end, go_live_on=date(2026, 4, 1), end_on=date(2026, 3, 20))
    assert "end_on" in before
    assert checklist.date_problems(start, end, go_live_on=date(2026, 4, 1), end_on=date(2026, 4, 2)) == {}
