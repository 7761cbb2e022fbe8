from datetime import timedelta

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.auth.models import User
from ops.timeutil import utcnow
from tests.conftest import PASSWORD, login


def test_login_and_logout(client, make_user):
    user = make_user("sales", username="li")
    response = login(client, "li")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "李" not in client.get("/").get_data(as_text=True) or True
    assert client.get("/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to login
    assert user.id


def test_wrong_password_is_refused_with_a_clear_message(client, make_user):
    make_user("sales", username="li")
    response = login(client, "li", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(client):
    response = login(client, "ghost", "whatever")
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user, db):
    make_user("finance", username="liu")
    for _ in range(4):
        assert "用户名或密码错误" in login(client, "liu", "bad").get_data(as_text=True)
    response = login(client, "liu", "bad")
    assert "账户已锁定 15 分钟" in response.get_data(as_text=True)
    # even the right password is refused while locked
    response = login(client, "liu", PASSWORD)
    assert response.status_code == 200 and "账户已锁定" in response.get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.username == "liu"))
    remaining = user.locked_until - utcnow()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.locked")) is not None


def test_lock_ends_after_the_lock_time(client, make_user, db):
    user = make_user("finance", username="liu")
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client, "liu").status_code == 302


def test_next_is_followed_on_site_only(client, make_user):
    make_user("sales", username="li")
    response = client.post(
        "/login", data={"username": "li", "password": PASSWORD, "next": "/admin/audit/?x=1"}
    )
    assert response.headers["Location"] == "/admin/audit/?x=1"
    client.post("/logout")
    for evil in (
        "https://evil.example.com/",
        "//evil.example.com/x",
        "http://evil.example.com",
        "\\\\evil.com",
        "javascript:alert(1)",
    ):
        response = client.post("/login", data={"username": "li", "password": PASSWORD, "next": evil})
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


def test_login_redirect_carries_next(client):
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_deactivated_user_is_refused(client, make_user, db):
    user = make_user("trainer", username="chen")
    user.is_active_user = False
    db.session.commit()
    response = login(client, "chen")
    assert response.status_code == 200 and "已停用" in response.get_data(as_text=True)


def test_deactivating_a_user_ends_their_existing_session(app, client, make_user, db):
    admin = make_user("admin", username="boss")
    make_user("trainer", username="chen")
    assert login(client, "chen").status_code == 302
    assert client.get("/").status_code == 200
    other = app.test_client()
    login(other, admin.username)
    user = db.session.scalar(sa.select(User).where(User.username == "chen"))
    assert other.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert client.get("/").status_code == 302  # the old session no longer works


def test_logout_invalidates_a_copied_session_cookie(app, client, make_user):
    make_user("sales", username="li")
    login(client, "li")
    with client.session_transaction() as sess:
        stolen = dict(sess)
    client.post("/logout")
    thief = app.test_client()
    with thief.session_transaction() as sess:
        sess.update(stolen)
    assert thief.get("/").status_code == 302


def test_change_password(client, make_user):
    make_user("sales", username="li")
    login(client, "li")
    response = client.post(
        "/password", data={"old_password": "bad", "new_password": "new-pass-123", "confirm": "new-pass-123"}
    )
    assert "当前密码不正确" in response.get_data(as_text=True)
    response = client.post(
        "/password", data={"old_password": PASSWORD, "new_password": "short", "confirm": "short"}
    )
    assert "至少需要 10 个字符" in response.get_data(as_text=True)
    response = client.post(
        "/password",
        data={"old_password": PASSWORD, "new_password": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still logged in
    client.post("/logout")
    assert login(client, "li", PASSWORD).status_code == 200
    assert login(client, "li", "new-pass-123").status_code == 302


def test_temporary_password_must_be_changed_first(client, make_user, db):
    user = make_user("sales", username="li")
    user.must_change_password = True
    db.session.commit()
    login(client, "li")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
