"""Importing agents from CSV over HTTP: writers only, all or nothing, every bad row listed, audited."""

import io

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.onboarding.models import Agent
from tests.onboarding.helpers import make_agent

HEADER = "姓名,工号,手机,状态,技能,熟悉的平台,备注\r\n"
GOOD = HEADER + "张三,KF001,13800138000,培训中,售前、售后,天猫、京东,\r\n李四,KF002,,,,,夜班\r\n"


def upload(client, text: str | bytes, *, check: bool = False, filename: str = "agents.csv"):
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    form = {"file": (io.BytesIO(data), filename)}
    form["check" if check else "submit"] = "1"
    return client.post("/onboarding/agents/import", data=form, content_type="multipart/form-data")


def agents(db):
    return db.session.scalars(sa.select(Agent).order_by(Agent.employee_no)).all()


def actions(db):
    return [a for (a,) in db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()]


@pytest.mark.parametrize("role", ["trainer", "manager"])
def test_a_writer_imports_every_agent_in_one_go(client, login_as, db, role):
    user = login_as(role)
    page = client.get("/onboarding/agents/import")
    assert page.status_code == 200 and "一次最多 2000 名客服" in page.get_data(as_text=True)
    response = upload(client, GOOD)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "已导入 2 名客服" in body
    stored = agents(db)
    assert [(a.employee_no, a.name, a.phone, a.status) for a in stored] == [
        ("KF001", "张三", "13800138000", "training"),
        ("KF002", "李四", "", "recruiting"),
    ]
    assert stored[0].skills == ["售前", "售后"] and stored[0].platforms == ["tmall", "jd"]
    assert stored[1].notes == "夜班"
    assert f"/onboarding/agents/{stored[0].id}" in body
    assert actions(db)[-3:] == ["agent.created", "agent.created", "agent.imported"]
    batch = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "agent.imported"))
    assert batch.after == {"count": 2, "agent_ids": [stored[0].id, stored[1].id]}
    assert batch.user_id == user.id


def test_one_bad_row_imports_nothing_and_lists_every_problem(client, login_as, db):
    login_as("trainer")
    make_agent(db, name="老员工", employee_no="KF900", phone="13900000000")
    before = actions(db)
    text = (
        HEADER
        + "张三,KF001,13800138000,,,,\r\n"  # row 2: good
        + "李四,kf900,,,,,\r\n"  # row 3: employee number taken (case ignored)
        + "王五,KF003,+86 139 0000 0000,,,,\r\n"  # row 4: phone of the stored agent
        + "赵六,KF001,,,,,\r\n"  # row 5: same number as row 2
    )
    response = upload(client, text)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "文件中有 1 处错误" in body  # the in-file duplicate is found first; stored clashes come after
    assert "工号 KF001 与第 2 行重复" in body
    assert [a.employee_no for a in agents(db)] == ["KF900"]
    assert actions(db) == before
    # with the in-file duplicate fixed, the clashes with stored agents are listed, still nothing stored
    response = upload(client, text.replace("赵六,KF001", "赵六,KF005"))
    body = response.get_data(as_text=True)
    assert "文件中有 2 处错误" in body
    assert "工号 kf900 已被客服 老员工 使用" in body
    assert "手机号 +86 139 0000 0000 已登记在客服 老员工（工号 KF900）名下" in body
    assert [a.employee_no for a in agents(db)] == ["KF900"]
    assert actions(db) == before


def test_check_only_previews_and_stores_nothing(client, login_as, db):
    login_as("manager")
    response = upload(client, GOOD, check=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "校验通过：2 名客服可以导入" in body
    assert "KF002" in body and agents(db) == [] and actions(db)[-1] != "agent.created"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "agents.csv", "文件是空的"),
        (HEADER.encode(), "agents.csv", "文件中只有表头，没有客服数据"),
        (b"\xff\xfe\x00\x00", "agents.csv", "无法识别的文件编码"),
        (GOOD.encode(), "agents.xlsx", "请上传 .csv 文件"),
        (b"\x80\x80\x80" * 3, "agents.csv", "无法识别的文件编码"),
    ],
)
def test_odd_files_answer_the_page_never_a_500(client, login_as, db, data, filename, message):
    login_as("trainer")
    response = upload(client, data, filename=filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert agents(db) == []


@pytest.mark.parametrize("role", ["sales", "finance", "client"])
def test_other_roles_may_not_import(client, login_as, db, role):
    login_as(role)
    assert client.get("/onboarding/agents/import").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert client.get("/onboarding/agents/template.csv").status_code == 403
    assert agents(db) == []


def test_the_template_download_and_the_link_on_the_list(client, login_as, db):
    login_as("trainer")
    response = client.get("/onboarding/agents/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.decode("utf-8-sig").startswith("姓名,工号,手机,状态,技能,熟悉的平台,备注")
    assert "/onboarding/agents/import" in client.get("/onboarding/agents").get_data(as_text=True)


def test_the_page_and_the_row_problems_speak_english(client, login_as, db):
    login_as("trainer")
    client.post("/language", data={"lang": "en", "next": "/"})
    page = client.get("/onboarding/agents/import").get_data(as_text=True)
    assert "Import agents" in page and "Check only (preview)" in page
    body = upload(client, "name,employee_no,phone\r\n,KF1,abc\r\n").get_data(as_text=True)
    assert "Please fill in “name”" in body
    assert "Phone “abc” is not valid" in body
    assert "no agent was imported" in body
    assert agents(db) == []


def test_a_clash_found_while_creating_rolls_back_the_agents_already_created(
    client, login_as, db, monkeypatch
):
    """An agent stored between the check and the creation (another import): nothing of this one stays."""
    from ops.onboarding.services import agent_import

    login_as("trainer")
    make_agent(db, name="刚加的", employee_no="KF002")
    monkeypatch.setattr(agent_import, "check_against_stored", lambda result: None)
    before = actions(db)
    body = upload(client, GOOD).get_data(as_text=True)
    assert "文件中有 1 处错误" in body and "工号 KF002 已被使用" in body
    assert [a.employee_no for a in agents(db)] == ["KF002"]
    assert actions(db) == before
