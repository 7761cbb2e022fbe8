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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

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
        self.first_row: dict[int, int] = {}  # packed (client, day, platform) -> the row that named it first
        self.errors: list[UsageError] = []
        self.error_count = 0
        self.rows = 0
        self.pending: list[tuple[int, UsageRow]] = []
        self.savepoint = None
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

    def add(self, row: UsageRow) -> None:
        self.rows += 1
        client_id = self._resolve(row)
        if client_id is None:
            return
        key = ((client_id << 24 | row.day.toordinal()) << 3) | _PLATFORM_INDEX[row.platform]
        first = self.first_row.setdefault(key, row.row)
        if first != row.row:
            self.error(
                UsageError(row.row, DATE_COLUMN, f"与第 {first} 行重复（同一客户、日期、平台只能有一行）")
            )
            return
        contract_id = self._dated_contract(client_id, row) if row.dated() else None
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
        chunk, self.pending = self.pending, []
        keys = {(client_id, row.day, row.platform) for client_id, row in chunk}
        stored = {
            (r.client_id, r.day, r.platform): r
            for r in db.session.execute(
                sa.select(
                    UsageDaily.id,
                    UsageDaily.client_id,
                    UsageDaily.day,
                    UsageDaily.platform,
                    *(getattr(UsageDaily, c) for c in VALUE_COLUMNS),
                ).where(
                    UsageDaily.client_id.in_({k[0] for k in keys}),
                    UsageDaily.day.between(min(k[1] for k in keys), max(k[1] for k in keys)),
                    UsageDaily.platform.in_({k[2] for k in keys}),
                )
            )
            if (r.client_id, r.day, r.platform) in keys
        }
        inserts, updates = [], []
        for client_id, row in chunk:
            values = row.values()
            current = stored.get((client_id, row.day, row.platform))
            if current is None:
                inserts.append(
                    {
                        "client_id": client_id,
                        "day": row.day,
                        "platform": row.platform,
                        "updated_at": self.now,
                        **values,
                    }
                )
            elif all(getattr(current, c) == values[c] for c in VALUE_COLUMNS):
                self.unchanged += 1
            else:
                updates.append({"id": current.id, "updated_at": self.now, **values})
            self.client_ids.add(client_id)
            self.first_day = row.day if self.first_day is None else min(self.first_day, row.day)
            self.last_day = row.day if self.last_day is None else max(self.last_day, row.day)
        try:
            if inserts:
                _insert_many(inserts)
            if updates:
                db.session.execute(sa.update(UsageDaily), updates)
        except IntegrityError:
            # Another import stored the same (client, day, platform) between our read and write.
            self.savepoint.rollback()
            raise UsageImportError([UsageError(0, "", MSG_CONFLICT)]) from None
        self.inserted += len(inserts)
        self.updated += len(updates)
        self._write_dated()

    def finish(self) -> None:
        """Write the last chunk, or roll back everything written when any row had a problem."""
        self._write_chunk()
        if self.error_count:
            if self.savepoint is not None and self.savepoint.is_active:
                self.savepoint.rollback()
            raise UsageImportError(sorted(self.errors, key=lambda e: e.row), total=self.error_count)
        if not self.rows:
            raise UsageImportError([UsageError(0, "", "没有可导入的数据行")])
        if self.savepoint is not None:
            self.savepoint.commit()


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


def _import(items, source: str, filename: str, by, token, client_scope) -> ImportResult:
    """Feed rows and errors (``UsageRow`` / ``UsageError`` items, in row order) to one import."""
    if source not in IMPORT_SOURCES:
        raise ValueError(f"unknown import source {source!r}")
    actor = by
    if actor is None and token is not None:
        actor = SimpleNamespace(id=None, username=f"API 令牌 {token.name}"[:100])
    importer = _Importer(client_scope, source, actor)
    for item in items:
        if isinstance(item, UsageError):
            importer.error(item)
        else:
            importer.add(item)
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
