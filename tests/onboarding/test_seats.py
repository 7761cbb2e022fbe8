"""Seats bound assignments; cancel and undo go-live — through HTTP as the roles named, database checked."""

from datetime import timedelta

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.onboarding import services
from ops.onboarding.models import Agent, Assignment
from ops.timeutil import today
from tests.factories import make_client
from tests.onboarding.helpers import complete_checklist, make_agent, make_assignment, make_contract

NEW = "/onboarding/assignments/new"


def _audit(db, action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Assignment))


def _post_new(client, contract, agent, scope="aftersales", shift="day", **extra):
    data = {
        "agent_id": agent.id,
        "contract_id": contract.id,
        "scope": scope,
        "shift": shift,
        "planned_go_live_on": (today() + timedelta(days=3)).isoformat(),
        **extra,
    }
    return client.post(NEW, data=data)


def _full_contract(db, by):
    """售后·白班 ×1 + 售后·晚班 ×1, the day seat taken by a pending assignment."""
    contract = make_contract(db, seats=[("aftersales", "day", 1), ("aftersales", "evening", 1)])
    held = make_agent(db, name="占座")
    services.create_assignment(
        held, contract, scope="aftersales", shift="day", planned_go_live_on=today() + timedelta(days=2), by=by
    )
    db.session.commit()
    return contract


# --- seats -------------------------------------------------------------------------------------


def test_a_scope_and_shift_the_contract_does_not_sell_is_refused(client, login_as, db):
    login_as("trainer")
    contract = make_contract(db, seats=[("aftersales", "day", 3), ("aftersales", "evening", 3)])
    response = _post_new(client, contract, make_agent(db), scope="presales", shift="night")
    assert response.status_code == 200  # the form again, with its error
    assert "没有该服务范围与班次的席位" in response.get_data(as_text=True)
    assert _count(db) == 0
    # A manager's reason does not lift it either: the contract never sold that seat.
    client.post("/logout")
    login_as("manager")
    response = _post_new(
        client, contract, make_agent(db), scope="presales", shift="night", override_reason="急用"
    )
    assert response.status_code == 200 and _count(db) == 0


def test_the_same_agent_twice_on_one_contract_is_refused_until_the_first_ends(
    client, login_as, make_user, db
):
    trainer = login_as("trainer")
    contract = make_contract(db, seats=[("aftersales", "day", 3), ("aftersales", "evening", 3)])
    agent = make_agent(db)
    assert _post_new(client, contract, agent).status_code == 302
    response = _post_new(client, contract, agent, shift="evening")
    assert response.status_code == 200 and "不能重复分配" in response.get_data(as_text=True)
    assert _count(db) == 1
    # Once the first assignment has ended (before the new one starts) the agent may serve again.
    first = db.session.scalar(sa.select(Assignment))
    complete_checklist(db, first, trainer, make_user("manager"))
    services.go_live(first, by=make_user("manager"), on=today() - timedelta(days=5))
    services.end_assignment(first, by=trainer, end_on=today())
    db.session.commit()
    assert _post_new(client, contract, agent, shift="evening").status_code == 302
    assert _count(db) == 2


def test_a_full_seat_is_refused_to_a_trainer_even_with_a_reason(client, login_as, db):
    trainer = login_as("trainer")
    contract = _full_contract(db, trainer)
    response = _post_new(client, contract, make_agent(db))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "席位已满（已占 1 / 合同 1）" in html
    response = _post_new(client, contract, make_agent(db), override_reason="客户大促")
    assert response.status_code == 200
    assert "只有经理或管理员可以超出合同席位分配" in response.get_data(as_text=True)
    assert _count(db) == 1 and not _audit(db, "assignment.seat_override")
    # The other shift still has its seat.
    assert _post_new(client, contract, make_agent(db), shift="evening").status_code == 302
    assert _count(db) == 2


def test_a_manager_exceeds_the_seats_only_with_a_reason_which_is_audited(client, login_as, make_user, db):
    contract = _full_contract(db, make_user("trainer"))
    manager = login_as("manager")
    response = _post_new(client, contract, make_agent(db))
    assert response.status_code == 200 and "席位已满" in response.get_data(as_text=True)
    assert _count(db) == 1
    response = _post_new(
        client, contract, make_agent(db, name="超编"), override_reason="  客户大促临时加人  "
    )
    assert response.status_code == 302
    extra = db.session.scalar(sa.select(Assignment).join(Agent).where(Agent.name == "超编"))
    assert extra.seat_override_reason == "客户大促临时加人"
    [entry] = _audit(db, "assignment.seat_override")
    assert entry.object_id == extra.id and entry.user_id == manager.id
    assert entry.after["override_reason"] == "客户大促临时加人"
    # The pages show it: 2 used of 1 sold, over.
    assert services.seat_usage(contract)[0] == {
        "scope": "aftersales",
        "shift": "day",
        "sold": 1,
        "used": 2,
        "over": True,
    }
    html = client.get(f"/onboarding/assignments/{extra.id}").get_data(as_text=True)
    assert "超编" in html and "客户大促临时加人" in html


def test_cancelled_and_ended_assignments_free_their_seat(client, login_as, make_user, db):
    trainer = login_as("trainer")
    contract = _full_contract(db, trainer)
    held = db.session.scalar(sa.select(Assignment))
    assert (
        client.post(f"/onboarding/assignments/{held.id}/cancel", data={"reason": "客户换人"}).status_code
        == 302
    )
    newcomer = make_agent(db, name="接替")
    assert _post_new(client, contract, newcomer).status_code == 302
    assert services.seat_usage(contract)[0]["used"] == 1
    # An ended assignment frees its seat from its end day on.
    live = db.session.scalar(sa.select(Assignment).where(Assignment.agent_id == newcomer.id))
    complete_checklist(db, live, trainer, make_user("manager"))
    services.go_live(live, by=trainer, on=today() - timedelta(days=3))
    services.end_assignment(live, by=trainer, end_on=today() + timedelta(days=1))
    db.session.commit()
    assert _post_new(client, contract, make_agent(db)).status_code == 302  # planned in 3 days: free by then


def test_a_per_consult_contract_has_no_seat_bound(client, login_as, db):
    login_as("trainer")
    contract = make_contract(db)
    contract.terms = {"model": "per_consult", "seats": []}
    db.session.commit()
    for _ in range(3):
        assert _post_new(client, contract, make_agent(db), scope="presales", shift="night").status_code == 302
    assert _count(db) == 3


def test_contract_page_and_assignment_form_show_seats_used_and_sold(client, login_as, db):
    trainer = login_as("trainer")
    contract = _full_contract(db, trainer)
    client.post("/logout")
    login_as("manager")
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "席位（已占 / 合同）" in html
    rows = [r for r in html.split("<tr") if "白班" in r and "售后" in r]
    assert rows and ">1</td>" in rows[-1]
    html = client.get(f"{NEW}?contract_id={contract.id}").get_data(as_text=True)
    assert "席位（已占 / 合同）" in html and "超编原因" in html


# --- cancel ------------------------------------------------------------------------------------


def test_trainer_cancels_a_pending_assignment_kept_with_its_checklist_closed(client, login_as, db):
    trainer = login_as("trainer")
    assignment = make_assignment(db, by=trainer)
    response = client.post(f"/onboarding/assignments/{assignment.id}/cancel", data={"reason": "客户推迟上线"})
    assert response.status_code == 302
    db.session.refresh(assignment)
    assert assignment.status == "cancelled" and assignment.cancel_reason == "客户推迟上线"
    assert assignment.cancelled_by_id == trainer.id and assignment.cancelled_at is not None
    [entry] = _audit(db, "assignment.cancelled")
    assert entry.after == {"status": "cancelled", "reason": "客户推迟上线"}
    # The checklist is closed: no action offered, and a direct POST is refused.
    item = assignment.items[0]
    assert services.item_actions(item, trainer) == []
    client.post(f"/onboarding/items/{item.id}/done", data={"evidence": "x"})
    db.session.refresh(item)
    assert item.state == "todo"
    # The list shows it under its own state.
    html = client.get("/onboarding/assignments?state=cancelled").get_data(as_text=True)
    assert "共 1 条" in html and "已取消" in html
    # Twice is refused.
    client.post(f"/onboarding/assignments/{assignment.id}/cancel", data={"reason": ""})
    assert len(_audit(db, "assignment.cancelled")) == 1


def test_sales_may_not_cancel(client, login_as, make_user, db):
    trainer = make_user("trainer")
    pending = make_assignment(db, by=trainer)
    login_as("sales")
    assert (
        client.post(f"/onboarding/assignments/{pending.id}/cancel", data={"reason": "x"}).status_code == 403
    )
    db.session.refresh(pending)
    assert pending.cancelled_at is None


def test_a_live_assignment_is_not_cancelled(client, login_as, make_user, db):
    trainer, manager = make_user("trainer"), make_user("manager")
    live = make_assignment(db, by=trainer)
    complete_checklist(db, live, trainer, manager)
    services.go_live(live, by=manager, on=today())
    db.session.commit()
    login_as("manager")
    response = client.post(
        f"/onboarding/assignments/{live.id}/cancel", data={"reason": "x"}, follow_redirects=True
    )
    assert "已上线的分配不能取消" in response.get_data(as_text=True)
    db.session.refresh(live)
    assert live.cancelled_at is None and live.status == "live"


# --- undo go-live ------------------------------------------------------------------------------


def _live(db, trainer, manager, *, go_live_on=None, contract=None):
    assignment = make_assignment(db, contract=contract, by=trainer)
    complete_checklist(db, assignment, trainer, manager)
    services.go_live(assignment, by=manager, on=go_live_on or today())
    db.session.commit()
    return assignment


def test_manager_undoes_a_go_live_with_a_reason(client, login_as, make_user, db):
    trainer = make_user("trainer")
    manager = login_as("manager")
    assignment = _live(db, trainer, manager, go_live_on=today() - timedelta(days=1))
    # No reason: refused, nothing changed.
    client.post(f"/onboarding/assignments/{assignment.id}/undo-go-live", data={"reason": " "})
    db.session.refresh(assignment)
    assert assignment.go_live_on == today() - timedelta(days=1)
    response = client.post(
        f"/onboarding/assignments/{assignment.id}/undo-go-live", data={"reason": "误点上线"}
    )
    assert response.status_code == 302
    db.session.refresh(assignment)
    assert assignment.go_live_on is None and assignment.went_live_by_id is None
    assert assignment.status == "pending"
    [entry] = _audit(db, "assignment.go_live_undone")
    assert entry.before["go_live_on"] == (today() - timedelta(days=1)).isoformat()
    assert entry.after["reason"] == "误点上线" and entry.user_id == manager.id
    db.session.refresh(assignment.agent)
    assert assignment.agent.status == "ready"  # it serves nowhere else
    # It can go live again on the right day.
    services.go_live(assignment, by=manager, on=today())
    db.session.commit()
    assert assignment.go_live_on == today()


def test_a_trainer_may_not_undo_a_go_live(client, login_as, make_user, db):
    assignment = _live(db, make_user("trainer"), make_user("manager"))
    login_as("trainer")
    response = client.post(f"/onboarding/assignments/{assignment.id}/undo-go-live", data={"reason": "误点"})
    assert response.status_code == 403
    db.session.refresh(assignment)
    assert assignment.go_live_on == today()


def test_undo_go_live_is_refused_once_an_issued_invoice_covers_its_days(client, login_as, make_user, db):
    from ops.billing import services as billing

    trainer, manager = make_user("trainer"), make_user("manager")
    contract = make_contract(db, seats=[("presales", "day", 2)], start_on=today() - timedelta(days=120))
    went_live = today() - timedelta(days=40)
    assignment = _live(db, trainer, manager, go_live_on=went_live, contract=contract)
    period = went_live.strftime("%Y-%m")
    invoice, _outcome = billing.refresh_draft(contract, period)
    db.session.commit()
    login_as("manager")
    # A draft does not count: undoing is still possible…
    assert invoice.status == "draft"
    client.post(f"/onboarding/assignments/{assignment.id}/undo-go-live", data={"reason": "误点"})
    db.session.refresh(assignment)
    assert assignment.go_live_on is None
    services.go_live(assignment, by=manager, on=went_live)
    db.session.commit()
    # …an issued invoice of the month it went live in does.
    billing.issue_invoice(invoice.id, issued_on=today())
    response = client.post(
        f"/onboarding/assignments/{assignment.id}/undo-go-live",
        data={"reason": "误点"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "已开具并包含该分配的服务天数" in html and "红字发票" in html
    db.session.refresh(assignment)
    assert assignment.go_live_on == went_live
    assert len(_audit(db, "assignment.go_live_undone")) == 1


# --- small fixes -------------------------------------------------------------------------------


def test_a_pinduoduo_checklist_asks_for_the_phone_not_the_taobao_scan(client, login_as, db):
    trainer = login_as("trainer")
    pdd = make_contract(db, make_client(db, name="拼多多店", shops=[("pdd", "拼多多店")]))
    assignment = make_assignment(db, contract=pdd, by=trainer)
    titles = {i.title: i for i in assignment.items}
    assert "实人认证已完成（7 天内扫码）" not in titles
    assert titles["手机号已绑定（拼多多子账号需唯一手机号）"].required is True
    html = client.get(f"/onboarding/assignments/{assignment.id}").get_data(as_text=True)
    assert "淘宝子账号须" not in html
    taobao = make_assignment(
        db,
        contract=make_contract(db, make_client(db, name="淘宝店", shops=[("taobao", "淘宝店")])),
        by=trainer,
    )
    titles = {i.title: i for i in taobao.items}
    assert titles["实人认证已完成（7 天内扫码）"].required is True
    assert titles["手机号已绑定（拼多多子账号需唯一手机号）"].required is False  # optional outside Pinduoduo


def test_saving_the_sub_account_ticks_its_checklist_item(client, login_as, db):
    trainer = login_as("trainer")
    assignment = make_assignment(db, by=trainer)
    response = client.post(
        f"/onboarding/assignments/{assignment.id}/credential",
        data={"platform": "tmall", "account_name": "晨光:客服07", "password": "Secret#123"},
    )
    assert response.status_code == 302
    item = next(i for i in assignment.items if i.title == "子账号已创建")
    db.session.refresh(item)
    assert item.state == "done" and item.evidence == "晨光:客服07" and item.done_by_id == trainer.id


def test_the_trainers_dashboard_shows_training_and_onboarding_not_sales(client, login_as, db):
    login_as("trainer")
    html = client.get("/").get_data(as_text=True)
    assert "上线工作" in html and "进入上线看板" in html
    assert "我的客户" not in html and "即将到期的合同" not in html
    client.post("/logout")
    login_as("sales")
    html = client.get("/").get_data(as_text=True)
    assert "我的客户" in html and "上线工作" not in html
