"""The password policy (issue 11, item 9) wherever a password is set: at least 10 characters, not
common or easily guessed, not derived from the username. Refused input changes nothing."""

import pytest
import sqlalchemy as sa

from ops.auth import services
from ops.auth.models import User
from ops.auth.passwords import derived_from_username, password_problem
from tests.conftest import PASSWORD, login

TOO_SHORT = "密码至少需要 10 个字符。"
COMMON = "密码太常见或太容易被猜到"
DERIVED = "密码不能包含用户名，也不能是用户名加数字。"


@pytest.mark.parametrize(
    "password, username, message",
    [
        ("12345678", "chen", TOO_SHORT),  # issue 11's examples
        ("trainer1", "trainer1", TOO_SHORT),
        ("demo-2026", "admin", TOO_SHORT),  # the demo password: 9 characters
        ("1234567890", "chen", COMMON),
        ("password123", "chen", COMMON),
        ("qwertyuiop", "chen", COMMON),
        ("woaini1314", "chen", COMMON),
        ("P@ssw0rd123", "chen", COMMON),
        ("aaaaaaaaaaaa", "chen", COMMON),
        ("zhangwei2026", "zhangwei", DERIVED),  # the username with digits appended
        ("ZhangWei2026", "zhangwei", DERIVED),  # case-insensitive
        ("my-Zhangwei-pass", "zhangwei", DERIVED),  # contains it
        ("li1234567890", "li", DERIVED),  # a two-letter name with digits appended
    ],
)
def test_weak_passwords_are_refused_with_a_clear_message(app, password, username, message):
    with app.test_request_context():
        assert message in (password_problem(password, username) or "")


@pytest.mark.parametrize(
    "password, username",
    [
        (PASSWORD, "li"),
        ("first-pass-1", "zhang"),
        ("e2e-pass-2026", "admin"),
        ("Lizard-blue-88", "li"),
        ("雨后青山-2026年", "chen"),
        ("青山绿水依旧在-夕阳红", None),
    ],
)
def test_good_passwords_pass(app, password, username):
    with app.test_request_context():
        assert password_problem(password, username) is None


def test_a_short_username_inside_a_long_password_is_a_coincidence():
    assert not derived_from_username("Lizard-blue-88", "li")
    assert derived_from_username("li2026", "LI")
    assert derived_from_username("best-chen-ever", "chen")


def test_the_admin_form_refuses_a_weak_initial_password_on_the_field(client, login_as, db):
    login_as("admin")
    for password, message in (("12345678", TOO_SHORT), ("password123", COMMON), ("zhangsan2026", DERIVED)):
        response = client.post(
            "/admin/users/new",
            data={
                "username": "zhangsan",
                "display_name": "张三",
                "role": "trainer",
                "client_id": "0",
                "password": password,
            },
        )
        assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "zhangsan")) is None


def test_changing_to_a_weak_password_is_refused_and_the_old_one_stays(client, make_user, db):
    make_user("trainer", username="chen")
    login(client, "chen")
    for new, message in (("trainer1", TOO_SHORT), ("1234567890", COMMON), ("Chen-2026-xyz", DERIVED)):
        response = client.post(
            "/password", data={"old_password": PASSWORD, "new_password": new, "confirm": new}
        )
        assert response.status_code == 200 and message in response.get_data(as_text=True)
    client.post("/logout")
    assert login(client, "chen").status_code == 302


def test_the_message_is_translated(client, make_user):
    make_user("trainer", username="chen")
    login(client, "chen")
    client.post("/language", data={"lang": "en", "next": "/password"})
    response = client.post(
        "/password", data={"old_password": PASSWORD, "new_password": "1234567890", "confirm": "1234567890"}
    )
    html = response.get_data(as_text=True)
    assert "too common or too easy to guess" in html and COMMON not in html
    client.post("/language", data={"lang": "zh"})


def test_create_admin_refuses_a_common_password(runner, db):
    result = runner.invoke(args=["ops", "create-admin", "--username", "root", "--password", "qwertyuiop"])
    assert result.exit_code != 0 and COMMON in result.output
    result = runner.invoke(args=["ops", "create-admin", "--username", "root", "--password", "root123456"])
    assert result.exit_code != 0 and DERIVED in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_the_service_enforces_the_policy_too(db):
    with pytest.raises(services.AccountError, match=TOO_SHORT):
        services.create_user(username="wang", display_name="王", role="sales", password="demo-2026")


def test_the_demo_password_is_allowed_outside_production_only(app, db, monkeypatch):
    user = services.create_user(
        username="demo1", display_name="演示", role="sales", password="demo-2026", check_policy=False
    )
    assert user.check_password("demo-2026")
    db.session.rollback()
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    with pytest.raises(services.AccountError, match=TOO_SHORT):
        services.create_user(
            username="demo2", display_name="演示", role="sales", password="demo-2026", check_policy=False
        )
    db.session.rollback()


def test_flask_ops_demo_refuses_to_run_in_production(app, runner, db, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = runner.invoke(args=["ops", "demo"])
    assert result.exit_code != 0 and "生产环境不能载入演示数据" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_in_production_an_old_weak_password_logs_in_once_to_be_changed(
    app, client, make_user, db, monkeypatch
):
    user = make_user("sales", username="old", check_policy=False, password="demo-2026")
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    assert login(client, "old", "demo-2026").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).must_change_password
    assert client.get("/").headers["Location"].endswith("/password")
