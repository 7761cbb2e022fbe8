"""Configuration read from the environment (see the README's configuration table)."""

import os
import secrets
from pathlib import Path

DEFAULT_PDF_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = os.environ.get("OPS_ENV", "development")
    SQLALCHEMY_DATABASE_URI = os.environ.get("OPS_DATABASE_URL")  # default filled in from instance path
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SECRET_KEY = os.environ.get("OPS_SECRET_KEY")
    VAULT_KEY = os.environ.get("OPS_VAULT_KEY")  # Fernet key(s) for the credential vault, newest first
    # Old secret keys still accepted for sessions while a new OPS_SECRET_KEY is rolled out (Flask 3.1).
    SECRET_KEY_FALLBACKS = [
        k.strip() for k in os.environ.get("OPS_SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
    ]
    PG_DUMP = os.environ.get("OPS_PG_DUMP")  # default: pg_dump on PATH
    PG_RESTORE = os.environ.get("OPS_PG_RESTORE")  # default: pg_restore on PATH
    AUTO_MIGRATE = _flag("OPS_AUTO_MIGRATE", True)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("OPS_SECURE_COOKIES")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _flag("OPS_SECURE_COOKIES")
    PERMANENT_SESSION_LIFETIME = int(os.environ.get("OPS_SESSION_HOURS", "12")) * 3600
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh": "中文", "en": "English"}

    BOOTSTRAP_SERVE_LOCAL = True
    MAX_CONTENT_LENGTH = int(os.environ.get("OPS_MAX_UPLOAD_MB", "20")) * 1024 * 1024
    UPLOAD_DIR = os.environ.get("OPS_UPLOAD_DIR")  # default: instance/uploads
    # A usage CSV with more data rows than this is imported by a job (the page shows its progress).
    USAGE_IMPORT_JOB_ROWS = int(os.environ.get("OPS_USAGE_IMPORT_JOB_ROWS", "2000"))
    # A TTF/TTC to embed in PDFs; by default WenQuanYi Micro Hei when installed, else the
    # built-in STSong-Light (not embedded: the reader's viewer supplies the glyphs).
    PDF_FONT = os.environ.get("OPS_PDF_FONT") or next(
        (p for p in DEFAULT_PDF_FONTS if Path(p).exists()), None
    )

    PASSWORD_HASH_METHOD = "scrypt"
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    # Per client address, across all usernames: this many failed logins within the window block the
    # address for LOGIN_IP_LOCK_MINUTES. Behind a reverse proxy set OPS_PROXIES (see create_app),
    # otherwise every user shares the proxy's address.
    LOGIN_IP_MAX_FAILURES = int(os.environ.get("OPS_LOGIN_IP_MAX_FAILURES", "20"))
    LOGIN_IP_WINDOW_MINUTES = 15
    LOGIN_IP_LOCK_MINUTES = 15
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    PROXIES = int(os.environ.get("OPS_PROXIES", "0"))
    # A production deployment served over plain HTTP (no TLS anywhere): no Secure cookies, no HSTS.
    PLAIN_HTTP = _flag("OPS_PLAIN_HTTP")
    HSTS = None  # set by finalise() in production
    PAGE_SIZE = 25
    VENDOR_NAME = os.environ.get("OPS_VENDOR_NAME", "杭州云帆客服外包有限公司")
    # The address printed in invoice QR codes (/verify/<number>); default: the request's, else 127.0.0.1:5000.
    PUBLIC_URL = os.environ.get("OPS_PUBLIC_URL")
    # E-mail (ops/notify/mail.py): SMTP when OPS_SMTP_URL is set (smtp://user:pass@host:587?starttls=1,
    # smtps://host:465), else .eml files in OPS_OUTBOX_DIR (default instance/outbox/) for development.
    SMTP_URL = os.environ.get("OPS_SMTP_URL")
    MAIL_FROM = os.environ.get("OPS_MAIL_FROM", "noreply@localhost")
    OUTBOX_DIR = os.environ.get("OPS_OUTBOX_DIR")  # default: instance/outbox
    # The task queue (docs/queue.md): Redis when set (many consumers on many machines), else a SQLite
    # file beside the database (OPS_QUEUE_FILE to put it elsewhere).
    REDIS_URL = os.environ.get("OPS_REDIS_URL")
    QUEUE_FILE = os.environ.get("OPS_QUEUE_FILE")
    QUEUE_IMMEDIATE = _flag("OPS_QUEUE_IMMEDIATE")  # tasks run inline (tests, debugging)
    JOB_DIR = os.environ.get("OPS_JOB_DIR")  # default: instance/jobs (shared storage on many hosts)
    JOB_LEASE_SECONDS = int(os.environ.get("OPS_JOB_LEASE_SECONDS", "60"))
    JOB_FILE_DAYS = int(os.environ.get("OPS_JOB_FILE_DAYS", "7"))  # a finished job's file is kept this long
    # The REST API's rate limit per token (Flask-Limiter syntax), counted in Redis when OPS_REDIS_URL is set.
    API_RATE_LIMIT = os.environ.get("OPS_API_RATE_LIMIT", "600 per minute")
    # Webhooks (docs/webhooks.md): http:// URLs allowed (default: everywhere but production), the days
    # of failures after which a subscription is disabled, the timeout of one attempt (seconds).
    WEBHOOKS_ALLOW_HTTP = (
        _flag("OPS_WEBHOOKS_ALLOW_HTTP") if os.environ.get("OPS_WEBHOOKS_ALLOW_HTTP") is not None else None
    )
    WEBHOOK_DISABLE_AFTER_DAYS = int(os.environ.get("OPS_WEBHOOK_DISABLE_AFTER_DAYS", "3"))
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("OPS_WEBHOOK_TIMEOUT_SECONDS", "10"))
    TESTING = False


class TestConfig(Config):
    TESTING = True
    ENV_NAME = "testing"
    AUTO_MIGRATE = False
    SECRET_KEY = "test-secret-key"
    VAULT_KEY = "n0Jq2m4m0o8bq6QpM4Jg5z0mVvJx3h1QeYx2m6cQnV8="  # a fixed Fernet key for tests only
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("OPS_TEST_DATABASE_URL")  # default: a temporary SQLite file
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick; never in production
    QUEUE_IMMEDIATE = not os.environ.get("OPS_TEST_QUEUE")  # tasks inline unless a test runs a consumer
    API_RATE_LIMIT = "100000 per minute"  # never reached by a test but the one that lowers it
    RATELIMIT_STORAGE_URI = "memory://"


def finalise(config: dict, instance_path: str) -> None:
    """Fill in what depends on the instance folder and refuse unsafe production settings."""
    instance = Path(instance_path)
    production = config.get("ENV_NAME") == "production"
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        if production:
            raise ConfigError("OPS_DATABASE_URL must be set in production")
        instance.mkdir(parents=True, exist_ok=True)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'ops.db'}"
    if not config.get("SECRET_KEY"):
        if production:
            raise ConfigError(
                "OPS_SECRET_KEY must be set in production: the app refuses to start without one"
            )
        config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if not config.get("VAULT_KEY"):
        if production:
            raise ConfigError(
                "OPS_VAULT_KEY must be set in production (a Fernet key for the credential vault)"
            )
        config["VAULT_KEY"] = _instance_secret(instance / "vault_key", _fernet_key)
        config["VAULT_KEY_FILE"] = str(instance / "vault_key")  # rotate-vault-key --new-key writes here
    if config.get("WEBHOOKS_ALLOW_HTTP") is None:
        config["WEBHOOKS_ALLOW_HTTP"] = not production  # https only in production unless set
    if not config.get("UPLOAD_DIR"):
        config["UPLOAD_DIR"] = str(instance / "uploads")
    if not config.get("JOB_DIR"):
        config["JOB_DIR"] = str(instance / "jobs")
    if production:
        _refuse_unsafe_production(config)


MIN_SECRET_KEY_LENGTH = 32
HSTS_VALUE = "max-age=31536000; includeSubDomains"


def _refuse_unsafe_production(config: dict) -> None:
    """Production refuses a short secret key, a vault key that is not Fernet, and the debugger;
    it sets Secure cookies and HSTS unless OPS_PLAIN_HTTP says the deployment has no TLS."""
    if len(config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"OPS_SECRET_KEY is too short ({len(config['SECRET_KEY'])} characters): production needs at least "
            f"{MIN_SECRET_KEY_LENGTH}, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    from cryptography.fernet import Fernet

    for position, key in enumerate(str(config["VAULT_KEY"]).split(","), start=1):
        try:
            Fernet(key.strip())
        except ValueError:
            raise ConfigError(
                f"OPS_VAULT_KEY item {position} is not a valid Fernet key (32 url-safe base64-encoded bytes); "
                "make one with python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from None
    if config.get("DEBUG") or _flag("FLASK_DEBUG"):
        raise ConfigError("FLASK_DEBUG is set: the debugger must never run in production (unset FLASK_DEBUG)")
    if not config.get("PLAIN_HTTP"):
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        config["HSTS"] = HSTS_VALUE


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _instance_secret(path: Path, make=lambda: secrets.token_urlsafe(48)) -> str:
    """Read a development secret from ``path``, generating it once with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(make())
    return path.read_text().strip()
