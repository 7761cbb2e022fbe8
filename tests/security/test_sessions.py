"""Sessions: a copied cookie dies with logout, deactivation and a password change; the cookie is
HttpOnly and SameSite=Lax, and Secure when OPS_SECURE_COOKIES is on."""

import pytest

from ops import create_app
from ops.config import TestConfig
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "another-horse-2"


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app, value: str):
    """A second browser holding a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def logged_in(client) -> bool:
    response = client.get("/password")
    return response.status_code == 200


def test_logout_ends_the_session_for_a_copied_cookie(app, client, make_user):
    user = make_user("sales")
    login(client, user.username)
    copy = with_cookie(app, session_cookie(client))
    assert logged_in(copy)

    client.post("/logout")

    assert not logged_in(client)
    response = copy.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_deactivated_users_session_stops_at_the_next_request(app, client, make_user):
    user = make_user("trainer")
    login(client, user.username)
    assert logged_in(client)
    admin = app.test_client()
    login(admin, make_user("admin").username)

    assert admin.post(f"/admin/users/{user.id}/deactivate").status_code == 302

    response = client.get("/training/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert "该账户已停用" in response.get_data(as_text=True)


def test_a_password_change_ends_the_other_sessions(app, client, make_user):
    user = make_user("finance")
    login(client, user.username)
    elsewhere = app.test_client()
    login(elsewhere, user.username)
    stolen = with_cookie(app, session_cookie(elsewhere))

    response = client.post(
        "/password",
        data={"old_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    assert logged_in(client)  # the session that changed it goes on
    assert not logged_in(elsewhere)
    assert not logged_in(stolen)


def set_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def test_the_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user("manager")
    response = login(client, user.username)
    header = set_cookie_header(response)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # TestConfig: plain http in tests
    assert not [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]


@pytest.fixture
def secure_app(app):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
        SESSION_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SECURE=True,
    )
    secure = create_app(config)
    yield secure
    with secure.app_context():
        from ops.extensions import db

        db.engine.dispose()


def test_the_session_cookie_is_secure_when_secure_cookies_are_on(secure_app, make_user):
    user = make_user("admin")
    client = secure_app.test_client()
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, base_url="https://localhost"
    )
    assert response.status_code == 302
    header = set_cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
