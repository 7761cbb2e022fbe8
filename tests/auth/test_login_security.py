"""Login hardening (issue 11, items 2, 5, 7 and 9): the lockout counts in the database, a per-address
throttle, unknown usernames answered exactly like known ones, and ``next`` kept on-site."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from ops import create_app
from ops.audit.models import AuditEntry
from ops.auth import services
from ops.auth.models import LoginThrottle, User
from ops.config import TestConfig
from ops.timeutil import utcnow
from tests.conftest import PASSWORD, login

GENERIC = "用户名或密码错误。"
LOCKED_NOW = "连续 5 次密码错误，账户已锁定 15 分钟。"
LOCKED = "登录失败次数过多，账户已锁定，请 15 分钟后再试或联系管理员解锁。"
THROTTLED = "尝试次数过多，请稍后再试。"


def post_login(client, username, password, ip="127.0.0.1", **extra):
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": ip}, **extra
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def audit_count(db, action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


# --- the account lock ----------------------------------------------------------------------


def test_every_failure_is_counted_in_the_database_and_audited(client, make_user, db):
    user = make_user("finance", username="liu")
    for n in (1, 2, 3):
        assert GENERIC in text(login(client, "liu", "bad-guess"))
        db.session.expire_all()
        assert db.session.get(User, user.id).failed_logins == n
    assert audit_count(db, "auth.login_failed") == 3


def test_a_success_resets_the_count(client, make_user, db):
    user = make_user("finance", username="liu")
    for _ in range(4):
        login(client, "liu", "bad-guess")
    assert login(client, "liu").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 0
    client.post("/logout")
    for _ in range(4):  # four more wrong ones do not lock: the count started again
        assert GENERIC in text(login(client, "liu", "bad-guess"))
    assert login(client, "liu").status_code == 302


def test_a_locked_account_checks_no_password_and_refuses_the_right_one(client, make_user, db):
    make_user("finance", username="liu")
    for _ in range(4):
        login(client, "liu", "bad-guess")
    assert LOCKED_NOW in text(login(client, "liu", "bad-guess"))
    for password in ("bad-guess", PASSWORD):
        response = login(client, "liu", password)
        assert response.status_code == 200 and LOCKED in text(response)
    assert client.get("/").status_code == 302
    assert audit_count(db, "auth.login_failed") == 5  # the two tries while locked were not checked
    assert audit_count(db, "user.locked") == 1


def test_after_the_lock_ends_the_count_starts_again(client, make_user, db):
    user = make_user("finance", username="liu")
    for _ in range(5):
        login(client, "liu", "bad-guess")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert GENERIC in text(login(client, "liu", "bad-guess"))  # one failure, not a new lock
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.failed_logins == 1 and user.locked_until is None
    assert login(client, "liu").status_code == 302


def test_the_admin_unlock_lets_the_right_password_in(app, client, make_user, db):
    user = make_user("finance", username="liu")
    for _ in range(5):
        login(client, "liu", "bad-guess")
    admin_browser = app.test_client()
    login(admin_browser, make_user("admin", username="boss").username)
    assert admin_browser.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert login(client, "liu").status_code == 302


# --- unknown usernames -------------------------------------------------------------------------


def test_an_unknown_username_gets_byte_identical_answers_including_the_lock(client, make_user, db):
    """Six wrong passwords for "liu" while it exists, then six for "liu" once the account is renamed:
    each answer is the same, byte for byte (CSRF is off in tests, so there is no token to differ)."""
    user = make_user("finance", username="liu")
    known = [post_login(client, "liu", "bad-guess", ip="10.0.0.1").get_data() for _ in range(6)]
    db.session.get(User, user.id).username = "liu-old"
    db.session.commit()
    unknown = [post_login(client, "liu", "bad-guess", ip="10.0.0.2").get_data() for _ in range(6)]
    assert known == unknown
    assert [GENERIC.encode() in body for body in unknown] == [True] * 4 + [False] * 2
    assert LOCKED_NOW.encode() in unknown[4] and LOCKED.encode() in unknown[5]


def test_an_unknown_username_is_checked_against_a_hash_made_with_the_configured_method(
    app, client, monkeypatch
):
    checked = []
    real_check = services.check_password_hash

    def spy(pwhash, password):
        checked.append(pwhash)
        return real_check(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    assert GENERIC in text(login(client, "ghost", "whatever-1"))
    assert len(checked) == 1 and checked[0].startswith(app.config["PASSWORD_HASH_METHOD"] + "$")


# --- the per-address throttle ---------------------------------------------------------------


@pytest.fixture
def ip_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 3)
    return 3


def test_failures_across_usernames_block_the_address(client, make_user, ip_limit, db):
    make_user("sales", username="zhao")
    for name in ("ghost1", "ghost2", "zhao"):
        assert GENERIC in text(post_login(client, name, "bad-guess", ip="10.0.0.7"))
    response = post_login(client, "zhao", PASSWORD, ip="10.0.0.7")  # even the right password waits
    assert response.status_code == 200 and THROTTLED in text(response)
    assert client.get("/").status_code == 302
    assert audit_count(db, "auth.login_failed") == 3  # the throttled try checked nothing
    assert post_login(client, "zhao", PASSWORD, ip="10.0.0.8").status_code == 302  # another address


def test_the_block_ends_with_its_time(client, make_user, ip_limit, db):
    make_user("sales", username="zhao")
    for _ in range(3):
        post_login(client, "ghost", "bad-guess", ip="10.0.0.7")
    assert THROTTLED in text(post_login(client, "zhao", PASSWORD, ip="10.0.0.7"))
    row = db.session.get(LoginThrottle, "ip:10.0.0.7")
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert post_login(client, "zhao", PASSWORD, ip="10.0.0.7").status_code == 302


def test_failures_older_than_the_window_are_forgotten(client, make_user, ip_limit, db):
    make_user("sales", username="zhao")
    for _ in range(2):
        post_login(client, "ghost", "bad-guess", ip="10.0.0.7")
    row = db.session.get(LoginThrottle, "ip:10.0.0.7")
    row.window_started = utcnow() - timedelta(minutes=16)
    db.session.commit()
    for _ in range(2):  # 2 old + 2 new would be over the limit of 3 within one window
        assert GENERIC in text(post_login(client, "zhao", "bad-guess", ip="10.0.0.7"))
    assert post_login(client, "zhao", PASSWORD, ip="10.0.0.7").status_code == 302


def test_successful_logins_and_locked_refusals_do_not_count_against_the_address(
    app, client, make_user, ip_limit, db
):
    make_user("sales", username="zhao")
    make_user("finance", username="liu")
    for _ in range(5):
        assert post_login(client, "zhao", PASSWORD, ip="10.0.0.7").status_code == 302
        client.post("/logout")
    db.session.get(User, db.session.scalar(sa.select(User.id).where(User.username == "liu"))).locked_until = (
        utcnow() + timedelta(minutes=10)
    )
    db.session.commit()
    for _ in range(5):
        assert "账户已锁定" in text(post_login(client, "liu", "bad-guess", ip="10.0.0.7"))
    assert post_login(client, "zhao", PASSWORD, ip="10.0.0.7").status_code == 302


def test_x_forwarded_for_is_not_trusted_by_default(client, make_user, ip_limit):
    make_user("sales", username="zhao")
    for n in range(3):
        post_login(client, "ghost", "bad-guess", ip="10.0.0.7", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    response = post_login(
        client, "zhao", PASSWORD, ip="10.0.0.7", headers={"X-Forwarded-For": "203.0.113.99"}
    )
    assert THROTTLED in text(response)


def test_behind_a_configured_proxy_the_forwarded_address_is_throttled(app, make_user, db):
    make_user("sales", username="zhao")
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
        PROXIES=1,
        LOGIN_IP_MAX_FAILURES=3,
    )
    proxied = create_app(config)
    try:
        browser = proxied.test_client()
        for _ in range(3):
            post_login(browser, "ghost", "bad-guess", headers={"X-Forwarded-For": "203.0.113.5"})
        assert THROTTLED in text(
            post_login(browser, "zhao", PASSWORD, headers={"X-Forwarded-For": "203.0.113.5"})
        )
        response = post_login(browser, "zhao", PASSWORD, headers={"X-Forwarded-For": "203.0.113.6"})
        assert response.status_code == 302  # another client behind the same proxy is not blocked
    finally:
        with proxied.app_context():
            from ops.extensions import db as proxied_db

            proxied_db.engine.dispose()


def test_day_old_counters_are_pruned(client, db):
    old = utcnow() - timedelta(days=2)
    db.session.add(LoginThrottle(key="name:forgotten", failures=2, window_started=old))
    db.session.add(
        LoginThrottle(
            key="name:still-locked",
            failures=5,
            window_started=old,
            locked_until=utcnow() + timedelta(minutes=5),
        )
    )
    db.session.commit()
    login(client, "ghost", "bad-guess")
    db.session.expire_all()
    keys = set(db.session.scalars(sa.select(LoginThrottle.key)))
    assert "name:forgotten" not in keys and {"name:still-locked", "name:ghost", "ip:127.0.0.1"} <= keys


# --- next ------------------------------------------------------------------------------------

EVIL_NEXT = [
    "http:evil.com",
    "http:/evil.com",
    "//evil.com",
    "/\\evil.com",
    "https://evil.com",
    "/\r\nX: y",
    "/\t/evil.com",
    "/\x00",
    "http://localhost.evil.com/",
    "javascript:alert(1)",
    " //evil.com",
    "\\\\evil.com",
]


def _stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        location.startswith("/")
        and not location.startswith("//")
        and not parts.netloc
        and "\\" not in location
    )


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("sales", username="li")
    page = client.get("/login", query_string={"next": target})
    assert page.status_code == 200
    response = client.post("/login", data={"username": "li", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_encoded_cr_lf_stays_an_on_site_path(client, make_user):
    make_user("sales", username="li")
    response = client.post(
        "/login", data={"username": "li", "password": PASSWORD, "next": "/%0d%0aSet-Cookie:x"}
    )
    assert response.status_code == 302 and _stays_on_site(response.headers["Location"])
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("x")]
    client.post("/logout")
    # The same payload through the query string: decoded to CR/LF on the way in, so refused.
    page = client.get("/login?next=/%0d%0aSet-Cookie:x")
    assert page.status_code == 200
    response = client.post(
        "/login", data={"username": "li", "password": PASSWORD, "next": "/\r\nSet-Cookie:x"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_on_site_paths_are_still_followed(client, make_user):
    make_user("sales", username="li")
    for target in ("/admin/audit/?x=1", "/clients/?q=a:b", "/billing/invoices/1#top"):
        response = client.post("/login", data={"username": "li", "password": PASSWORD, "next": target})
        assert response.headers["Location"] == target
        client.post("/logout")


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"lang": "zh", "next": target})
    assert response.status_code == 302 and _stays_on_site(response.headers["Location"])
