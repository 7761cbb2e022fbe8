"""Assignments and the go-live gate: refusals name the open items, overrides need a manager and a reason."""

from datetime import timedelta

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.onboarding import services
from ops.onboarding.models import Assignment, ChecklistItem
from ops.timeutil import today
from tests.conftest import login
from tests.onboarding.helpers import complete_checklist, make_agent, make_assignment, make_contract


def _audit(db, action):
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_creating_an_assignment_copies_the_template_and_moves_agent_and_client(client, login_as, db):
    login_as("trainer")
    contract = make_contract(db)
    agent = make_agent(db)
    planned = today() + timedelta(days=5)
    response = client.post(
        "/onboarding/assignments/new",
        data={
            "agent_id": agent.id,
            "contract_id": contract.id,
            "scope": "aftersales",
            "shift": "evening",
            "planned_go_live_on": planned.isoformat(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assignment = db.session.scalar(sa.select(Assignment))
    assert assignment.client_id == contract.client_id and assignment.planned_go_live_on == planned
    assert [i.title for i in assignment.items][:2] == ["子账号已创建", "权限已设置"]
    assert len(assignment.items) == 10 and all(i.state == "todo" for i in assignment.items)
    db.session.refresh(agent)
    assert agent.status == "training"
    assert db.session.get(type(contract.client), contract.client_id).stage == "onboarding"
    assert _audit(db, "assignment.created")


def test_only_active_or_pending_contracts_take_assignments(db):
    draft = make_contract(db, status="draft")
    agent = make_agent(db)
    try:
        services.create_assignment(agent, draft, scope="presales", shift="day", planned_go_live_on=None)
    except services.OnboardingError as exc:
        assert "已生效或待签署" in str(exc)
    else:
        raise AssertionError("a draft contract took an assignment")
    pending = make_contract(db, status="pending_signature")
    assert services.create_assignment(agent, pending, scope="presales", shift="day", planned_go_live_on=None)


def test_planned_go_live_before_contract_start_is_refused(client, login_as, db):
    login_as("trainer")
    contract = make_contract(db, start_on=today() + timedelta(days=10))
    agent = make_agent(db)
    response = client.post(
        "/onboarding/assignments/new",
        data={
            "agent_id": agent.id,
            "contract_id": contract.id,
            "scope": "presales",
            "shift": "day",
            "planned_go_live_on": today().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "计划上线日期不能早于合同开始日期" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0


def test_an_assignment_without_agent_or_contract_names_both_and_creates_nothing(client, login_as, db):
    login_as("trainer")
    response = client.post(
        "/onboarding/assignments/new",
        data={"agent_id": "0", "contract_id": "999999", "scope": "presales", "shift": "day"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请选择客服。" in html and "请选择合同。" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0


def test_go_live_refused_with_open_items_listed(client, login_as, db):
    user = login_as("trainer")
    assignment = make_assignment(db, by=user)
    response = client.post(
        f"/onboarding/assignments/{assignment.id}/go-live",
        data={"go_live_on": today().isoformat()},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "清单未完成，不能上线" in html
    assert "“子账号已创建”尚未完成" in html and "“质检已开启”尚未完成" in html
    assert "手机号已绑定" not in html.split("清单未完成，不能上线")[1].split("</div>")[0]  # optional item
    db.session.refresh(assignment)
    assert assignment.go_live_on is None and not _audit(db, "assignment.went_live")


def test_go_live_allowed_when_required_items_are_done_or_verified(client, app, login_as, make_user, db):
    user = login_as("trainer")
    checker = make_user("manager")
    assignment = make_assignment(db, by=user)
    complete_checklist(db, assignment, user, checker)
    day = today() - timedelta(days=1)
    response = client.post(
        f"/onboarding/assignments/{assignment.id}/go-live", data={"go_live_on": day.isoformat()}
    )
    assert response.status_code == 302
    db.session.refresh(assignment)
    assert assignment.go_live_on == day and assignment.override_reason == ""
    assert assignment.went_live_by_id == user.id
    assert assignment.agent.status == "live" and assignment.client.stage == "live"
    [entry] = _audit(db, "assignment.went_live")
    assert (
        entry.after == {"go_live_on": day.isoformat(), "overridden": False} and entry.actor == user.username
    )
    assert not _audit(db, "assignment.go_live_override")


def test_done_without_the_second_persons_verification_keeps_the_gate_closed(db, make_user):
    trainer = make_user("trainer")
    assignment = make_assignment(db, by=trainer)
    for item in assignment.items:
        if item.required:
            services.mark_item_done(item, by=trainer)
    ok, reasons = services.gate(assignment)
    assert not ok and reasons == [
        "“实人认证已完成（7 天内扫码）”待第二人复核",
        "“快捷短语已导入”待第二人复核",
    ]


def test_manager_override_needs_a_reason_and_is_audited(client, login_as, db):
    manager = login_as("manager")
    assignment = make_assignment(db, by=manager)
    url = f"/onboarding/assignments/{assignment.id}/go-live"
    client.post(url, data={"go_live_on": today().isoformat(), "override_reason": "  "})
    db.session.refresh(assignment)
    assert assignment.go_live_on is None
    response = client.post(
        url, data={"go_live_on": today().isoformat(), "override_reason": "大促前客户要求提前上线"}
    )
    assert response.status_code == 302
    db.session.refresh(assignment)
    assert assignment.go_live_on == today() and assignment.override_reason == "大促前客户要求提前上线"
    [override] = _audit(db, "assignment.go_live_override")
    assert override.summary == "大促前客户要求提前上线" and override.actor == manager.username
    assert "“子账号已创建”尚未完成" in override.after["open_items"]
    [went] = _audit(db, "assignment.went_live")
    assert went.after["overridden"] is True


def test_trainer_cannot_override_and_sales_cannot_write(client, app, login_as, make_user, db):
    trainer = make_user("trainer")
    assignment = make_assignment(db, by=trainer)
    login(client, trainer.username)
    response = client.post(
        f"/onboarding/assignments/{assignment.id}/go-live",
        data={"go_live_on": today().isoformat(), "override_reason": "赶时间"},
        follow_redirects=True,
    )
    assert "只有经理或管理员可以在清单未完成时强制上线" in response.get_data(as_text=True)
    db.session.refresh(assignment)
    assert assignment.go_live_on is None

    sales_client = app.test_client()
    sales = make_user("sales")
    login(sales_client, sales.username)
    url = f"/onboarding/assignments/{assignment.id}/go-live"
    assert (
        sales_client.post(url, data={"go_live_on": today().isoformat(), "override_reason": "x"}).status_code
        == 403
    )
    item = assignment.items[0]
    assert sales_client.post(f"/onboarding/items/{item.id}/done", data={"evidence": "x"}).status_code == 403
    assert sales_client.get("/onboarding/agents/new").status_code == 403
    assert (
        sales_client.post("/onboarding/agents/new", data={"name": "x", "employee_no": "x"}).status_code == 403
    )
    assert sales_client.get("/onboarding/assignments").status_code == 200  # read-only access
    assert sales_client.get(f"/onboarding/assignments/{assignment.id}").status_code == 200
    assert (
        sales_client.get("/onboarding/").status_code == 403
    )  # the dashboard is for managers, admins, trainers
    db.session.refresh(assignment)
    assert assignment.go_live_on is None and assignment.items[0].state == "todo"


def test_verification_by_a_different_user_only(client, app, login_as, make_user, db):
    trainer = login_as("trainer")
    assignment = make_assignment(db, by=trainer)
    item = next(i for i in assignment.items if i.needs_verification)
    client.post(f"/onboarding/items/{item.id}/done", data={"evidence": "已扫码"})
    response = client.post(f"/onboarding/items/{item.id}/verify", follow_redirects=True)
    assert "复核须由另一位同事完成" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.state == "done" and item.evidence == "已扫码" and item.done_by_id == trainer.id

    other = app.test_client()
    manager = make_user("manager")
    login(other, manager.username)
    assert other.post(f"/onboarding/items/{item.id}/verify").status_code == 302
    db.session.refresh(item)
    assert item.state == "verified" and item.verified_by_id == manager.id
    assert _audit(db, "checklist_item.verified")[0].actor == manager.username


def test_block_needs_a_reason_and_shows_it(client, login_as, db):
    trainer = login_as("trainer")
    assignment = make_assignment(db, by=trainer)
    item = assignment.items[0]
    client.post(f"/onboarding/items/{item.id}/block", data={"reason": ""})
    db.session.refresh(item)
    assert item.state == "todo"
    client.post(f"/onboarding/items/{item.id}/block", data={"reason": "店铺子账号名额不足"})
    db.session.refresh(item)
    assert item.state == "blocked" and item.blocked_reason == "店铺子账号名额不足"
    html = client.get(f"/onboarding/assignments/{assignment.id}").get_data(as_text=True)
    assert "店铺子账号名额不足" in html


def test_end_dates(client, login_as, make_user, db):
    manager = login_as("manager")
    assignment = make_assignment(db, by=manager)
    complete_checklist(db, assignment, make_user("trainer"), manager)
    live_on = today() - timedelta(days=10)
    services.go_live(assignment, by=manager, on=live_on)
    db.session.commit()
    url = f"/onboarding/assignments/{assignment.id}/end"
    response = client.post(
        url, data={"end_on": (live_on - timedelta(days=1)).isoformat()}, follow_redirects=True
    )
    assert "结束日期必须晚于上线日期" in response.get_data(as_text=True)
    response = client.post(url, data={"end_on": live_on.isoformat()}, follow_redirects=True)
    assert "结束日期必须晚于上线日期" in response.get_data(as_text=True)
    db.session.refresh(assignment)
    assert assignment.end_on is None
    client.post(url, data={"end_on": (live_on + timedelta(days=1)).isoformat()})
    db.session.refresh(assignment)
    assert assignment.end_on == live_on + timedelta(days=1)
    assert assignment.agent.status == "ready"  # serves nowhere else now
    assert _audit(db, "assignment.ended")


def test_go_live_outside_the_contract_or_in_the_future_is_refused(db, make_user):
    manager = make_user("manager")
    contract = make_contract(db, start_on=today() - timedelta(days=5))
    assignment = make_assignment(db, contract=contract, by=manager)
    for day, message in (
        (today() - timedelta(days=6), "不能早于合同开始日期"),
        (today() + timedelta(days=1), "不能晚于今天"),
    ):
        try:
            services.go_live(assignment, by=manager, on=day, override_reason="测试")
        except services.OnboardingError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(day)
    assert assignment.go_live_on is None


def test_template_changes_affect_new_assignments_only(client, login_as, db):
    login_as("admin")
    first = make_assignment(db)
    template = services.ensure_default_template()
    db.session.commit()
    response = client.post(
        "/admin/onboarding/checklist/items/new",
        data={
            "title": "店铺交接完成",
            "category": "系统",
            "required": "y",
            "evidence_note": "",
            "auto_rule": "",
        },
    )
    assert response.status_code == 302
    last = template.items[-1]
    client.post(f"/admin/onboarding/checklist/items/{last.id}/up")
    db.session.refresh(template)
    assert [i.title for i in template.items][-2:] == ["店铺交接完成", "质检已开启"]
    second = make_assignment(db)
    assert "店铺交接完成" not in [i.title for i in first.items]
    assert [i.title for i in second.items][-2] == "店铺交接完成"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistItem)) == 21
