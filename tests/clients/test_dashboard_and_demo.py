import pytest
import sqlalchemy as sa

from ops.clients.models import Client, Needs, PlanItem
from ops.clients.taxid import validate_credit_code
from ops.clients.views import clients_panel, register_dashboard
from tests.factories import make_client


@pytest.fixture
def only_clients_panel(app, monkeypatch):
    """The dashboard with just this module's panel (other modules' panels are tested by them)."""
    monkeypatch.setitem(app.extensions, "ops_dashboard_panels", [])
    register_dashboard(app)
    register_dashboard(app)  # registering twice adds the panel once
    assert app.extensions["ops_dashboard_panels"] == [clients_panel]


def test_sales_sees_their_own_clients_by_stage(only_clients_panel, client, login_as, make_user, db):
    me = login_as("sales")
    other = make_user("sales")
    make_client(db, name="我的客户甲", owner_id=me.id, stage="live")
    make_client(db, name="别人的客户乙", owner_id=other.id, stage="live")
    html = client.get("/").get_data(as_text=True)
    assert html.count("我的客户") >= 1 and "我的客户甲" in html and "别人的客户乙" not in html
    assert f"/clients/?stage=live&amp;owner={me.id}" in html


def test_manager_sees_counts_of_all_clients(only_clients_panel, client, login_as, db):
    login_as("manager")
    make_client(db, name="甲", stage="lead")
    make_client(db, name="乙", stage="lead")
    html = client.get("/").get_data(as_text=True)
    assert "/clients/?stage=lead" in html
    block = html.split("潜在客户")[1]
    assert '<div class="fs-5 fw-semibold">2</div>' in block.split("</a>")[0]


def test_demo_clients(app, db, make_user):
    from ops.demo.clients import load_clients_demo

    users = {
        name: make_user(role, username=name)
        for name, role in (("manager", "manager"), ("sales", "sales"), ("sales2", "sales"))
    }
    clients = load_clients_demo(users)
    db.session.commit()
    assert len(clients) == 8
    assert {c.stage for c in clients} == {"lead", "negotiating", "contracted", "onboarding", "live", "paused"}
    assert {s.platform for c in clients for s in c.shops} == {
        "taobao",
        "tmall",
        "jd",
        "pdd",
        "kuaishou",
        "douyin",
    }
    for c in clients:
        assert validate_credit_code(c.tax_id) == c.tax_id
        assert c.owner_id in {users["sales"].id, users["sales2"].id}
        assert c.contacts and any(x.is_primary for x in c.contacts)
    assert db.session.scalar(sa.select(sa.func.max(Needs.version))) == 3
    planned = db.session.scalar(sa.select(sa.func.count(sa.distinct(PlanItem.client_id))))
    assert planned == 7
    live = db.session.scalar(sa.select(Client).where(Client.stage == "live"))
    done = db.session.scalars(
        sa.select(PlanItem).where(PlanItem.client_id == live.id, PlanItem.phase <= 5)
    ).all()
    assert all(i.done_at is not None for i in done)
