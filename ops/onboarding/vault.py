"""The credential vault: platform sub-account passwords encrypted at rest (Fernet, AES-128 + HMAC).

The key comes from the environment (``OPS_VAULT_KEY`` -> ``app.config["VAULT_KEY"]``) and never
from the database. A token encrypted under another key fails its HMAC check and raises
``VaultError``: garbage is never returned as a password.

``OPS_VAULT_KEY`` may list several keys separated by commas, newest first (a ``MultiFernet``): new
tokens are made with the first, every listed key can read. ``flask ops rotate-vault-key`` then
re-encrypts every credential under the first key, after which the old keys can be dropped.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from flask_babel import gettext as _

from ops.errors import ServiceError


class VaultError(ServiceError):
    """The vault cannot encrypt or decrypt with the configured key (a refusal the user is shown)."""


def key_list(value: str | bytes | None) -> list[str]:
    """The keys of an ``OPS_VAULT_KEY`` value, newest first (comma-separated; blanks ignored)."""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    return [k.strip() for k in (value or "").split(",") if k.strip()]


def _fernet(key: str | bytes | None = None) -> MultiFernet:
    key = key if key is not None else current_app.config.get("VAULT_KEY")
    keys = key_list(key)
    if not keys:
        raise VaultError(_("未配置凭据加密密钥（OPS_VAULT_KEY）。"))
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise VaultError(_("凭据加密密钥格式无效（需为 Fernet 密钥）。")) from exc


def encrypt(plain: str, *, key: str | bytes | None = None) -> str:
    """The Fernet token (ASCII text) of ``plain``, under the newest key."""
    return _fernet(key).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, key: str | bytes | None = None) -> str:
    """The plain text of a token made by ``encrypt``; VaultError when no configured key matches."""
    try:
        return _fernet(key).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise VaultError(_("凭据无法解密：加密密钥与加密时不一致")) from exc


def rotate(token: str, *, key: str | bytes | None = None) -> str:
    """``token`` re-encrypted under the newest key (VaultError when no configured key reads it)."""
    try:
        return _fernet(key).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise VaultError(_("凭据无法解密：加密密钥与加密时不一致")) from exc


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
