"""Recording audit entries. Every service that changes state calls ``record``."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from ops.audit.models import AuditEntry
from ops.extensions import db
from ops.i18n import LazyText

SECRET_FIELDS = {"password", "password_hash", "secret", "token", "token_hash", "ciphertext"}


def _plain(value):
    if isinstance(value, LazyText):
        return str(value)
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


def _chinese(value):
    """A parameter as it is kept: plain values as they are, a nested lazy message in Chinese (its msgid
    with its own parameters), so nothing depends on the language of whoever caused the entry."""
    if isinstance(value, LazyText):
        params = {k: _chinese(v) for k, v in value.params.items()}
        return value.msgid % params if params else value.msgid
    return _plain(value)


def snapshot(obj, fields) -> dict:
    """A JSON-able dict of ``fields`` read from ``obj`` (for before/after)."""
    return _plain({f: getattr(obj, f) for f in fields})


def actor_of(user) -> tuple[int | None, str]:
    """(user id, username) of the entry's actor, or (None, "system").

    Every service's commit expires the acting user, and reading its id or name would then reload the
    whole row (a SELECT per audit entry in a billing run's thousands of steps). The name is remembered
    by id for the session's life (its ``info``): a user's name never changes once created.
    """
    if user is None:
        return None, "system"
    state = sa.inspect(user, raiseerr=False)
    names: dict[int, str] = db.session.info.setdefault("audit_usernames", {})
    if state is not None and state.identity is not None and "username" not in state.dict:
        user_id = state.identity[0]  # expired by a commit: the id is in its identity key
        if user_id in names:
            return user_id, names[user_id]
    user_id, username = getattr(user, "id", None), getattr(user, "username", None)
    if user_id is not None and username and state is not None:
        names[user_id] = username
    return user_id, username or "system"


def record(
    action: str,
    obj=None,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    summary: str | LazyText = "",
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
) -> AuditEntry:
    """Add an audit entry to the session (the caller's unit of work commits it).

    ``actor`` defaults to the logged-in user; outside a request (CLI) the entry says "system".
    A ``summary`` the code writes is ``ops.i18n._l(msgid, **params)``: the entry keeps the Chinese
    text and the msgid with its parameters, and pages show it in the reader's language.
    """
    msgid, params = None, None
    if isinstance(summary, LazyText):
        msgid, params = summary.msgid, {k: _chinese(v) for k, v in summary.params.items()}
        summary = msgid % params if params else msgid
    user = actor
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    if obj is not None:
        if getattr(obj, "id", 0) is None:
            db.session.flush()  # a new object needs its id before it can be named
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    user_id, actor_name = actor_of(user)
    entry = AuditEntry(
        user_id=user_id,
        actor=actor_name,
        action=action,
        object_type=object_type or "",
        object_id=object_id,
        summary=summary[:300],
        summary_msgid=msgid,
        summary_params=params,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def summary_text(entry: AuditEntry) -> str:
    """An entry's summary in the reader's language: a code-written one is translated from its msgid;
    one a person typed is shown as typed."""
    if not entry.summary_msgid:
        return entry.summary
    from flask_babel import gettext

    text = gettext(entry.summary_msgid)  # an unknown msgid comes back as itself (Chinese)
    try:
        return text % (entry.summary_params or {}) if entry.summary_params else text
    except (KeyError, ValueError, TypeError):
        return entry.summary
