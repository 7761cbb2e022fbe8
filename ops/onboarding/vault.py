"""The credential vault: platform sub-account passwords encrypted at rest (Fernet, AES-128 + HMAC).

The key comes from the environment (``OPS_VAULT_KEY`` -> ``app.config["VAULT_KEY"]``) and never
from the database. A token encrypted under another key fails its HMAC check and raises
``VaultError``: garbage is never returned as a password.
"""

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import gettext as _


class VaultError(RuntimeError):
    """The vault cannot encrypt or decrypt with the configured key."""


def _fernet(key: str | bytes | None = None) -> Fernet:
    key = key if key is not None else current_app.config.get("VAULT_KEY")
    if not key:
        raise VaultError(_("未配置凭据加密密钥（OPS_VAULT_KEY）。"))
    try:
        return Fernet(key)
    except (ValueError, TypeError) as exc:
        raise VaultError(_("凭据加密密钥格式无效（需为 Fernet 密钥）。")) from exc


def encrypt(plain: str, *, key: str | bytes | None = None) -> str:
    """The Fernet token (ASCII text) of ``plain``."""
    return _fernet(key).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, key: str | bytes | None = None) -> str:
    """The plain text of a token made by ``encrypt``; VaultError when the key does not match."""
    try:
        return _fernet(key).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise VaultError(_("凭据无法解密：加密密钥与加密时不一致")) from exc
