"""Account actions. Each checks, writes and audits; the caller commits."""

import secrets
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ops.audit.services import record, snapshot
from ops.auth.models import LoginThrottle, User
from ops.auth.passwords import password_problem
from ops.auth.roles import CLIENT, ROLES
from ops.dbtypes import UTCDateTime
from ops.errors import ServiceError
from ops.extensions import db
from ops.timeutil import utcnow

USER_FIELDS = ("username", "display_name", "email", "phone", "role", "client_id", "is_active_user")


class AccountError(ServiceError):
    """A refused account action; the message is for the user."""


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))


def authenticate(username: str, password: str, ip: str | None = None) -> User:
    """Check a login. Returns the user or raises AccountError with a message safe to show.

    Runs its own units of work (commits), so that no lock is held while the hash is checked:

    1. One transaction reserves an attempt, first for the client address ``ip`` (at most
       LOGIN_IP_MAX_FAILURES failed logins per LOGIN_IP_WINDOW_MINUTES across all usernames), then
       for the account: ``UPDATE users SET failed_logins = failed_logins + 1 … RETURNING``, refused
       while the account is locked; the attempt that reaches LOGIN_MAX_FAILURES sets the lock in that
       same statement. So parallel requests, in any number of workers, get at most
       LOGIN_MAX_FAILURES password checks between two successful logins.
    2. The hash is checked only when the reservation succeeded.
    3. A success resets the account's counter and gives the address its attempt back; a failure is
       audited (``auth.login_failed``, plus ``user.locked`` for the one that locks).

    An unknown username goes the same way, so it can be told from a known one neither by the answer
    nor by the time taken: its counter lives in ``login_throttle`` (``name:<username>``) and locks
    alike, and a dummy hash made with the configured method is checked.
    On success the caller commits the login (last_login_at, audit entry).
    """
    config = current_app.config
    limit = config["LOGIN_MAX_FAILURES"]
    lock = timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
    name = username.strip()
    now = utcnow()
    ip_key = f"ip:{ip}" if ip else None
    if ip_key:
        ip_reserved = _reserve(
            ip_key,
            config["LOGIN_IP_MAX_FAILURES"],
            timedelta(minutes=config["LOGIN_IP_LOCK_MINUTES"]),
            timedelta(minutes=config["LOGIN_IP_WINDOW_MINUTES"]),
            now,
        )
        if ip_reserved is None:
            db.session.commit()
            raise AccountError(_("尝试次数过多，请稍后再试。"))
    user = find_user(name)
    name_key = f"name:{name.lower()[:90]}"
    if user is not None:
        # Read now: after the commit below, reading the expired user would cost a query the
        # unknown-name path does not make.
        password_hash, account = user.password_hash, SimpleNamespace(id=user.id, username=user.username)
        count = _reserve_account(user.id, limit, lock, now)
    else:
        password_hash = _dummy_hash(config["PASSWORD_HASH_METHOD"])
        count = _reserve(name_key, limit, lock, None, now)
    if count is None:  # locked: refused without checking the password
        if user is not None:
            locked_until = db.session.scalar(sa.select(User.locked_until).where(User.id == user.id))
        else:
            locked_until = db.session.scalar(
                sa.select(LoginThrottle.locked_until).where(LoginThrottle.key == name_key)
            )
        if ip_key:
            _refund(ip_key)
        db.session.commit()
        minutes = max(1, int(((locked_until or now) - now).total_seconds() // 60) + 1)
        raise AccountError(
            _("登录失败次数过多，账户已锁定，请 %(m)s 分钟后再试或联系管理员解锁。", m=minutes)
        )
    db.session.commit()

    if not check_password_hash(password_hash, password):
        if user is not None:
            record(
                "auth.login_failed",
                object_type="users",
                object_id=account.id,
                summary=f"{account.username}: {count}/{limit}",
            )
            if count >= limit:
                record(
                    "user.locked",
                    object_type="users",
                    object_id=account.id,
                    summary=f"{limit} failed logins",
                    actor=account,
                )
        else:
            record(
                "auth.login_failed",
                object_type="users",
                summary=f"unknown username {name[:64]}: {count}/{limit}",
            )
        db.session.commit()
        _prune_throttle(now)
        if count >= limit:
            raise AccountError(
                _("连续 %(n)s 次密码错误，账户已锁定 %(m)s 分钟。", n=limit, m=config["LOGIN_LOCK_MINUTES"])
            )
        raise AccountError(_("用户名或密码错误。"))

    # The right password. Locks are taken in one order everywhere: the address, then the account.
    active = user.is_active_user
    if ip_key:
        _refund(ip_key)
    user.failed_logins = 0
    user.locked_until = None
    if not active:
        db.session.commit()
        raise AccountError(_("该账户已停用，请联系管理员。"))
    if config["ENV_NAME"] == "production" and password_problem(password, user.username):
        user.must_change_password = True  # a password set before the policy: usable once, to change it
    user.last_login_at = now
    record("user.login", user, actor=user)
    return user


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash(method: str) -> str:
    """A hash of a random secret, made once per method: checked for unknown usernames (same time)."""
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(24), method=method)
    return _DUMMY_HASHES[method]


def _utc(value):
    return sa.literal(value, UTCDateTime())


def _reserve_account(user_id: int, limit: int, lock: timedelta, now) -> int | None:
    """One failed-login slot of the account, atomically; the new count, or None while locked."""
    t = User.__table__.c
    lock_ended = sa.and_(t.locked_until.is_not(None), t.locked_until <= now)
    count = sa.case((lock_ended, 1), else_=t.failed_logins + 1)
    stmt = (
        sa.update(User.__table__)
        .where(t.id == user_id, sa.or_(t.locked_until.is_(None), t.locked_until <= now))
        .values(
            failed_logins=count, locked_until=sa.case((count >= limit, _utc(now + lock)), else_=sa.null())
        )
        .returning(t.failed_logins)
    )
    return db.session.execute(stmt).scalar()


def _insert_for_dialect():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _reserve(key: str, limit: int, lock: timedelta, window: timedelta | None, now) -> int | None:
    """One slot of a login_throttle counter, atomically (an upsert … RETURNING); None while locked.

    The counter restarts when its lock has ended or, with a ``window``, when the window has passed.
    """
    table = LoginThrottle.__table__
    t = table.c
    restart = sa.and_(t.locked_until.is_not(None), t.locked_until <= now)
    if window is not None:
        restart = sa.or_(restart, t.window_started < now - window)
    count = sa.case((restart, 1), else_=t.failures + 1)
    stmt = (
        _insert_for_dialect()(table)
        .values(key=key, failures=1, window_started=now, locked_until=now + lock if limit <= 1 else None)
        .on_conflict_do_update(
            index_elements=[t.key],
            set_={
                "failures": count,
                "window_started": sa.case((restart, _utc(now)), else_=t.window_started),
                "locked_until": sa.case((count >= limit, _utc(now + lock)), else_=sa.null()),
            },
            where=sa.or_(t.locked_until.is_(None), t.locked_until <= now),
        )
        .returning(t.failures)
    )
    return db.session.execute(stmt).scalar()


def _refund(key: str) -> None:
    """Give a reserved slot back (the attempt was not a failed password check)."""
    t = LoginThrottle.__table__.c
    db.session.execute(
        sa.update(LoginThrottle.__table__)
        .where(t.key == key)
        .values(failures=sa.case((t.failures > 0, t.failures - 1), else_=0), locked_until=sa.null())
    )


def _prune_throttle(now) -> None:
    """Forget counters started over a day ago and not locked (at most 500 at a time, skipping rows
    another request holds, so this never waits for a lock)."""
    t = LoginThrottle.__table__.c
    stale = (
        sa.select(t.key)
        .where(
            t.window_started < now - timedelta(days=1), sa.or_(t.locked_until.is_(None), t.locked_until < now)
        )
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(sa.delete(LoginThrottle.__table__).where(t.key.in_(stale.scalar_subquery())))
    db.session.commit()


def logout(user: User) -> None:
    """End every session of this user (the session id carries session_version)."""
    user.session_version += 1
    record("user.logout", user, actor=user)


def _check_password_policy(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)


def change_password(user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise AccountError(_("当前密码不正确。"))
    if old_password == new_password:
        raise AccountError(_("新密码不能与当前密码相同。"))
    _check_password_policy(new_password, user.username)
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


def create_user(
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    email: str | None = None,
    phone: str | None = None,
    client_id: int | None = None,
    must_change_password: bool = True,
    check_policy: bool = True,
) -> User:
    """Create an account. ``check_policy=False`` (the demo data set's weak password) is refused in production."""
    username = username.strip()
    _validate_user(username, role, client_id)
    if check_policy or current_app.config["ENV_NAME"] == "production":
        _check_password_policy(password, username)
    user = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        email=email or None,
        phone=phone or None,
        client_id=client_id if role == CLIENT else None,
        must_change_password=must_change_password,
        is_active_user=True,
        failed_logins=0,
        session_version=1,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.created", user, summary=username, after=snapshot(user, USER_FIELDS))
    return user


def update_user(
    user: User,
    *,
    display_name: str,
    role: str,
    email: str | None = None,
    phone: str | None = None,
    client_id: int | None = None,
) -> None:
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
    record(
        "user.activated" if active else "user.deactivated",
        user,
        summary=user.username,
        before={"is_active_user": not active},
        after={"is_active_user": active},
    )


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
