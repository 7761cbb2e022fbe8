"""Production start-up (issue 11, item 6): a short secret key, a vault key that is not Fernet and
FLASK_DEBUG are refused; Secure cookies and HSTS unless OPS_PLAIN_HTTP says there is no TLS."""

import pytest
from cryptography.fernet import Fernet

from ops import create_app
from ops.config import ConfigError, TestConfig, finalise
from tests.conftest import PASSWORD

GOOD_SECRET = "s" * 32
HSTS = "max-age=31536000; includeSubDomains"


def production(**overrides) -> dict:
    config = {
        "ENV_NAME": "production",
        "SECRET_KEY": GOOD_SECRET,
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "VAULT_KEY": Fernet.generate_key().decode(),
        "UPLOAD_DIR": "/tmp/unused",
        "PLAIN_HTTP": False,
    }
    config.update(overrides)
    return config


@pytest.fixture(autouse=True)
def _no_debug_env(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)


def test_a_secret_key_shorter_than_32_characters_is_refused(tmp_path):
    with pytest.raises(
        ConfigError, match="OPS_SECRET_KEY is too short .31 characters.: production needs at least 32"
    ):
        finalise(production(SECRET_KEY="s" * 31), str(tmp_path))
    finalise(production(SECRET_KEY="s" * 32), str(tmp_path))  # 32 is enough


@pytest.mark.parametrize(
    "vault_key", ["k", "not-a-fernet-key-but-long-enough-to-look-like-one=", " ", "密钥" * 22]
)
def test_a_vault_key_that_is_not_a_fernet_key_is_refused(tmp_path, vault_key):
    with pytest.raises(ConfigError, match="OPS_VAULT_KEY item 1 is not a valid Fernet key"):
        finalise(production(VAULT_KEY=vault_key), str(tmp_path))


def test_every_key_of_a_rotation_list_must_be_a_fernet_key(tmp_path):
    newest, older = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    finalise(production(VAULT_KEY=f"{newest},{older}"), str(tmp_path))
    finalise(production(VAULT_KEY=f"{newest}, {older}"), str(tmp_path))  # spaces after commas are fine
    with pytest.raises(ConfigError, match="OPS_VAULT_KEY item 2 is not a valid Fernet key"):
        finalise(production(VAULT_KEY=f"{newest},old-key"), str(tmp_path))
    with pytest.raises(ConfigError, match="OPS_VAULT_KEY item 2"):
        finalise(production(VAULT_KEY=f"{newest},"), str(tmp_path))


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_flask_debug_is_refused_in_production(tmp_path, monkeypatch, value):
    monkeypatch.setenv("FLASK_DEBUG", value)
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        create_app(production(AUTO_MIGRATE=False))


def test_flask_debug_off_is_accepted_and_development_may_debug(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "0")
    finalise(production(), str(tmp_path))
    monkeypatch.setenv("FLASK_DEBUG", "1")
    finalise(production(ENV_NAME="development"), str(tmp_path))


def test_production_cookies_are_secure_and_hsts_is_on(tmp_path):
    config = production()
    finalise(config, str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["HSTS"] == HSTS


def test_plain_http_turns_secure_cookies_and_hsts_off(tmp_path):
    config = production(PLAIN_HTTP=True, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    finalise(config, str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is False and config["REMEMBER_COOKIE_SECURE"] is False
    assert not config.get("HSTS")


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def _production_app(app, **overrides):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        production(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            UPLOAD_DIR=app.config["UPLOAD_DIR"],
            AUTO_MIGRATE=False,
            **overrides,
        )
    )
    return create_app(config)


def _dispose(app):
    with app.app_context():
        from ops.extensions import db

        db.engine.dispose()


def test_a_production_server_sends_hsts_and_secure_session_cookies(app, make_user):
    user = make_user("sales")
    prod = _production_app(app)
    try:
        browser = prod.test_client()
        assert browser.get("/login").headers["Strict-Transport-Security"] == HSTS
        response = browser.post(
            "/login", data={"username": user.username, "password": PASSWORD}, base_url="https://localhost"
        )
        assert response.status_code == 302
        assert response.headers["Strict-Transport-Security"] == HSTS
        cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
        assert len(cookies) == 1 and "Secure" in cookies[0] and "HttpOnly" in cookies[0]
    finally:
        _dispose(prod)


def test_a_plain_http_production_server_sends_neither(app, make_user):
    user = make_user("sales")
    prod = _production_app(app, PLAIN_HTTP=True, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    try:
        browser = prod.test_client()
        response = browser.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302
        assert "Strict-Transport-Security" not in response.headers
        cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
        assert len(cookies) == 1 and "Secure" not in cookies[0]
    finally:
        _dispose(prod)
