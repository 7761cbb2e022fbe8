import io

import pytest
import sqlalchemy as sa

from ops.training import services
from ops.training.models import Material, MaterialVersion
from tests.conftest import login
from tests.factories import make_client
from tests.training.helpers import UTF8_TEXT, fetch, make_agent, make_session, pdf_bytes, upload

WRITE_POSTS = [
    "/training/materials/new",
    "/training/materials/{m}/versions",
    "/training/sessions/new",
    "/training/sessions/{s}/edit",
    "/training/sessions/{s}/attendance",
    "/training/sessions/{s}/exam",
    "/training/sessions/{s}/complete",
    "/training/sessions/{s}/cancel",
]
READ_PAGES = [
    "/training/",
    "/training/materials",
    "/training/materials/{m}",
    "/training/materials/{m}/v1/download",
    "/training/sessions",
    "/training/sessions?when=past",
    "/training/sessions/{s}",
    "/training/platform-rules",
]


@pytest.fixture
def records(db, make_user):
    trainer = make_user("trainer", display_name="陈培训")
    shop = make_client(db)
    material = services.create_material(shop.id, "faq", "FAQ", "", upload("faq.txt", UTF8_TEXT), trainer)
    db.session.commit()
    session = make_session(db, trainer, [make_agent(db)], client=shop)
    return {"m": material.id, "s": session.id, "shop": shop, "trainer": trainer}


@pytest.mark.parametrize("role", ["admin", "manager", "trainer", "sales"])
def test_staff_read_every_page(client, login_as, records, role):
    login_as(role)
    for url in READ_PAGES:
        response = fetch(client, url.format(**records))
        assert response.status_code == 200, url


@pytest.mark.parametrize("role", ["admin", "manager", "trainer"])
def test_writers_see_the_forms(client, login_as, records, role):
    login_as(role)
    assert client.get("/training/materials/new").status_code == 200
    assert client.get("/training/sessions/new").status_code == 200
    assert client.get("/training/sessions/{s}/edit".format(**records)).status_code == 200


def test_sales_read_only(client, login_as, records):
    login_as("sales")
    for url in WRITE_POSTS:
        assert client.post(url.format(**records)).status_code == 403, url
    assert client.get("/training/materials/new").status_code == 403
    assert "上传新版本" not in client.get("/training/materials/{m}".format(**records)).get_data(as_text=True)


@pytest.mark.parametrize("role", ["finance", "client"])
def test_other_roles_are_refused(client, login_as, records, role):
    login_as(role, client_id=records["shop"].id) if role == "client" else login_as(role)
    for url in READ_PAGES:
        assert client.get(url.format(**records)).status_code == 403, url


def test_client_user_sees_only_own_materials_and_sessions(app, db, client, make_user, records):
    shop = records["shop"]
    other = make_client(db, name="别家旗舰店")
    trainer = records["trainer"]
    theirs = services.create_material(
        other.id, "faq", "别家的 FAQ", "", upload("x.pdf", pdf_bytes()), trainer
    )
    general = services.create_material(None, "faq", "通用 FAQ", "", upload("g.pdf", pdf_bytes()), trainer)
    db.session.commit()
    make_session(db, trainer, [], client=other, title="别家的培训", started=False)
    make_session(
        db,
        trainer,
        [],
        client=shop,
        title="我们的培训",
        started=False,
        mode="online",
        place="",
        meeting_link="https://meeting.tencent.com/dm/1",
    )
    user = make_user("client", client_id=shop.id)
    login(client, user.username)
    html = client.get("/portal/materials").get_data(as_text=True)
    assert "FAQ" in html and "别家的 FAQ" not in html and "通用 FAQ" not in html
    assert fetch(client, "/portal/materials/{m}/v1/download".format(**records)).status_code == 200
    assert client.get(f"/portal/materials/{theirs.id}/v1/download").status_code == 404
    assert client.get(f"/portal/materials/{general.id}/v1/download").status_code == 404
    response = client.post(
        f"/portal/materials/{theirs.id}/versions",
        data={"file": (io.BytesIO(pdf_bytes()), "y.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    html = client.get("/portal/sessions").get_data(as_text=True)
    assert "我们的培训" in html and "别家的培训" not in html and "陈培训" in html
    assert "https://meeting.tencent.com/dm/1" in html


def test_client_upload_reaches_the_staff_dashboard_until_opened(app, db, client, make_user, records):
    shop = records["shop"]
    user = make_user("client", client_id=shop.id, display_name="周店长")
    login(client, user.username)
    response = client.post(
        "/portal/materials",
        data={
            "category": "aftersales_policy",
            "title": "售后补偿标准",
            "description": "",
            "note": "",
            "file": (io.BytesIO(pdf_bytes()), "补偿标准.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    material = db.session.scalar(sa.select(Material).where(Material.title == "售后补偿标准"))
    assert material.client_id == shop.id and material.versions[0].from_client
    refused = client.post(
        "/portal/materials",
        data={"category": "faq", "title": "伪装", "file": (io.BytesIO(b"text"), "fake.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200 and "文件内容与扩展名" in refused.get_data(as_text=True)
    client.post(
        f"/portal/materials/{material.id}/versions",
        data={"file": (io.BytesIO(UTF8_TEXT), "补充说明.txt"), "note": "补充"},
        content_type="multipart/form-data",
    )
    assert [v.version for v in db.session.get(Material, material.id).versions] == [2, 1]

    client.post("/logout")
    login(client, make_user("manager").username)
    dashboard = client.get("/").get_data(as_text=True)
    assert "客户新上传的资料" in dashboard and "售后补偿标准" in dashboard
    client.get(f"/training/materials/{material.id}")
    db.session.expire_all()
    unseen = db.session.scalars(
        sa.select(MaterialVersion).where(
            MaterialVersion.from_client.is_(True), MaterialVersion.seen_at.is_(None)
        )
    ).all()
    assert unseen == []
    assert "售后补偿标准" not in client.get("/").get_data(as_text=True)


def test_finance_dashboard_has_no_training_panel(app, db, client, make_user, records):
    shop_user = make_user("client", client_id=records["shop"].id)
    services.create_material(
        shop_user.client_id, "faq", "客户 FAQ", "", upload("c.txt", UTF8_TEXT), shop_user
    )
    db.session.commit()
    login(client, make_user("finance").username)
    assert "客户新上传的资料" not in client.get("/").get_data(as_text=True)
