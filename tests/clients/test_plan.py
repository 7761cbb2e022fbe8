from datetime import date, timedelta

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.clients.models import PlanItem
from ops.clients.plan import DEFAULT_PLAN
from ops.timeutil import today
from tests.factories import make_client

TEMPLATE_SIZE = sum(len(p["concern"]) + len(p["work"]) for p in DEFAULT_PLAN.values())


def items(db, client):
    return db.session.scalars(
        sa.select(PlanItem).where(PlanItem.client_id == client.id).order_by(PlanItem.phase, PlanItem.position)
    ).all()


def test_plan_from_template_with_due_dates_and_owner(client, login_as, db):
    me = login_as("sales")
    target = make_client(db, owner_id=me.id)
    response = client.post(f"/clients/{target.id}/plan/create", data={"start_date": "2026-03-01"})
    assert response.status_code == 302
    plan = items(db, target)
    assert len(plan) == TEMPLATE_SIZE
    assert {i.due_on for i in plan if i.phase == 3} == {date(2026, 3, 15)}  # 14 days after the start
    # The salesperson owning the client takes the sales work; the rest is owned by role.
    assert {i.owner_id for i in plan if i.kind == "work" and i.owner_role == "sales"} == {me.id}
    assert {i.owner_id for i in plan if i.kind == "work" and i.owner_role != "sales"} == {None}
    assert {i.owner_id for i in plan if i.kind == "concern"} == {None}
    owners = {i.title: (i.owner_role, i.tick_event) for i in plan if i.kind == "work"}
    assert owners["确认定金到账"] == ("finance", "deposit_received")
    assert owners["安排培训场次并完成培训（一般 3–5 天）"] == ("trainer", "training_done")
    assert owners["客服正式上线接待"] == ("manager", "agents_live")
    assert owners["出具结算单与发票"] == ("finance", "invoice_issued")
    assert {i.owner_role for i in plan if i.phase == 4 and i.kind == "concern"} == {"trainer"}
    assert "违约条款" in {i.title for i in plan if i.phase == 3}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.plan_created"))
    assert entry.object_id == target.id and entry.after["items"] == TEMPLATE_SIZE


def test_creating_a_plan_twice_is_refused(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    client.post(f"/clients/{target.id}/plan/create", data={"start_date": "2026-03-01"})
    html = client.post(
        f"/clients/{target.id}/plan/create", data={"start_date": "2026-04-01"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已有外包计划" in html
    assert len(items(db, target)) == TEMPLATE_SIZE
    assert {i.due_on for i in items(db, target) if i.phase == 1} == {date(2026, 3, 4)}


def test_ticking_records_who_and_when_and_is_audited(client, login_as, db):
    me = login_as("sales")
    target = make_client(db)
    client.post(f"/clients/{target.id}/plan/create", data={"start_date": "2026-03-01"})
    item = items(db, target)[0]
    client.post(f"/clients/{target.id}/plan/items/{item.id}/toggle")
    db.session.refresh(item)
    assert item.done_at is not None and item.done_by_id == me.id
    client.post(f"/clients/{target.id}/plan/items/{item.id}/toggle")
    db.session.refresh(item)
    assert item.done_at is None and item.done_by_id is None
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "plan_items").order_by(AuditEntry.id)
    ).all()
    assert actions == ["plan_item.done", "plan_item.undone"]


def test_the_owner_of_an_item_may_tick_it_other_viewers_may_not(client, login_as, make_user, db):
    target = make_client(db)
    trainer = make_user("trainer")
    login_as("sales")
    client.post(f"/clients/{target.id}/plan/create", data={"start_date": "2026-03-01"})
    mine, other = items(db, target)[:2]
    mine.owner_id = trainer.id
    db.session.commit()
    client.post("/logout")
    from tests.conftest import login

    login(client, trainer.username)
    assert client.post(f"/clients/{target.id}/plan/items/{mine.id}/toggle").status_code == 302
    assert client.post(f"/clients/{target.id}/plan/items/{other.id}/toggle").status_code == 403
    db.session.expire_all()
    assert mine.done_by_id == trainer.id and other.done_at is None


def test_edit_and_add_items(client, login_as, make_user, db):
    login_as("manager")
    trainer = make_user("trainer", display_name="陈培训")
    target = make_client(db)
    client.post(f"/clients/{target.id}/plan/create", data={"start_date": "2026-03-01"})
    item = items(db, target)[0]
    response = client.post(
        f"/clients/{target.id}/plan/items/{item.id}/edit",
        data={"title": "确认大促期间的需求", "owner_id": str(trainer.id), "due_on": "2026-03-06"},
    )
    assert response.status_code == 302
    db.session.refresh(item)
    assert (item.title, item.owner_id, item.due_on) == ("确认大促期间的需求", trainer.id, date(2026, 3, 6))
    response = client.post(
        f"/clients/{target.id}/plan/items/{item.id}/edit", data={"title": "", "owner_id": "0", "due_on": ""}
    )
    assert "请输入事项内容" in response.get_data(as_text=True)
    client.post(
        f"/clients/{target.id}/plan/items",
        data={"phase": "5", "kind": "work", "title": "准备大促话术", "owner_id": "0", "due_on": ""},
    )
    added = db.session.scalar(sa.select(PlanItem).where(PlanItem.title == "准备大促话术"))
    assert added.phase == 5 and added.position == max(i.position for i in items(db, target) if i.phase == 5)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"plan_item.updated", "plan_item.added"} <= actions


def test_plan_page_groups_by_phase_and_highlights_overdue(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    client.post(
        f"/clients/{target.id}/plan/create", data={"start_date": (today() - timedelta(days=10)).isoformat()}
    )
    first = items(db, target)[0]
    client.post(f"/clients/{target.id}/plan/items/{first.id}/toggle")
    html = client.get(f"/clients/{target.id}/plan").get_data(as_text=True)
    for n in range(1, 7):
        assert f'id="phase-{n}"' in html
    # phases 1 (3 days) and 2 (7 days) are past due; one item of phase 1 is done
    n1 = len(DEFAULT_PLAN[1]["concern"]) + len(DEFAULT_PLAN[1]["work"])
    n2 = len(DEFAULT_PLAN[2]["concern"]) + len(DEFAULT_PLAN[2]["work"])
    assert html.count("已逾期") == n1 - 1 + n2
    assert f"1/{n1}" in html
    assert "子账号与密码准备并完成认证" in html


def test_plan_page_without_plan_offers_the_template(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    html = client.get(f"/clients/{target.id}/plan").get_data(as_text=True)
    assert "还没有外包计划" in html and "按模板创建计划" in html
