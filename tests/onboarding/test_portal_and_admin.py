"""The client portal's agents pages, agents admin, platform rules and the checklist template editor."""

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.onboarding import services
from ops.onboarding.models import Agent, PlatformRule
from tests.conftest import login
from tests.factories import make_client
from tests.onboarding.helpers import make_agent, make_assignment, make_contract


def test_client_sees_only_its_own_agents(client, login_as, make_user, db):
    trainer = make_user("trainer")
    ours = make_contract(db, make_client(db, name="北京晨光家居旗舰店"))
    theirs = make_contract(db, make_client(db, name="上海优品数码", legal_name="上海优品科技有限公司"))
    mine = make_assignment(db, ours, make_agent(db, name="张晓雯", phone="13800001111"), by=trainer)
    other = make_assignment(db, theirs, make_agent(db, name="李梦洁"), by=trainer)
    services.mark_item_done(mine.items[0], by=trainer)
    services.set_credential(mine, "tmall", "晨光:客服01", "Secret#123", by=trainer)
    db.session.commit()

    login_as("client", client_id=ours.client_id)
    html = client.get("/portal/agents").get_data(as_text=True)
    assert "张晓雯" in html and "李梦洁" not in html
    assert "1/10" in html and "子账号已创建：已完成" in html
    assert "13800001111" not in html and "晨光:客服01" not in html and "Secret#123" not in html
    detail = client.get(f"/portal/agents/{mine.id}")
    assert detail.status_code == 200 and "质检已开启" in detail.get_data(as_text=True)
    assert client.get(f"/portal/agents/{other.id}").status_code == 404
    assert client.get(f"/onboarding/assignments/{mine.id}").status_code == 403
    assert "客服上线进度" in client.get("/portal/").get_data(as_text=True)


def test_agents_are_created_edited_and_status_changes_audited(client, login_as, db):
    login_as("trainer")
    response = client.post(
        "/onboarding/agents/new",
        data={
            "name": "王思远",
            "employee_no": "YF-0100",
            "phone": "13900000000",
            "status": "recruiting",
            "skills": "售前，售后",
            "platforms": ["pdd", "jd"],
            "notes": "",
        },
    )
    assert response.status_code == 302
    agent = db.session.scalar(sa.select(Agent))
    assert agent.skills == ["售前", "售后"] and agent.platforms == ["pdd", "jd"]
    duplicate = client.post(
        "/onboarding/agents/new", data={"name": "x", "employee_no": "yf-0100", "status": "recruiting"}
    )
    assert duplicate.status_code == 200 and "工号 yf-0100 已被使用" in duplicate.get_data(as_text=True)
    client.post(
        f"/onboarding/agents/{agent.id}/edit",
        data={
            "name": "王思远",
            "employee_no": "YF-0100",
            "status": "ready",
            "skills": "售前",
            "platforms": ["pdd"],
        },
    )
    db.session.refresh(agent)
    assert agent.status == "ready"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "agent.status_changed"))
    assert entry.before == {"status": "recruiting"} and entry.after == {"status": "ready"}
    refused = client.post(
        f"/onboarding/agents/{agent.id}/edit",
        data={"name": "王思远", "employee_no": "YF-0100", "status": "live", "skills": "", "platforms": []},
    )
    assert "没有已上线的分配" in refused.get_data(as_text=True)
    html = client.get("/onboarding/agents?platform=pdd&q=王").get_data(as_text=True)
    assert "YF-0100" in html
    assert "YF-0100" not in client.get("/onboarding/agents?platform=tmall").get_data(as_text=True)


def test_platform_rules_are_seeded_and_maintained(client, app, login_as, make_user, db):
    assert services.ensure_platform_rules() == 12
    db.session.commit()
    assert services.ensure_platform_rules() == 0
    pdd = db.session.scalar(sa.select(PlatformRule).where(PlatformRule.deadline == "48 小时内处理"))
    assert pdd.platform == "pdd" and pdd.from_seed and pdd.source == "种子资料：拼多多售后服务客服外包流程"
    assert db.session.scalar(sa.select(PlatformRule).where(PlatformRule.deadline == "当日 18:00 前回复"))

    login_as("trainer")
    html = client.get("/admin/onboarding/rules").get_data(as_text=True)
    assert "黄金10秒" in html and "种子资料" in html
    response = client.post(
        f"/admin/onboarding/rules/{pdd.id}/edit",
        data={
            "platform": "pdd",
            "event": pdd.event,
            "deadline": "48 小时内处理（以后台为准）",
            "consequence": pdd.consequence,
            "source": pdd.source,
            "position": "1",
        },
    )
    assert response.status_code == 302
    db.session.refresh(pdd)
    assert pdd.deadline == "48 小时内处理（以后台为准）" and not pdd.from_seed
    client.post("/admin/onboarding/rules/new", data={"platform": "douyin", "event": "", "deadline": ""})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlatformRule)) == 12
    client.post(
        "/admin/onboarding/rules/new",
        data={"platform": "douyin", "event": "售后工单", "deadline": "24 小时内处理", "position": "0"},
    )
    client.post(f"/admin/onboarding/rules/{pdd.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlatformRule)) == 12
    assert client.get("/admin/onboarding/checklist").status_code == 403  # the template is for admins

    sales = app.test_client()
    login(sales, make_user("sales").username)
    assert sales.get("/admin/onboarding/rules").status_code == 403


def test_admin_edits_the_checklist_template(client, login_as, db):
    login_as("admin")
    html = client.get("/admin/onboarding/checklist").get_data(as_text=True)
    assert "实人认证已完成（7 天内扫码）" in html
    template = services.default_template()
    item = template.items[0]
    client.post(
        f"/admin/onboarding/checklist/items/{item.id}/edit",
        data={
            "title": "子账号已创建并登录",
            "category": "账号",
            "required": "y",
            "needs_verification": "y",
            "evidence_note": "",
            "auto_rule": "",
        },
    )
    db.session.refresh(item)
    assert item.title == "子账号已创建并登录" and item.needs_verification
    client.post(f"/admin/onboarding/checklist/items/{item.id}/down")
    db.session.refresh(template)
    assert template.items[1].id == item.id and [i.position for i in template.items] == list(range(1, 11))
    client.post(f"/admin/onboarding/checklist/items/{item.id}/delete")
    db.session.refresh(template)
    assert len(template.items) == 9
    assert db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "checklist_template.item_removed")
    )


def test_state_scope_and_shift_labels_follow_the_language(client, login_as, make_user, db):
    trainer = make_user("trainer")
    contract = make_contract(db, make_client(db, name="北京晨光家居旗舰店"))
    assignment = make_assignment(db, contract, make_agent(db, name="张晓雯"), by=trainer)
    services.mark_item_done(assignment.items[0], by=trainer)
    db.session.commit()

    login_as("trainer")
    html = client.get(f"/onboarding/assignments/{assignment.id}").get_data(as_text=True)
    assert "售前 · 白班" in html and "已完成" in html and "待办" in html
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get(f"/onboarding/assignments/{assignment.id}").get_data(as_text=True)
    assert "Pre-sales · Day shift" in html and "To do" in html and "售前" not in html
    agents = client.get("/onboarding/agents").get_data(as_text=True)
    assert "In training" in agents and "培训中" not in agents  # a recruiting agent moves to training
    form = client.get("/onboarding/assignments/new").get_data(as_text=True)
    assert "After-sales" in form and "Night shift" in form
