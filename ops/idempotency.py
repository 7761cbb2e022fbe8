"""Double-submit protection for money forms (payments, deposits, credit notes, voids).

The form carries a random key (``IdempotencyKeyField``, rendered as a hidden input). The service
claims the key in the same transaction as the action, after taking its row lock: the table's UNIQUE
constraint makes a second claim of the same key fail, so a double-click or a resent POST records
once and the second answer says it was already recorded. A refused action rolls back, so its key
stays free. A form sent without a key (older clients, scripts) is not protected against repeats,
but its action is still checked under the row lock.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField
from wtforms.validators import Optional, Regexp

from ops.dbtypes import UTCDateTime
from ops.errors import Conflict
from ops.extensions import db
from ops.timeutil import utcnow

KEY_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class AlreadyRecorded(Conflict):
    """This form was already submitted and its action recorded: nothing was done a second time."""

    category = "info"

    def __init__(self, key: str = ""):
        super().__init__(_l("该操作已登记，未重复记录。"))
        self.key = key


class IdempotencyKey(db.Model):
    """A used form key: one row per money action submitted with a key."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    action: Mapped[str] = mapped_column(sa.String(50))  # invoice.payment, contract.deposit_received …
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def new_key() -> str:
    return secrets.token_urlsafe(24)


def IdempotencyKeyField() -> HiddenField:  # noqa: N802  (used like a field class in a form body)
    """A hidden field holding a fresh random key each time the form is rendered."""
    return HiddenField(
        _l("表单编号"),
        default=new_key,
        validators=[Optional(), Regexp(KEY_PATTERN, message=_l("表单已失效，请刷新页面后重新提交"))],
    )


def claim(key: str | None, action: str, *, object_id: int | None = None, by=None) -> None:
    """Mark ``key`` used by this transaction; AlreadyRecorded when it was used before.

    Call it inside the action's transaction, after the row lock: the row is committed (or rolled
    back) together with the action. No key: nothing to claim.
    """
    if not key:
        return
    if db.session.scalar(sa.select(IdempotencyKey.id).where(IdempotencyKey.key == key)) is not None:
        raise AlreadyRecorded(key)
    try:
        with db.session.begin_nested():  # a concurrent claim of the same key: the UNIQUE index decides
            db.session.add(
                IdempotencyKey(key=key, action=action, object_id=object_id, user_id=getattr(by, "id", None))
            )
    except IntegrityError as exc:
        raise AlreadyRecorded(key) from exc


def remember_result(key: str | None, object_id: int) -> None:
    """Point the key claimed in this transaction at what its action created (e.g. the payment), so a
    retried request can be answered with exactly that object. No key: nothing to remember."""
    if key:
        db.session.execute(
            sa.update(IdempotencyKey).where(IdempotencyKey.key == key).values(object_id=object_id)
        )


def claimed(key: str | None) -> IdempotencyKey | None:
    """The row of a used key, or None."""
    if not key:
        return None
    return db.session.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.key == key))
