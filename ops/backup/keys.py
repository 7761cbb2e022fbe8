"""The secrets (``--with-keys``): JSON, Fernet-encrypted under a scrypt-derived key."""

from __future__ import annotations

import base64
import json
import secrets as _secrets

from ops.backup.common import MIN_PASSPHRASE, SCRYPT, BackupError


def _derive(passphrase: str, salt: bytes, params: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"])
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))


def encrypt_secrets(values: dict, passphrase: str) -> bytes:
    """The secrets as JSON, Fernet-encrypted under a key scrypt derives from the passphrase and a
    random salt; the salt and the scrypt parameters are stored beside the token."""
    from cryptography.fernet import Fernet

    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"口令至少需要 {MIN_PASSPHRASE} 个字符。")
    salt = _secrets.token_bytes(16)
    token = Fernet(_derive(passphrase, salt, SCRYPT)).encrypt(json.dumps(values).encode())
    return json.dumps(
        {"kdf": "scrypt", **SCRYPT, "salt": base64.b64encode(salt).decode(), "token": token.decode()},
        indent=1,
    ).encode()


def decrypt_secrets(blob: bytes, passphrase: str) -> dict:
    from cryptography.fernet import Fernet, InvalidToken

    try:
        data = json.loads(blob)
        key = _derive(passphrase, base64.b64decode(data["salt"]), data)
        return json.loads(Fernet(key).decrypt(data["token"].encode()))
    except InvalidToken as exc:
        raise BackupError("口令不正确，或密钥文件已损坏：无法解密备份中的密钥。") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("备份中的密钥文件格式无效。") from exc
