from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ops.auth.roles import CLIENT, ROLES, STAFF_ROLES
from ops.auth.scopes import LEGACY_SCOPES, client_scopes_check_sql, format_scopes, parse_scopes
from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.timeutil import utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    # A client user belongs to exactly one client; staff users leave it empty.
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="RESTRICT", use_alter=True), index=True
    )
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    is_active_user: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on logout, password change and deactivation: every older session stops working.
    session_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locale: Mapped[str | None] = mapped_column(sa.String(10))

    client = relationship("Client", foreign_keys=[client_id])

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.is_active_user)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_client(self) -> bool:
        return self.role == CLIENT

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class LoginThrottle(db.Model):
    """Failed-login counters that are not a user's own: per client address, and per unknown username.

    ``key`` is ``ip:<address>`` or ``name:<lowercased username>``. A counter restarts when its window
    has passed or its lock has ended; at the limit it is locked until ``locked_until``. Rows are
    written only by ``ops.auth.services`` in single atomic statements (an upsert … RETURNING), so
    parallel requests in several workers never lose a count.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer)
    window_started: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(db.Model):
    """An API token for /api/v1 (docs/api.md). Only a SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        # A client's own token never holds a staff-only scope (ops.auth.scopes).
        sa.CheckConstraint(client_scopes_check_sql(), name="client_scopes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(12), index=True)  # shown in lists to recognise a token
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE")
    )  # None = staff
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Space-separated scopes (ops.auth.scopes); tokens made before scopes existed hold usage:write.
    scopes: Mapped[str] = mapped_column(
        sa.String(100), default=format_scopes(LEGACY_SCOPES), server_default=format_scopes(LEGACY_SCOPES)
    )

    client = relationship("Client")

    @property
    def scope_set(self) -> frozenset[str]:
        return parse_scopes(self.scopes)


PAID_IN_RANGE_SQL = "paid_fen >= 0 AND (paid_fen = 0 OR paid_fen <= total_fen)"
