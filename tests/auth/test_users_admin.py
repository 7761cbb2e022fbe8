import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.auth.models import User
from tests.conftest import login


def test_admin_creates_a_user_who_must_change_the_password(client, login_as, db):
    login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "zhang",
            "display_name": "张三",
            "role": "trainer",
            "client_id": "0",
            "email": "",
            "phone": "",
            "password": "first-pass-1",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "zhang"))
    assert user.role == "trainer" and user.must_change_password
    assert user.password_hash != "first-pass-1"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "user.created", AuditEntry.object_id == user.id)
    )
    assert entry.actor != "system" and entry.after["role"] == "trainer"
    assert "password_hash" not in entry.after


def test_duplicate_username_is_refused_and_nothing_changes(client, login_as, db):
    login_as("admin", username="boss")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "BOSS",
            "display_name": "x",
            "role": "sales",
            "client_id": "0",
            "password": "first-pass-1",
        },
    )
    assert response.status_code == 200
    assert "已被使用" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_bad_input_gets_chinese_messages(client, login_as):
    login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={"username": "a b", "display_name": "", "role": "sales", "client_id": "0", "password": "123"},
    )
    html = response.get_data(as_text=True)
    assert "用户名只能包含" in html and "请输入姓名" in html and "至少需要 10 个字符" in html


def test_client_user_needs_a_client(client, login_as):
    login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "kehu",
            "display_name": "客户",
            "role": "client",
            "client_id": "0",
            "password": "first-pass-1",
        },
    )
    assert "客户用户必须关联一个客户" in response.get_data(as_text=True)


def test_edit_user_audits_before_and_after(client, login_as, make_user, db):
    login_as("admin")
    user = make_user("sales", username="li")
    response = client.post(
        f"/admin/users/{user.id}/edit",
        data={"username": "li", "display_name": "李四", "role": "manager", "client_id": "0"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.role == "manager" and user.display_name == "李四"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.updated"))
    assert entry.before["role"] == "sales" and entry.after["role"] == "manager"


def test_reset_password_shows_it_once_and_works(app, client, login_as, make_user, db):
    login_as("admin")
    user = make_user("sales", username="li")
    response = client.post(f"/admin/users/{user.id}/reset-password", follow_redirects=True)
    html = response.get_data(as_text=True)
    temporary = html.split("的临时密码：")[1].split("（")[0]
    other = app.test_client()
    assert login(other, "li", temporary).status_code == 302
    assert other.get("/").headers["Location"].endswith("/password")


def test_admin_cannot_deactivate_self(client, login_as, db):
    me = login_as("admin")
    response = client.post(f"/admin/users/{me.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账户" in response.get_data(as_text=True)
    db.session.refresh(me)
    assert me.is_active_user


def test_user_list_search_and_filter(client, login_as, make_user):
    login_as("admin", username="boss")
    make_user("sales", username="wang", display_name="王五")
    make_user("finance", username="liu", display_name="刘六")
    html = client.get("/admin/users/?q=王").get_data(as_text=True)
    assert "wang" in html and "liu" not in html
    html = client.get("/admin/users/?role=finance").get_data(as_text=True)
    assert "liu" in html and "wang" not in html


def test_unlock(client, login_as, make_user, db):
    from datetime import timedelta

    from ops.timeutil import utcnow

    login_as("admin")
    user = make_user("sales", username="li")
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    client.post(f"/admin/users/{user.id}/unlock")
    db.session.refresh(user)
    assert user.locked_until is None


def test_audit_page_lists_and_filters(client, login_as, make_user):
    login_as("admin", username="boss")
    make_user("sales", username="wang")
    html = client.get("/admin/audit/?action=user.created").get_data(as_text=True)
    assert "user.created" in html and "wang" in html
    html = client.get("/admin/audit/?action=user.login").get_data(as_text=True)
    assert "user.created" not in html
    html = client.get("/admin/audit/?actor=nobody").get_data(as_text=True)
    assert "没有符合条件的记录" in html
