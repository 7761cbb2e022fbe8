import os
import stat

import pytest

from ops import create_app
from ops.config import ConfigError, finalise


def test_production_without_secret_refuses_to_start(tmp_path):
    config = {"ENV_NAME": "production", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(ConfigError, match="OPS_SECRET_KEY"):
        finalise(config, str(tmp_path))


def test_production_without_database_url_refuses_to_start(tmp_path):
    config = {"ENV_NAME": "production", "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": None}
    with pytest.raises(ConfigError, match="OPS_DATABASE_URL"):
        finalise(config, str(tmp_path))


def test_create_app_in_production_without_secret_raises(monkeypatch):
    with pytest.raises(ConfigError):
        create_app(
            {
                "ENV_NAME": "production",
                "SECRET_KEY": None,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "AUTO_MIGRATE": False,
            }
        )


def test_production_without_vault_key_refuses_to_start(tmp_path):
    config = {"ENV_NAME": "production", "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    with pytest.raises(ConfigError, match="OPS_VAULT_KEY"):
        finalise(config, str(tmp_path))


def test_development_vault_key_is_a_fernet_key_kept_in_instance(tmp_path):
    from cryptography.fernet import Fernet

    config = {"ENV_NAME": "development", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None}
    finalise(config, str(tmp_path))
    assert stat.S_IMODE(os.stat(tmp_path / "vault_key").st_mode) == 0o600
    Fernet(config["VAULT_KEY"].encode())  # a valid key


def test_development_secret_is_generated_once_with_mode_0600(tmp_path):
    first = {"ENV_NAME": "development", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None}
    finalise(first, str(tmp_path))
    secret_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert len(first["SECRET_KEY"]) >= 40
    second = {"ENV_NAME": "development", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None}
    finalise(second, str(tmp_path))
    assert second["SECRET_KEY"] == first["SECRET_KEY"]
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'ops.db'}"


def test_secret_from_environment_wins(tmp_path):
    secret = "from-env-" + "x" * 32
    config = {
        "ENV_NAME": "production",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x/y",
        "VAULT_KEY": "n0Jq2m4m0o8bq6QpM4Jg5z0mVvJx3h1QeYx2m6cQnV8=",
    }
    finalise(config, str(tmp_path))
    assert config["SECRET_KEY"] == secret
    assert not (tmp_path / "secret_key").exists()


def test_testing_app(app):
    assert app.config["TESTING"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_sqlite_foreign_keys_are_on(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragma only")
    assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "http" not in csp  # no other origin is allowed


def test_login_page_is_chinese_and_assets_are_local(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html
    assert "cdn" not in html.lower()
    assert "/bootstrap/static/css/bootstrap.min.css" in html
    with client.get("/bootstrap/static/css/bootstrap.min.css") as response:
        assert response.status_code == 200


def test_english_can_be_switched_on(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert "Username" in html and "Log in" in html
    client.post("/language", data={"lang": "zh"})
    assert "用户名" in client.get("/login").get_data(as_text=True)


def test_error_pages_say_what_happened(client, login_as):
    login_as("sales")
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
    response = client.get("/admin/users/")
    assert response.status_code == 403 and "没有权限" in response.get_data(as_text=True)
