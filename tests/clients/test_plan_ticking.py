"""The outsourcing plan follows what happened: items tick themselves, overdue means not done by its date."""

from datetime import date

import sqlalchemy as sa

from ops.clients import services
from ops.clients.models import PlanItem
from ops.clients.plan import PipelineFacts, events_happened, item_done_by, plan_progress
from ops.contracts import services as contract_services
from tests.contracts.helpers import make_contract, sign_and_pay
from tests.factories import make_client, make_needs

ON = date(2026, 11, 30)


def test_why_an_item_counts_as_done():
    happened = {"needs_recorded"}
    assert item_done_by(True, "", 4, happened, set()) == "hand"
    assert item_done_by(False, "needs_recorded", 1, happened, set()) == "event"
    assert item_done_by(False, "quote_sent", 2, happened, {1, 2}) == "phase"
    assert item_done_by(False, "quote_sent", 2, happened, {1}) == ""
    assert item_done_by(False, "", 3, happened, set()) == ""


def test_events_follow_the_facts():
    nothing = PipelineFacts()
    assert events_happened(nothing) == set()
    facts = PipelineFacts(has_needs=True, quotes_accepted=1, deposit_received=True, materials_uploaded=2)
    # An accepted quote was sent, even if the count of sent quotes is not known.
    assert events_happened(facts) == {
        "needs_recorded",
        "quote_sent",
        "quote_accepted",
        "deposit_received",
        "materials_uploaded",
    }


def _plan(db, client):
    services.create_plan_from_template(client, start_date=date(2026, 1, 1))  # all due long ago
    db.session.commit()
    return db.session.scalars(sa.select(PlanItem).where(PlanItem.client_id == client.id)).all()


def _by_title(client, items):
    states = services.plan_item_states(client, items)
    return {item.title: states[item.id] for item in items}


def test_recording_needs_ticks_the_needs_items_and_nothing_else(db):
    client = make_client(db)
    items = _plan(db, client)
    before = _by_title(client, items)
    assert before["与店铺负责人沟通并确认外包需求"] == ""
    make_needs(db, client)
    after = _by_title(client, items)
    assert after["与店铺负责人沟通并确认外包需求"] == "event"
    assert after["收集近 30 天咨询量、询单转化率与客单价数据"] == "event"
    # Phase 1 is done with the needs, so its concerns and its remaining work item are settled too.
    assert after["制定外包计划：各阶段重点关注问题与重点工作"] == "phase"
    assert after["根据需求测算坐席数并出具报价单"] == ""
    assert after["确认定金到账"] == ""


def test_a_signed_contract_with_its_deposit_ticks_contract_and_deposit_items(db):
    contract = make_contract(db)
    sign_and_pay(db, contract)
    contract_services.activate(contract)
    db.session.commit()
    client = contract.client
    states = _by_title(client, _plan(db, client))
    assert states["完成合同签署并归档签字版"] in ("event", "phase")
    assert states["确认定金到账"] in ("event", "phase")
    assert states["与客户洽谈价格并确认报价"] in ("event", "phase")
    # Training and go-live have not happened: their items are still open.
    assert states["组织产品知识考试"] == ""
    assert states["客服正式上线接待"] == ""


def test_a_live_client_shows_no_stale_overdue_items_before_settlement(db, client, login_as):
    live = make_client(db, stage="live")
    items = _plan(db, live)
    states = services.plan_item_states(live, items)
    progress = plan_progress([(i.phase, bool(states[i.id]), i.due_on) for i in items], ON)
    assert [progress[p].overdue for p in (1, 2, 3, 4, 5)] == [0, 0, 0, 0, 0]
    # Settlement has not started (no invoice issued): its three work items and concerns are late.
    assert progress[6].overdue == progress[6].total
    login_as("manager")
    page = client.get(f"/clients/{live.id}/plan").get_data(as_text=True)
    assert "自动完成：本阶段已完成" in page
    assert page.count("已逾期") == progress[6].total
