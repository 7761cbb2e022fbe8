"""Usage imports and API tokens: each function checks, writes and audits; the caller commits.

``import_usage`` stores validated rows (from ``ops.usage.parse``) all or nothing, and
``import_usage_file`` streams a CSV file through the same path: client names and ids are resolved
as they come, problems are collected, and while there is none the rows are written in chunks
(bulk insert and bulk update keyed on (client, day, platform)) inside one savepoint, which the first
problem anywhere rolls back. Memory stays bounded for a file of any length.
"""

from __future__ import annotations

import gc
import io
import operator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import psycopg
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ops import i18n
from ops.audit.services import record
from ops.auth.models import ApiToken
from ops.billing.services.extras import DatedExtraError, billable_contract_windows, replace_imported_day
from ops.clients.models import Client
from ops.errors import ServiceError
from ops.extensions import db
from ops.timeutil import utcnow
from ops.usage.models import UsageDaily, UsageImport
from ops.usage.parse import (
    FIELDS,
    VALUE_COLUMNS,
    UsageDecodeError,
    UsageError,
    UsageRow,
    iter_usage_csv,
    open_csv_text,
)
from ops.vocab import PLATFORM_CODES

IMPORT_SOURCES = ("csv", "api", "cli")
CLIENT_ID_COLUMN, CLIENT_NAME_COLUMN, DATE_COLUMN = (FIELDS[f][0] for f in ("client_id", "client", "date"))


class UsageImportError(ServiceError):
    """A refused import (nothing was stored): ``errors`` lists the bad rows (the first MAX_ERRORS
    of a large file), ``total`` counts them all."""

    def __init__(self, errors: list[UsageError], total: int | None = None):
        self.errors = list(errors)
        self.total = max(total or 0, len(self.errors))
        super().__init__(f"{self.total} 处错误，未导入任何数据")


@dataclass
class ImportResult:
    inserted: int
    updated: int
    unchanged: int
    usage_import: UsageImport | None = None
    client_ids: list[int] = field(default_factory=list)
    dated_entries: int = 0  # dated extra entries added, replaced or removed (holiday, promotion staff)

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged


# --- import --------------------------------------------------------------------------------

CHUNK_ROWS = 2000  # rows looked up and written at a time
MAX_ERRORS = 1000  # errors kept for the answer (all are counted)
_PLATFORM_INDEX = {code: n for n, code in enumerate(PLATFORM_CODES)}
MSG_CONFLICT = "另一次导入正在写入相同的数据，请稍后重试"


class _Importer:
    """Takes validated rows one at a time and stores them in chunks, all or nothing.

    Each row's client is resolved (one query per distinct id or name), checked against a
    client-scoped token and against the rows before it (duplicates); problems are counted and the
    first MAX_ERRORS kept. While there is no problem, rows are written CHUNK_ROWS at a time inside
    one savepoint; the first problem stops the writing and ``finish`` rolls everything back. Memory
    holds one chunk and one small integer per row (the duplicate check), never the whole file.
    """

    def __init__(self, client_scope: int | None, source: str = "csv", actor=None):
        self.client_scope = client_scope
        self.actor = actor  # who the dated extra entries' audit entries name
        self.entry_source = "api" if source == "api" else "usage_import"
        self.label_of = (lambda field: field) if source == "api" else (lambda field: FIELDS[field][0])
        self.windows: dict[int, list] = {}  # client id -> its billable contracts' (id, first, last)
        self.first_dated: dict[tuple[int, int, str], int] = {}  # (client, day, field) -> first row
        self.pending_dated: list[tuple[UsageRow, int]] = []  # rows with dated figures, their contract
        self.entries = 0  # dated extra entries added, replaced or removed
        self.scope_name = (
            db.session.scalar(sa.select(Client.name).where(Client.id == client_scope))
            if client_scope is not None
            else None
        )
        self.name_by_id: dict[int, str | None] = {}
        self.ids_by_name: dict[str, list[int]] = {}
        self.resolved: dict[tuple[int | None, str | None], int] = {}  # (id, name) as written -> client
        self.first_row: dict[int, int] = {}  # packed (client, day, platform) -> the row that named it first
        self.errors: list[UsageError] = []
        self.error_count = 0
        self.incoming: list[UsageRow | UsageError] = []  # taken, not yet looked at (see ``take``)
        self.rows = 0
        self.pending: list[tuple[int, UsageRow]] = []
        self.savepoint = None
        self.writer: _BatchWriter | _CopyWriter | None = None
        self.inserted = self.updated = self.unchanged = 0
        self.client_ids: set[int] = set()
        self.first_day = self.last_day = None
        self.now = utcnow()

    # -- errors and rows ------------------------------------------------------------------------

    def error(self, error: UsageError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def _name_of(self, client_id: int) -> str | None:
        if client_id not in self.name_by_id:
            self.name_by_id[client_id] = db.session.scalar(
                sa.select(Client.name).where(Client.id == client_id)
            )
        return self.name_by_id[client_id]

    def _ids_named(self, name: str) -> list[int]:
        if name not in self.ids_by_name:
            self.ids_by_name[name] = list(db.session.scalars(sa.select(Client.id).where(Client.name == name)))
        return self.ids_by_name[name]

    def _resolve(self, row: UsageRow) -> int | None:
        """The row's client id, or None after recording why not. With a client's token the scope
        is checked first, so the answer never tells whether another client id or name exists."""
        id_column = CLIENT_ID_COLUMN if row.client_id is not None else CLIENT_NAME_COLUMN
        if self.client_scope is not None and (
            (row.client_id is not None and row.client_id != self.client_scope)
            or (row.client_name is not None and row.client_name != self.scope_name)
        ):
            self.error(UsageError(row.row, id_column, "该令牌只能提交所属客户的数据"))
            return None
        if row.client_id is not None:
            name = self._name_of(row.client_id)
            if name is None:
                self.error(UsageError(row.row, CLIENT_ID_COLUMN, f"客户编号 {row.client_id} 不存在"))
                return None
            if row.client_name is not None and name != row.client_name:
                self.error(
                    UsageError(
                        row.row, CLIENT_NAME_COLUMN, f"客户名称与客户编号 {row.client_id}（{name}）不一致"
                    )
                )
                return None
            return row.client_id
        matches = self._ids_named(row.client_name)
        if not matches:
            self.error(
                UsageError(
                    row.row, CLIENT_NAME_COLUMN, f"找不到客户“{row.client_name}”（名称须与系统中完全一致）"
                )
            )
            return None
        if len(matches) > 1:
            self.error(
                UsageError(row.row, CLIENT_NAME_COLUMN, f"有多个客户名为“{row.client_name}”，请改用客户编号")
            )
            return None
        return matches[0]

    def take(self, item: UsageRow | UsageError) -> None:
        """The next row or parse error, in row order. Rows wait in a batch so that the clients they
        name are looked up a batch at a time (one query for the new ids, one for the new names)
        instead of one query each: a round trip per client is seconds on a PostgreSQL server."""
        self.incoming.append(item)
        if len(self.incoming) >= CHUNK_ROWS:
            self._drain()

    def _drain(self) -> None:
        incoming, self.incoming = self.incoming, []
        rows = [item for item in incoming if not isinstance(item, UsageError)]
        ids = {r.client_id for r in rows if r.client_id is not None and r.client_id not in self.name_by_id}
        if ids:
            found = dict(
                db.session.execute(sa.select(Client.id, Client.name).where(Client.id.in_(ids))).all()
            )
            self.name_by_id.update((client_id, found.get(client_id)) for client_id in ids)
        names = {r.client_name for r in rows if r.client_id is None and r.client_name not in self.ids_by_name}
        if names:
            self.ids_by_name.update((name, []) for name in names)
            query = sa.select(Client.id, Client.name).where(Client.name.in_(names)).order_by(Client.id)
            for client_id, name in db.session.execute(query):
                self.ids_by_name[name].append(client_id)
        for item in incoming:
            if isinstance(item, UsageError):
                self.error(item)
            else:
                self.add(item)

    def add(self, row: UsageRow) -> None:
        self.rows += 1
        client_id = self.resolved.get((row.client_id, row.client_name))
        if client_id is None:
            client_id = self._resolve(row)
            if client_id is None:
                return
            self.resolved[(row.client_id, row.client_name)] = client_id
        key = ((client_id << 24 | row.day.toordinal()) << 3) | _PLATFORM_INDEX[row.platform]
        first = self.first_row.setdefault(key, row.row)
        if first != row.row:
            self.error(
                UsageError(row.row, DATE_COLUMN, f"与第 {first} 行重复（同一客户、日期、平台只能有一行）")
            )
            return
        dated = row.holiday_headcount is not None or row.promo_headcount is not None  # row.dated(), cheaply
        contract_id = self._dated_contract(client_id, row) if dated else None
        if self.error_count:
            return  # nothing will be stored: only keep looking for problems
        self.pending.append((client_id, row))
        if contract_id is not None:
            self.pending_dated.append((row, contract_id))
        if len(self.pending) >= CHUNK_ROWS:
            self._write_chunk()

    def _dated_contract(self, client_id: int, row: UsageRow) -> int | None:
        """The contract a row's dated figures go to (active on its day), or None after recording why."""
        fields = [name for name, _code, _headcount, _shifts in row.dated()]
        if self.client_scope is not None:
            # A client's own token sends usage, never charges on its contract (or their removal).
            message = f"客户令牌不能提交{FIELDS[fields[0]][0]}，请由服务商登记"
            self.error(UsageError(row.row, self.label_of(fields[0]), message))
            return None
        for name in fields:
            first = self.first_dated.setdefault((client_id, row.day.toordinal(), name), row.row)
            if first != row.row:
                message = f"与第 {first} 行重复：同一客户同一天的{FIELDS[name][0]}只能填在一行"
                self.error(UsageError(row.row, self.label_of(name), message))
                return None
        if client_id not in self.windows:
            self.windows[client_id] = billable_contract_windows(client_id)
        matches = [cid for cid, first, last in self.windows[client_id] if first <= row.day <= last]
        if len(matches) == 1:
            return matches[0]
        message = (
            f"{row.day.isoformat()} 该客户没有生效的合同，无法登记{FIELDS[fields[0]][0]}"
            if not matches
            else f"{row.day.isoformat()} 该客户有多份生效的合同，无法确定登记到哪一份，请在合同页面手工登记"
        )
        self.error(UsageError(row.row, self.label_of(fields[0]), message))
        return None

    def _write_dated(self) -> None:
        """One-day dated extra entries for the written rows' dated figures (replacing an import's)."""
        dated, self.pending_dated = self.pending_dated, []
        for row, contract_id in dated:
            for name, code, headcount, shifts in row.dated():
                try:
                    outcome = replace_imported_day(
                        contract_id,
                        code=code,
                        day=row.day,
                        headcount=headcount,
                        shifts_per_day=shifts,
                        source=self.entry_source,
                        by=self.actor,
                    )
                except DatedExtraError as exc:
                    self.error(UsageError(row.row, self.label_of(name), str(exc)))
                    return
                self.entries += outcome != "unchanged"

    # -- writing --------------------------------------------------------------------------------

    def _write_chunk(self) -> None:
        if not self.pending or self.error_count:
            return
        if self.savepoint is None:
            self.savepoint = db.session.begin_nested()
            self.writer = _CopyWriter(self.now) if _is_postgresql() else _BatchWriter(self.now)
        chunk, self.pending = self.pending, []
        days = {row.day for _client_id, row in chunk}
        self.client_ids.update(client_id for client_id, _row in chunk)
        self.first_day = min(days) if self.first_day is None else min(self.first_day, *days)
        self.last_day = max(days) if self.last_day is None else max(self.last_day, *days)
        try:
            self.writer.write(chunk, min(days), max(days))
        except IntegrityError:
            self._conflict()
        self._write_dated()

    def _conflict(self) -> None:
        """Another import stored the same (client, day, platform) between our read and write."""
        self.savepoint.rollback()
        raise UsageImportError([UsageError(0, "", MSG_CONFLICT)]) from None

    def finish(self) -> None:
        """Write the last chunk, or roll back everything written when any row had a problem."""
        self._drain()
        self._write_chunk()
        if self.error_count:
            if self.savepoint is not None and self.savepoint.is_active:
                self.savepoint.rollback()
            raise UsageImportError(sorted(self.errors, key=lambda e: e.row), total=self.error_count)
        if not self.rows:
            raise UsageImportError([UsageError(0, "", "没有可导入的数据行")])
        if self.savepoint is not None:
            try:
                self.inserted, self.updated, self.unchanged = self.writer.finish()
            except IntegrityError:
                self._conflict()
            self.savepoint.commit()


_row_values = operator.attrgetter(*VALUE_COLUMNS)  # a UsageRow's stored figures, as a tuple
KEY_COLUMNS = ("client_id", "day", "platform")


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


class _BatchWriter:
    """Writes chunks as they come: reads the chunk's stored rows, inserts the new ones in one
    executemany and updates the changed ones; counts new, changed and unchanged rows."""

    def __init__(self, now):
        self.now = now
        self.inserted = self.updated = self.unchanged = 0
        dialect = db.session.get_bind().dialect
        table = UsageDaily.__table__
        self.bound_day = _Bound(table.c.day, dialect)
        self.bound_now = _Bound(table.c.updated_at, dialect)[now]
        marker = "?" if dialect.paramstyle == "qmark" else "%s"  # SQLite / psycopg
        names = (*KEY_COLUMNS, "updated_at", *VALUE_COLUMNS)
        self.insert_sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
        )

    def write(self, chunk: list[tuple[int, UsageRow]], first_day, last_day) -> None:
        keys = {(client_id, row.day, row.platform) for client_id, row in chunk}
        stored = {
            key: r
            for r in db.session.execute(
                sa.select(
                    UsageDaily.id,
                    UsageDaily.client_id,
                    UsageDaily.day,
                    UsageDaily.platform,
                    *(getattr(UsageDaily, c) for c in VALUE_COLUMNS),
                ).where(
                    UsageDaily.client_id.in_({k[0] for k in keys}),
                    UsageDaily.day.between(first_day, last_day),
                    UsageDaily.platform.in_({k[2] for k in keys}),
                )
            )
            if (key := (r[1], r[2], r[3])) in keys  # only the chunk's rows are kept
        }
        inserts, updates = [], []
        bound_day, now = self.bound_day, self.bound_now
        for client_id, row in chunk:
            values = _row_values(row)
            current = stored.get((client_id, row.day, row.platform)) if stored else None
            if current is None:
                inserts.append((client_id, bound_day[row.day], row.platform, now, *values))
            elif tuple(current[4:]) == values:
                self.unchanged += 1
            else:
                updates.append(
                    {
                        "id": current.id,
                        "updated_at": self.now,
                        **dict(zip(VALUE_COLUMNS, values, strict=True)),
                    }
                )
        if inserts:
            # Straight to the driver in one executemany of tuples: a Core or ORM insert builds and
            # type-converts a parameter dict per row, a third of a 100,000-row import.
            db.session.connection().exec_driver_sql(self.insert_sql, inserts)
        if updates:
            db.session.execute(sa.update(UsageDaily), updates)
        self.inserted += len(inserts)
        self.updated += len(updates)

    def finish(self) -> tuple[int, int, int]:
        return self.inserted, self.updated, self.unchanged


STAGING = "usage_import_staging"
_COLUMNS = (*KEY_COLUMNS, *VALUE_COLUMNS)


class _CopyWriter:
    """PostgreSQL: COPYs the chunks into a temporary staging table as they come (psycopg 3), then
    ``finish`` stores them all with one INSERT ... ON CONFLICT DO UPDATE that changes only the rows
    whose figures differ. All inside the import's transaction: a rollback undoes the table too."""

    def __init__(self, now):
        self.now = now
        self.rows = 0
        self.connection = db.session.connection().connection.driver_connection  # psycopg's own
        with self.connection.cursor() as cursor:
            # The key and figure columns with their types, nothing else (no id, defaults or checks).
            cursor.execute(
                f"CREATE TEMP TABLE {STAGING} ON COMMIT DROP AS"
                f" SELECT {', '.join(_COLUMNS)} FROM usage_daily WITH NO DATA"
            )

    def write(self, chunk: list[tuple[int, UsageRow]], first_day, last_day) -> None:
        sql = f"COPY {STAGING} ({', '.join(_COLUMNS)}) FROM STDIN"
        with self.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for client_id, row in chunk:
                copy.write_row((client_id, row.day, row.platform, *_row_values(row)))
        self.rows += len(chunk)

    def finish(self) -> tuple[int, int, int]:
        """Store the staged rows; (new, changed, unchanged). A row that comes back from the INSERT
        was written: new when it has no earlier version (xmax = 0), changed otherwise."""
        values = ", ".join(VALUE_COLUMNS)
        excluded = ", ".join(f"EXCLUDED.{c}" for c in VALUE_COLUMNS)
        sql = f"""
            WITH written AS (
                INSERT INTO usage_daily ({", ".join(_COLUMNS)}, updated_at)
                SELECT {", ".join(_COLUMNS)}, %s FROM {STAGING}
                ON CONFLICT ({", ".join(KEY_COLUMNS)}) DO UPDATE
                SET ({values}, updated_at) = ({excluded}, EXCLUDED.updated_at)
                WHERE (usage_daily.{", usage_daily.".join(VALUE_COLUMNS)}) IS DISTINCT FROM ({excluded})
                RETURNING xmax = 0 AS new
            )
            SELECT count(*) FILTER (WHERE new), count(*) FILTER (WHERE NOT new) FROM written
        """
        with self.connection.cursor() as cursor:
            try:
                inserted, updated = cursor.execute(sql, (self.now,)).fetchone()
            except psycopg.IntegrityError as exc:  # as SQLAlchemy would raise it (the caller's catch)
                raise IntegrityError(sql, (self.now,), exc) from exc
            cursor.execute(f"DROP TABLE {STAGING}")  # another import may follow in this transaction
        return inserted, updated, self.rows - inserted - updated


class _Bound(dict):
    """A column type's bind processor for a dialect as a dict: each distinct value converted once."""

    def __init__(self, column, dialect):
        super().__init__()
        self.process = column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)

    def __missing__(self, value):
        self[value] = converted = self.process(value)
        return converted


def _import(items, source: str, filename: str, by, token, client_scope) -> ImportResult:
    """Feed rows and errors (``UsageRow`` / ``UsageError`` items, in row order) to one import."""
    if source not in IMPORT_SOURCES:
        raise ValueError(f"unknown import source {source!r}")
    actor = by
    if actor is None and token is not None:
        actor = SimpleNamespace(id=None, username=f"API 令牌 {token.name}"[:100])
    importer = _Importer(client_scope, source, actor)
    for item in items:
        importer.take(item)
    importer.finish()

    usage_import = UsageImport(
        source=source,
        filename=(filename or "")[:200],
        rows=importer.rows,
        inserted=importer.inserted,
        updated=importer.updated,
        unchanged=importer.unchanged,
        created_by_id=getattr(by, "id", None),
        token_id=getattr(token, "id", None),
    )
    db.session.add(usage_import)
    db.session.flush()
    client_ids = sorted(importer.client_ids)
    record(
        "usage.imported",
        usage_import,
        actor=actor,
        summary=i18n._l(
            "%(source)s %(file)s：新增 %(inserted)s，更新 %(updated)s，未变 %(unchanged)s",
            source=source,
            file=filename,
            inserted=importer.inserted,
            updated=importer.updated,
            unchanged=importer.unchanged,
        ),
        after={
            "rows": importer.rows,
            "inserted": importer.inserted,
            "updated": importer.updated,
            "unchanged": importer.unchanged,
            "clients": client_ids,
            "first_day": importer.first_day,
            "last_day": importer.last_day,
            "dated_extra_entries": importer.entries,
        },
    )
    return ImportResult(
        inserted=importer.inserted,
        updated=importer.updated,
        unchanged=importer.unchanged,
        usage_import=usage_import,
        client_ids=client_ids,
        dated_entries=importer.entries,
    )


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
    client-scoped token, duplicates); nothing is stored then. Rows equal to what is stored
    count as unchanged. Records a UsageImport and an audit entry with the counts.
    """
    return _import(rows, source, filename, by, token, client_scope)


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


def import_usage_file(data, filename: str, source: str = "csv", by=None) -> ImportResult:
    """Decode, parse, validate and import a CSV export, all or nothing (UsageImportError lists the
    problems, the first MAX_ERRORS of them, and counts them all).

    ``data`` is a seekable binary file (an upload's spooled file, an open file), a path or bytes.
    The file is streamed: read in chunks in the encoding detected from its beginning, each row
    validated and written in chunks within one transaction, so memory stays bounded whatever the
    file's size. Problems with the file as a whole (encoding, empty) are reported as row 0.
    """
    if isinstance(data, (bytes, bytearray)):
        data = io.BytesIO(data)
    if isinstance(data, (str, Path)):
        with open(data, "rb") as binary:
            return import_usage_file(binary, filename, source, by)
    try:
        text = open_csv_text(data)
    except UsageDecodeError as exc:
        raise UsageImportError([UsageError(0, "", str(exc))]) from None
    with _without_cyclic_gc():
        return _import(iter_usage_csv(text), source, filename, by, None, None)
