"""Usage imports and API tokens: each function checks, writes and audits; the caller commits.

``import_usage`` stores validated rows (from ``ops.billing.usage``) all or nothing: client names
and ids are resolved first, every problem is collected, and only a clean batch is written, in
one bulk insert and one bulk update keyed on (client, day, platform).
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ops.audit.services import record
from ops.billing.models import ApiToken, UsageDaily, UsageImport
from ops.billing.usage import (
    FIELDS,
    VALUE_COLUMNS,
    UsageDecodeError,
    UsageError,
    UsageRow,
    decode_csv,
    parse_usage_csv,
)
from ops.clients.models import Client
from ops.extensions import db
from ops.timeutil import utcnow

IMPORT_SOURCES = ("csv", "api", "cli")
CLIENT_ID_COLUMN, CLIENT_NAME_COLUMN, DATE_COLUMN = (FIELDS[f][0] for f in ("client_id", "client", "date"))
TOKEN_PREFIX = "ops_"
PREFIX_LENGTH = 12  # "ops_" and 8 characters of the secret: enough to recognise a token in a list


class UsageImportError(ValueError):
    """A refused import: ``errors`` lists every bad row (nothing was stored)."""

    def __init__(self, errors: list[UsageError]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} 处错误，未导入任何数据")


class TokenError(ValueError):
    """A refused token action; the message is for the user."""


@dataclass
class ImportResult:
    inserted: int
    updated: int
    unchanged: int
    usage_import: UsageImport | None = None
    client_ids: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged


# --- import --------------------------------------------------------------------------------


def _resolve_clients(
    rows: list[UsageRow], client_scope: int | None
) -> tuple[dict[int, int], list[UsageError]]:
    """Map each row number to a client id; one query for all the clients the rows name.

    With ``client_scope`` (a client's token) every row must be that client's: the check comes
    first, so the answer never tells whether another client id or name exists.
    """
    ids = {r.client_id for r in rows if r.client_id is not None}
    names = {r.client_name for r in rows if r.client_name is not None}
    conditions = []
    if ids:
        conditions.append(Client.id.in_(ids))
    if names:
        conditions.append(Client.name.in_(names))
    found = (
        db.session.execute(sa.select(Client.id, Client.name).where(sa.or_(*conditions))).all()
        if conditions
        else []
    )
    name_by_id = {cid: name for cid, name in found}
    ids_by_name: dict[str, list[int]] = {}
    for cid, name in found:
        ids_by_name.setdefault(name, []).append(cid)
    scope_name = None
    if client_scope is not None:
        scope_name = name_by_id.get(client_scope) or db.session.scalar(
            sa.select(Client.name).where(Client.id == client_scope)
        )

    resolved: dict[int, int] = {}
    errors: list[UsageError] = []
    for row in rows:
        id_column = CLIENT_ID_COLUMN if row.client_id is not None else CLIENT_NAME_COLUMN
        if client_scope is not None:
            if (row.client_id is not None and row.client_id != client_scope) or (
                row.client_name is not None and row.client_name != scope_name
            ):
                errors.append(UsageError(row.row, id_column, "该令牌只能提交所属客户的数据"))
                continue
        if row.client_id is not None:
            if row.client_id not in name_by_id:
                errors.append(UsageError(row.row, CLIENT_ID_COLUMN, f"客户编号 {row.client_id} 不存在"))
                continue
            if row.client_name is not None and name_by_id[row.client_id] != row.client_name:
                errors.append(
                    UsageError(
                        row.row,
                        CLIENT_NAME_COLUMN,
                        f"客户名称与客户编号 {row.client_id}（{name_by_id[row.client_id]}）不一致",
                    )
                )
                continue
            resolved[row.row] = row.client_id
            continue
        matches = ids_by_name.get(row.client_name, [])
        if not matches:
            errors.append(
                UsageError(
                    row.row, CLIENT_NAME_COLUMN, f"找不到客户“{row.client_name}”（名称须与系统中完全一致）"
                )
            )
        elif len(matches) > 1:
            errors.append(
                UsageError(row.row, CLIENT_NAME_COLUMN, f"有多个客户名为“{row.client_name}”，请改用客户编号")
            )
        else:
            resolved[row.row] = matches[0]
    return resolved, errors


def _duplicates(rows: list[UsageRow], resolved: dict[int, int]) -> list[UsageError]:
    """Rows naming the same client once by id and once by name, for the same day and platform."""
    seen: dict[tuple, int] = {}
    errors = []
    for row in rows:
        key = (resolved[row.row], row.day, row.platform)
        if key in seen:
            errors.append(
                UsageError(row.row, DATE_COLUMN, f"与第 {seen[key]} 行重复（同一客户、日期、平台只能有一行）")
            )
        else:
            seen[key] = row.row
    return errors


def _insert_many(rows: list[dict]) -> None:
    """Insert usage rows (dicts with the same keys) in one executemany straight to the driver.

    A Core or ORM insert builds and type-converts a parameter dict per row, a third of a 100,000-row
    import. Here each distinct value of a typed column (a day, the one timestamp) goes through the
    column type's bind processor once, and the driver gets plain tuples in its own paramstyle.
    """
    table = UsageDaily.__table__
    dialect = db.session.get_bind().dialect
    names = list(rows[0])
    converters = []
    for name in names:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        memo: dict = {}
        converters.append(
            None
            if process is None
            else lambda value, memo=memo, process=process: (
                memo[value] if value in memo else memo.setdefault(value, process(value))
            )
        )
    pairs = list(zip(names, converters, strict=True))
    values = [
        tuple(row[name] if convert is None else convert(row[name]) for name, convert in pairs) for row in rows
    ]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"  # SQLite / psycopg
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    db.session.connection().exec_driver_sql(sql, values)


def import_usage(
    rows: list[UsageRow],
    source: str,
    filename: str = "",
    by=None,
    token: ApiToken | None = None,
    client_scope: int | None = None,
) -> ImportResult:
    """Upsert validated rows on (client, day, platform), all or nothing.

    Raises UsageImportError with every problem (unknown client, another client's row for a
    client-scoped token, duplicates) before anything is written. Rows equal to what is stored
    count as unchanged. Records a UsageImport and an audit entry with the counts.
    """
    if source not in IMPORT_SOURCES:
        raise ValueError(f"unknown import source {source!r}")
    if not rows:
        raise UsageImportError([UsageError(0, "", "没有可导入的数据行")])
    resolved, errors = _resolve_clients(rows, client_scope)
    if not errors:
        errors = _duplicates(rows, resolved)
    if errors:
        raise UsageImportError(sorted(errors, key=lambda e: e.row))

    client_ids = sorted(set(resolved.values()))
    first_day = min(r.day for r in rows)
    last_day = max(r.day for r in rows)
    stored = {
        (row.client_id, row.day, row.platform): row
        for row in db.session.execute(
            sa.select(
                UsageDaily.id,
                UsageDaily.client_id,
                UsageDaily.day,
                UsageDaily.platform,
                *(getattr(UsageDaily, c) for c in VALUE_COLUMNS),
            ).where(UsageDaily.client_id.in_(client_ids), UsageDaily.day.between(first_day, last_day))
        )
    }
    now = utcnow()
    inserts, updates = [], []
    unchanged = 0
    for row in rows:
        client_id = resolved[row.row]
        values = row.values()
        current = stored.get((client_id, row.day, row.platform))
        if current is None:
            inserts.append(
                {
                    "client_id": client_id,
                    "day": row.day,
                    "platform": row.platform,
                    "updated_at": now,
                    **values,
                }
            )
        elif all(getattr(current, c) == values[c] for c in VALUE_COLUMNS):
            unchanged += 1
        else:
            updates.append({"id": current.id, "updated_at": now, **values})

    try:
        with db.session.begin_nested():
            if inserts:
                _insert_many(inserts)
            if updates:
                db.session.execute(sa.update(UsageDaily), updates)
    except IntegrityError:
        # Another import stored the same (client, day, platform) between our read and write.
        raise UsageImportError([UsageError(0, "", "另一次导入正在写入相同的数据，请稍后重试")]) from None

    usage_import = UsageImport(
        source=source,
        filename=(filename or "")[:200],
        rows=len(rows),
        inserted=len(inserts),
        updated=len(updates),
        unchanged=unchanged,
        created_by_id=getattr(by, "id", None),
        token_id=getattr(token, "id", None),
    )
    db.session.add(usage_import)
    db.session.flush()
    actor = by
    if actor is None and token is not None:
        actor = SimpleNamespace(id=None, username=f"API 令牌 {token.name}"[:100])
    record(
        "usage.imported",
        usage_import,
        actor=actor,
        summary=f"{source} {filename}: 新增 {len(inserts)}，更新 {len(updates)}，未变 {unchanged}",
        after={
            "rows": len(rows),
            "inserted": len(inserts),
            "updated": len(updates),
            "unchanged": unchanged,
            "clients": client_ids,
            "first_day": first_day,
            "last_day": last_day,
        },
    )
    return ImportResult(
        inserted=len(inserts),
        updated=len(updates),
        unchanged=unchanged,
        usage_import=usage_import,
        client_ids=client_ids,
    )


@contextmanager
def _without_cyclic_gc():
    """Pause the cyclic garbage collector: a large file allocates hundreds of thousands of small
    objects (and no cycles), and each collection it triggers walks the whole heap; a quarter of an
    import's time went there. Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_usage_file(data: bytes, filename: str, source: str = "csv", by=None) -> ImportResult:
    """Decode, parse, validate and import a CSV export, all or nothing (UsageImportError lists every problem).

    Problems with the file as a whole (encoding, empty) are reported as row 0.
    """
    try:
        text = decode_csv(data)
    except UsageDecodeError as exc:
        raise UsageImportError([UsageError(0, "", str(exc))]) from None
    with _without_cyclic_gc():
        rows, errors = parse_usage_csv(text)
        if errors:
            raise UsageImportError(errors)
        return import_usage(rows, source, filename, by=by)


# --- API tokens ----------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(name: str, client_id: int | None, by=None) -> tuple[ApiToken, str]:
    """A new token; returns it with its secret, which is shown once and never stored (only its SHA-256).

    ``client_id`` None makes a staff token (any client's rows); otherwise only that client's.
    """
    name = (name or "").strip()
    if not name:
        raise TokenError("请填写令牌名称")
    if len(name) > 100:
        raise TokenError("令牌名称不能超过 100 个字符")
    if client_id is not None and db.session.get(Client, client_id) is None:
        raise TokenError("所选客户不存在")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        client_id=client_id,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.created",
        token,
        actor=by,
        summary=f"{name}（{token.prefix}…）",
        after={"name": name, "prefix": token.prefix, "client_id": client_id},
    )
    return token, secret


def revoke_token(token: ApiToken, by=None) -> None:
    """Revoke a token: it stops working at once. Revoking twice is refused."""
    if token.revoked_at is not None:
        raise TokenError("该令牌已被吊销")
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
