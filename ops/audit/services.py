"""Recording audit entries. Every service that changes state calls ``record``."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_request_context, request
from flask_login import current_user

from ops.audit.models import AuditEntry
from ops.extensions import db

SECRET_FIELDS = {"password", "password_hash", "secret", "token", "token_hash", "ciphertext"}


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: ("***" if k in SECRET_FIELDS else _plain(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj, fields) -> dict:
    """A JSON-able dict of ``fields`` read from ``obj`` (for before/after)."""
    return _plain({f: getattr(obj, f) for f in fields})


def record(
    action: str,
    obj=None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
) -> AuditEntry:
    """Add an audit entry to the session (the caller's unit of work commits it).

    ``actor`` defaults to the logged-in user; outside a request (CLI) the entry says "system".
    """
    user = actor
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    if obj is not None:
        if getattr(obj, "id", 0) is None:
            db.session.flush()  # a new object needs its id before it can be named
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        actor=getattr(user, "username", None) or "system",
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        summary=summary[:300],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
