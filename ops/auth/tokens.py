"""API tokens for /api/v1: created by an administrator (page or CLI), shown once, stored as a SHA-256.

Each token holds scopes (ops.auth.scopes); a client-scoped token sees and writes only its client."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa

from ops.audit.services import record
from ops.auth.models import ApiToken
from ops.auth.scopes import LEGACY_SCOPES, format_scopes, scope_problems
from ops.clients.models import Client
from ops.errors import ServiceError
from ops.extensions import db
from ops.timeutil import utcnow

TOKEN_PREFIX = "ops_"
PREFIX_LENGTH = 12  # "ops_" and 8 characters of the secret: enough to recognise a token in a list


class TokenError(ServiceError):
    """A refused token action; the message is for the user."""


class TokenRevokedError(TokenError):
    """The token was already revoked: nothing to do (a warning, not an error)."""

    category = "warning"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(name: str, client_id: int | None, by=None, *, scopes=LEGACY_SCOPES) -> tuple[ApiToken, str]:
    """A new token; returns it with its secret, which is shown once and never stored (only its SHA-256).

    ``client_id`` None makes a staff token (any client's rows); otherwise only that client's.
    ``scopes`` (ops.auth.scopes.SCOPES) default to ``usage:write`` alone, what every token could do
    before scopes existed; a client's token may not hold the staff-only scopes.
    """
    name = (name or "").strip()
    if not name:
        raise TokenError("请填写令牌名称")
    if len(name) > 100:
        raise TokenError("令牌名称不能超过 100 个字符")
    if client_id is not None and db.session.get(Client, client_id) is None:
        raise TokenError("所选客户不存在")
    problems = scope_problems(scopes, client_scoped=client_id is not None)
    if problems:
        raise TokenError("；".join(problems), "scopes")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        client_id=client_id,
        created_by_id=getattr(by, "id", None),
        scopes=format_scopes(scopes),
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.created",
        token,
        actor=by,
        summary=f"{name}（{token.prefix}…）",
        after={"name": name, "prefix": token.prefix, "client_id": client_id, "scopes": token.scopes},
    )
    return token, secret


def revoke_token(token: ApiToken, by=None) -> None:
    """Revoke a token: it stops working at once. Revoking twice is refused."""
    if token.revoked_at is not None:
        raise TokenRevokedError("该令牌已被吊销")
    token.revoked_at = utcnow()
    record("api_token.revoked", token, actor=by, summary=f"{token.name}（{token.prefix}…）")


def authenticate_token(header_value: str | None) -> ApiToken | None:
    """The active token an ``Authorization: Bearer <secret>`` header names, or None.

    The secret is looked up by its SHA-256, so timing reveals nothing about the secret; a
    revoked or unknown token gives None. Marks the token used (the caller commits).
    """
    if not header_value:
        return None
    scheme, _, secret = header_value.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at is not None:
        return None
    token.last_used_at = utcnow()
    return token
