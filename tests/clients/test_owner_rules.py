"""Foreign keys from forms: a crafted owner or client id is a form error, never a 500 or a wrong owner.

A client's owner is a sales or manager user (never a client-portal user, nor admin, trainer or
finance); a plan item's owner is a staff user; a client user belongs to a client that exists.
"""

import pytest
import sqlalchemy as sa

from ops.auth.models import User
from ops.clients.models import Client, PlanItem
from tests.clients.test_clients import GOOD
from tests.factories import make_client

MISSING = 987_654
HUGE = 2**70
COERCE_ERROR = "选择无效"  # WTForms' own (translated) message: an id beyond 64 bits is no choice at all


def _create(client, owner_id):
    return client.post("/clients/new", data={**GOOD, "owner_id": str(owner_id)})


def _client_count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Client))


def test_the_owner_select_offers_only_sales_and_managers(client, login_as, make_user, db):
    login_as("manager")
    for role in ("sales", "manager", "admin", "trainer", "finance"):
        make_user(role, display_name=f"用户-{role}")
    make_client(db, name="客户公司")
    make_user("client", display_name="用户-client")
    html = client.get("/clients/new").get_data(as_text=True)
    select = html.split('name="owner_id"')[1].split("</select>")[0]
    assert "用户-sales" in select and "用户-manager" in select
    for role in ("admin", "trainer", "finance", "client"):
        assert f"用户-{role}" not in select, role


@pytest.mark.parametrize("role", ["client", "admin", "trainer", "finance"])
def test_a_crafted_owner_who_is_not_sales_or_manager_is_refused(client, login_as, make_user, db, role):
    login_as("sales")
    make_client(db, name="已有客户")
    target = make_user(role)
    response = _create(client, target.id)
    assert response.status_code == 200
    assert "负责人必须是在职的销售或经理。" in response.get_data(as_text=True)
    assert _client_count(db) == 1  # only the one made above


@pytest.mark.parametrize(
    ("owner_id", "message"), [(MISSING, "负责人必须是在职的销售或经理。"), (HUGE, COERCE_ERROR)]
)
def test_an_owner_id_naming_no_user_is_a_form_error(client, login_as, db, owner_id, message):
    login_as("sales")
    response = _create(client, owner_id)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _client_count(db) == 0


def test_a_manager_may_own_a_client_and_an_inactive_sales_user_may_not_become_owner(
    client, login_as, make_user, db
):
    login_as("sales")
    boss = make_user("manager")
    assert _create(client, boss.id).status_code == 302
    assert db.session.scalar(sa.select(Client.owner_id)) == boss.id

    gone = make_user("sales")
    gone.is_active_user = False
    db.session.commit()
    response = client.post(
        "/clients/new", data={**GOOD, "tax_id": "", "name": "另一家", "owner_id": str(gone.id)}
    )
    assert "负责人必须是在职的销售或经理。" in response.get_data(as_text=True)


def test_editing_refuses_a_client_user_as_owner_and_keeps_the_owner(client, login_as, make_user, db):
    me = login_as("sales")
    target = make_client(db, name="改负责人", owner_id=me.id)
    portal_user = make_user("client", client_id=target.id)
    response = client.post(f"/clients/{target.id}/edit", data={**GOOD, "owner_id": str(portal_user.id)})
    assert response.status_code == 200
    assert "负责人必须是在职的销售或经理。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, target.id).owner_id == me.id


@pytest.mark.parametrize(
    ("owner_id", "message"), [(MISSING, "负责人必须是本公司员工。"), (HUGE, COERCE_ERROR)]
)
def test_a_plan_item_owner_naming_no_user_adds_nothing(client, login_as, db, owner_id, message):
    login_as("sales")
    target = make_client(db)
    response = client.post(
        f"/clients/{target.id}/plan/items",
        data={"phase": "5", "kind": "work", "title": "准备大促话术", "owner_id": str(owner_id), "due_on": ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanItem)) == 0


# --- admin user forms: a client user's client ----------------------------------------------------


@pytest.mark.parametrize(("client_id", "message"), [(MISSING, "所选客户不存在。"), (HUGE, COERCE_ERROR)])
def test_creating_a_client_user_for_a_missing_client_is_refused(client, login_as, db, client_id, message):
    login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "ghost",
            "display_name": "幽灵",
            "role": "client",
            "client_id": str(client_id),
            "password": "a-long-password-2026",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "ghost")) is None


def test_moving_a_client_user_to_a_missing_client_is_refused(client, login_as, make_user, db):
    login_as("admin")
    home = make_client(db)
    portal_user = make_user("client", client_id=home.id)
    response = client.post(
        f"/admin/users/{portal_user.id}/edit",
        data={"display_name": "客户", "role": "client", "client_id": str(MISSING)},
        follow_redirects=True,
    )
    assert "所选客户不存在。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, portal_user.id).client_id == home.id
