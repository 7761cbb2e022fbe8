"""Account actions. Each checks, writes and audits; the caller commits."""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ops.audit.services import record, snapshot
from ops.auth.models import User
from ops.auth.roles import CLIENT, ROLES
from ops.extensions import db
from ops.timeutil import utcnow

USER_FIELDS = ("username", "display_name", "email", "phone", "role", "client_id", "is_active_user")
MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A refused account action; the message is for the user."""


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))


def authenticate(username: str, password: str) -> User:
    """Check a login. Returns the user or raises AccountError with a message safe to show.

    After LOGIN_MAX_FAILURES wrong passwords in a row the account locks for LOGIN_LOCK_MINUTES.
    """
    user = find_user(username)
    now = utcnow()
    if user is None:
        raise AccountError(_("用户名或密码错误。"))
    if user.is_locked(now):
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AccountError(_("登录失败次数过多，账户已锁定，请 %(m)s 分钟后再试或联系管理员解锁。", m=minutes))
    if not user.check_password(password):
        user.failed_logins = (user.failed_logins or 0) + 1
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if user.failed_logins >= limit:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            record("user.locked", user, summary=f"{limit} failed logins", actor=user)
            raise AccountError(
                _("连续 %(n)s 次密码错误，账户已锁定 %(m)s 分钟。", n=limit, m=current_app.config["LOGIN_LOCK_MINUTES"])
            )
        raise AccountError(_("用户名或密码错误。"))
    if not user.is_active_user:
        raise AccountError(_("该账户已停用，请联系管理员。"))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    record("user.login", user, actor=user)
    return user


def logout(user: User) -> None:
    """End every session of this user (the session id carries session_version)."""
    user.session_version += 1
    record("user.logout", user, actor=user)


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("密码至少需要 %(n)s 个字符。", n=MIN_PASSWORD_LENGTH))


def change_password(user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise AccountError(_("当前密码不正确。"))
    if old_password == new_password:
        raise AccountError(_("新密码不能与当前密码相同。"))
    _check_password_strength(new_password)
    user.set_password(new_password)
    user.must_change_password = False
    user.session_version += 1
    record("user.password_changed", user, actor=user)


def _client_exists(client_id) -> bool:
    """True when a client with this id exists (False too for ids no database column could hold)."""
    from ops.urls import MAX_DB_INT

    if isinstance(client_id, bool) or not isinstance(client_id, int) or not 0 < client_id <= MAX_DB_INT:
        return False
    clients = db.metadata.tables.get("clients")  # the clients module may be absent from a build
    if clients is None:
        return True
    return db.session.scalar(sa.select(sa.exists().where(clients.c.id == client_id)))


def _validate_user(username: str, role: str, client_id: int | None, user: User | None = None) -> None:
    if role not in ROLES:
        raise AccountError(_("未知角色。"))
    if role == CLIENT and not client_id:
        raise AccountError(_("客户用户必须关联一个客户。"))
    if role == CLIENT and not _client_exists(client_id):
        raise AccountError(_("所选客户不存在。"))
    existing = find_user(username)
    if existing is not None and existing is not user:
        raise AccountError(_("用户名“%(u)s”已被使用。", u=username))


def create_user(*, username: str, display_name: str, role: str, password: str, email: str | None = None,
                phone: str | None = None, client_id: int | None = None, must_change_password: bool = True) -> User:
    username = username.strip()
    _validate_user(username, role, client_id)
    _check_password_strength(password)
    user = User(username=username, display_name=display_name.strip(), role=role, email=email or None,
                phone=phone or None, client_id=client_id if role == CLIENT else None,
                must_change_password=must_change_password, is_active_user=True,
                failed_logins=0, session_version=1)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.created", user, summary=username, after=snapshot(user, USER_FIELDS))
    return user


def update_user(user: User, *, display_name: str, role: str, email: str | None = None,
                phone: str | None = None, client_id: int | None = None) -> None:
    _validate_user(user.username, role, client_id, user)
    before = snapshot(user, USER_FIELDS)
    if user.role != role or user.client_id != (client_id if role == CLIENT else None):
        user.session_version += 1  # a changed role or client takes effect at the next login
    user.display_name = display_name.strip()
    user.role = role
    user.email = email or None
    user.phone = phone or None
    user.client_id = client_id if role == CLIENT else None
    record("user.updated", user, summary=user.username, before=before, after=snapshot(user, USER_FIELDS))


def set_active(user: User, active: bool, *, by: User | None = None) -> None:
    if by is not None and by.id == user.id and not active:
        raise AccountError(_("不能停用自己的账户。"))
    if user.is_active_user == active:
        return
    user.is_active_user = active
    user.session_version += 1
    record("user.activated" if active else "user.deactivated", user, summary=user.username,
           before={"is_active_user": not active}, after={"is_active_user": active})


def reset_password(user: User) -> str:
    """Give the user a new temporary password (returned once, to show to the admin)."""
    temporary = secrets.token_urlsafe(9)
    user.set_password(temporary)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.session_version += 1
    record("user.password_reset", user, summary=user.username)
    return temporary


def unlock(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    record("user.unlocked", user, summary=user.username)
