import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.clients.models import Client, ClientContact, ClientShop
from tests.clients.helpers import count_queries
from tests.factories import make_client

GOOD = {
    "name": "沐颜美妆官方旗舰店",
    "legal_name": "上海沐颜化妆品有限公司",
    "tax_id": "91330106MA2B2QXY3M",
    "category": "美妆个护",
    "owner_id": "0",
    "phone": "021-5555 0101",
    "address": "",
    "bank_name": "",
    "bank_account": "",
    "notes": "",
    "shop_platform": "tmall",
    "shop_name": "沐颜美妆官方旗舰店",
    "shop_url": "",
}


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- create and edit ----------------------------------------------------------------------


def test_sales_creates_a_client_and_owns_it(client, login_as, db):
    me = login_as("sales")
    response = client.post("/clients/new", data=GOOD)
    assert response.status_code == 302
    created = db.session.scalar(sa.select(Client))
    assert response.headers["Location"].endswith(f"/clients/{created.id}")
    assert created.owner_id == me.id and created.stage == "lead" and created.tax_id == "91330106MA2B2QXY3M"
    assert [(s.platform, s.shop_name) for s in created.shops] == [("tmall", "沐颜美妆官方旗舰店")]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.created"))
    assert entry.object_id == created.id and entry.actor == me.username


def test_tax_id_is_normalised_and_optional(client, login_as, db):
    login_as("manager")
    client.post("/clients/new", data=dict(GOOD, tax_id=" 91330106ma2b2qxy3m "))
    client.post("/clients/new", data=dict(GOOD, name="无代码客户 A", tax_id=""))
    client.post("/clients/new", data=dict(GOOD, name="无代码客户 B", tax_id=""))
    ids = sorted(c.tax_id or "" for c in db.session.scalars(sa.select(Client)))
    assert ids == ["", "", "91330106MA2B2QXY3M"]


def test_bad_tax_id_is_refused_with_a_chinese_message_and_nothing_saved(client, login_as, db):
    login_as("sales")
    response = client.post("/clients/new", data=dict(GOOD, tax_id="91330106MA2B2QXY3N"))
    assert response.status_code == 200
    assert "校验位不正确" in response.get_data(as_text=True)
    response = client.post("/clients/new", data=dict(GOOD, tax_id="123"))
    assert "应为 18 位" in response.get_data(as_text=True)
    assert count(db, Client) == 0


def test_duplicate_tax_id_is_refused(client, login_as, db):
    login_as("sales")
    make_client(db, name="原有客户", tax_id="91330106MA2B2QXY3M")
    response = client.post("/clients/new", data=GOOD)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "已被客户“原有客户”使用" in html
    assert count(db, Client) == 1


def test_missing_name_and_shop_without_platform(client, login_as, db):
    login_as("sales")
    response = client.post("/clients/new", data=dict(GOOD, name="", shop_platform=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请输入客户名称" in html and "请选择店铺所在平台" in html
    assert count(db, Client) == 0 and count(db, ClientShop) == 0


def test_edit_saves_and_audits_changes(client, login_as, db):
    login_as("manager")
    target = make_client(db, name="旧名字")
    data = dict(GOOD, name="新名字", tax_id="91110108551385082Q")
    response = client.post(f"/clients/{target.id}/edit", data=data)
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.name == "新名字" and target.tax_id == "91110108551385082Q"
    assert [s.shop_name for s in target.shops] == ["旧名字"]  # the first-shop fields only apply on create
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "client.updated"))
    assert entry.before["name"] == "旧名字" and entry.after["name"] == "新名字"


def test_edit_refuses_another_clients_tax_id(client, login_as, db):
    login_as("admin")
    make_client(db, name="甲", tax_id="91110108551385082Q")
    other = make_client(db, name="乙")
    response = client.post(
        f"/clients/{other.id}/edit", data=dict(GOOD, name="乙", tax_id="91110108551385082Q")
    )
    assert "已被客户“甲”使用" in response.get_data(as_text=True)
    db.session.refresh(other)
    assert other.tax_id is None


def test_keeping_its_own_tax_id_is_fine(client, login_as, db):
    login_as("admin")
    target = make_client(db, name="甲", tax_id="91110108551385082Q")
    response = client.post(
        f"/clients/{target.id}/edit", data=dict(GOOD, name="甲改", tax_id="91110108551385082Q")
    )
    assert response.status_code == 302


# --- permissions --------------------------------------------------------------------------


def test_trainer_and_finance_can_view_but_not_change(client, login_as, db):
    target = make_client(db)
    for role in ("trainer", "finance"):
        login_as(role)
        assert client.get("/clients/").status_code == 200
        html = client.get(f"/clients/{target.id}").get_data(as_text=True)
        assert target.name in html and "/edit" not in html
        assert client.get(f"/clients/{target.id}/needs").status_code == 200
        assert client.get(f"/clients/{target.id}/plan").status_code == 200
        assert client.get("/clients/new").status_code == 403
        assert client.post("/clients/new", data=GOOD).status_code == 403
        assert client.get(f"/clients/{target.id}/edit").status_code == 403
        assert client.post(f"/clients/{target.id}/edit", data=GOOD).status_code == 403
        assert client.get(f"/clients/{target.id}/needs/new").status_code == 403
        assert (
            client.post(f"/clients/{target.id}/shops", data={"platform": "jd", "shop_name": "x"}).status_code
            == 403
        )
        assert (
            client.post(f"/clients/{target.id}/plan/create", data={"start_date": "2026-03-01"}).status_code
            == 403
        )
        client.post("/logout")
    assert count(db, Client) == 1 and count(db, ClientShop) == 1


def test_sales_manager_admin_may_open_the_create_page(client, login_as):
    for role in ("sales", "manager", "admin"):
        login_as(role)
        assert client.get("/clients/new").status_code == 200
        client.post("/logout")


def test_client_users_never_reach_clients(client, login_as, db):
    own = make_client(db)
    login_as("client", client_id=own.id)
    assert client.get("/clients/").status_code == 403
    assert client.get(f"/clients/{own.id}").status_code == 403


def test_missing_client_is_404(client, login_as):
    login_as("sales")
    assert client.get("/clients/999").status_code == 404


# --- list ---------------------------------------------------------------------------------


def test_list_search_by_name_legal_name_tax_id_and_shop(client, login_as, db):
    login_as("sales")
    make_client(
        db,
        name="晨光家居",
        legal_name="杭州晨光家居用品有限公司",
        tax_id="91110108551385082Q",
        shops=[("tmall", "晨光家居旗舰店")],
    )
    make_client(
        db,
        name="果然鲜",
        legal_name="广州果然鲜农产品有限公司",
        category="食品生鲜",
        shops=[("pdd", "果然鲜水果旗舰店")],
    )
    for q, expected in (
        ("晨光", "晨光家居"),
        ("农产品", "果然鲜"),
        ("551385082", "晨光家居"),
        ("水果旗舰", "果然鲜"),
    ):
        html = client.get("/clients/", query_string={"q": q}).get_data(as_text=True)
        other = "果然鲜" if expected == "晨光家居" else "晨光家居"
        assert expected in html and other not in html, q


def test_list_filters(client, login_as, make_user, db):
    me = login_as("sales")
    colleague = make_user("sales", display_name="赵销售")
    make_client(db, name="甲店", stage="live", category="家居家纺", owner_id=me.id, shops=[("tmall", "甲店")])
    make_client(
        db,
        name="乙店",
        stage="lead",
        category="食品生鲜",
        owner_id=colleague.id,
        shops=[("pdd", "乙店"), ("douyin", "乙抖店")],
    )

    def names(**args):
        html = client.get("/clients/", query_string=args).get_data(as_text=True)
        return [n for n in ("甲店", "乙店") if f">{n}</a>" in html]

    assert names() == ["甲店", "乙店"]
    assert names(stage="live") == ["甲店"]
    assert names(platform="douyin") == ["乙店"]
    assert names(platform="tmall") == ["甲店"]
    assert names(category="食品生鲜") == ["乙店"]
    assert names(owner=me.id) == ["甲店"]
    assert names(owner=colleague.id, stage="live") == []


def test_list_sorts_by_name_and_update(client, login_as, db):
    login_as("sales")
    for name in ("b客户", "a客户", "c客户"):
        make_client(db, name=name)
    html = client.get("/clients/?sort=name").get_data(as_text=True)
    assert html.index("a客户") < html.index("b客户") < html.index("c客户")
    html = client.get("/clients/?sort=-name").get_data(as_text=True)
    assert html.index("c客户") < html.index("b客户") < html.index("a客户")
    html = client.get("/clients/?sort=-updated").get_data(as_text=True)  # newest first
    assert html.index("c客户") < html.index("a客户") < html.index("b客户")


def test_list_paginates(app, client, login_as, db):
    login_as("sales")
    for i in range(app.config["PAGE_SIZE"] + 3):
        make_client(db, name=f"客户{i:03d}")
    first = client.get("/clients/?sort=name").get_data(as_text=True)
    second = client.get("/clients/?sort=name&page=2").get_data(as_text=True)
    assert "客户000" in first and "客户024" in first and "客户025" not in first
    assert "客户025" in second and "客户027" in second and "客户000" not in second
    assert "共 28 条" in first


def _make_clients(db, owner, start, stop):
    for i in range(start, stop):
        make_client(
            db,
            name=f"批量客户{i:03d}",
            owner_id=owner.id,
            shops=[("tmall", f"天猫店{i}"), ("jd", f"京东店{i}")],
        )


def test_list_query_count_does_not_grow_with_clients(client, login_as, make_user, db):
    login_as("manager")
    owners = [make_user("sales"), make_user("sales")]
    _make_clients(db, owners[0], 0, 3)
    with count_queries(db.engine) as few:
        assert client.get("/clients/").status_code == 200
    _make_clients(db, owners[1], 3, 30)
    with count_queries(db.engine) as many:
        html = client.get("/clients/").get_data(as_text=True)
    assert "批量客户029" in html
    assert many[0] == few[0]


# --- stage --------------------------------------------------------------------------------


def test_manager_pauses_and_resumes_with_reason_audited(client, login_as, db):
    login_as("manager")
    target = make_client(db, stage="onboarding")
    response = client.post(f"/clients/{target.id}/stage", data={"stage": "paused", "reason": "客户调整排期"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.stage == "paused"
    html = client.get(f"/clients/{target.id}").get_data(as_text=True)
    assert '<option selected value="onboarding">' in html  # resume defaults to the stage before the pause
    assert html.count("step done") == 3  # the pipeline keeps the progress made before the pause
    client.post(f"/clients/{target.id}/stage", data={"stage": "onboarding", "reason": "恢复合作"})
    db.session.refresh(target)
    assert target.stage == "onboarding"
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "client.stage_changed").order_by(AuditEntry.id)
    ).all()
    assert [(e.before["stage"], e.after["stage"], e.summary) for e in entries] == [
        ("onboarding", "paused", "客户调整排期"),
        ("paused", "onboarding", "恢复合作"),
    ]


def test_stage_change_needs_a_reason_and_a_halt(client, login_as, db):
    login_as("admin")
    target = make_client(db, stage="negotiating")
    html = client.post(
        f"/clients/{target.id}/stage", data={"stage": "churned", "reason": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请填写原因" in html
    html = client.post(
        f"/clients/{target.id}/stage", data={"stage": "live", "reason": "跳过"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "只能设为暂停或流失" in html
    db.session.refresh(target)
    assert target.stage == "negotiating"


def test_sales_cannot_pause(client, login_as, db):
    login_as("sales")
    target = make_client(db, stage="live")
    assert (
        client.post(f"/clients/{target.id}/stage", data={"stage": "paused", "reason": "x"}).status_code == 403
    )
    db.session.refresh(target)
    assert target.stage == "live"


# --- shops and contacts -------------------------------------------------------------------


def test_shops_add_and_remove(client, login_as, db):
    login_as("sales")
    target = make_client(db, shops=[])
    client.post(f"/clients/{target.id}/shops", data={"platform": "jd", "shop_name": "京东店", "shop_url": ""})
    html = client.post(
        f"/clients/{target.id}/shops", data={"platform": "", "shop_name": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请选择店铺所在平台" in html
    shop = db.session.scalar(sa.select(ClientShop))
    assert (shop.platform, shop.shop_name) == ("jd", "京东店")
    assert client.post(f"/clients/{target.id}/shops/{shop.id}/remove").status_code == 302
    assert count(db, ClientShop) == 0
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["client.shop_added", "client.shop_removed"]


def test_a_shop_of_another_client_is_404(client, login_as, db):
    login_as("sales")
    one = make_client(db, name="甲")
    other = make_client(db, name="乙")
    assert client.post(f"/clients/{one.id}/shops/{other.shops[0].id}/remove").status_code == 404


def test_contacts_add_edit_primary_and_remove(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    client.post(
        f"/clients/{target.id}/contacts", data={"name": "周晓梅", "title": "店长", "phone": "13800000000"}
    )
    client.post(f"/clients/{target.id}/contacts", data={"name": "吴强", "is_primary": "y"})
    contacts = {c.name: c for c in db.session.scalars(sa.select(ClientContact))}
    assert not contacts["周晓梅"].is_primary and contacts["吴强"].is_primary
    response = client.post(
        f"/clients/{target.id}/contacts/{contacts['周晓梅'].id}/edit",
        data={"name": "周晓梅", "title": "电商总监", "email": "不是邮箱"},
    )
    assert "邮箱格式不正确" in response.get_data(as_text=True)
    client.post(
        f"/clients/{target.id}/contacts/{contacts['周晓梅'].id}/edit",
        data={"name": "周晓梅", "title": "电商总监", "is_primary": "y"},
    )
    db.session.expire_all()
    assert contacts["周晓梅"].title == "电商总监" and contacts["周晓梅"].is_primary
    assert not contacts["吴强"].is_primary
    client.post(f"/clients/{target.id}/contacts/{contacts['周晓梅'].id}/remove")
    remaining = db.session.scalars(sa.select(ClientContact)).all()
    assert [(c.name, c.is_primary) for c in remaining] == [("吴强", True)]


def test_detail_page_shows_pipeline_and_sections(client, login_as, db):
    login_as("sales")
    target = make_client(db, stage="contracted", tax_id="91110108551385082Q")
    html = client.get(f"/clients/{target.id}").get_data(as_text=True)
    for text in (
        "计划与需求",
        "报价",
        "合同",
        "培训",
        "上线",
        "结算",
        "店铺",
        "联系人",
        "当前需求",
        "外包计划",
        "91110108551385082Q",
        "已签约",
    ):
        assert text in html, text
    assert html.count("step done") == 3 and html.count("step current") == 1
