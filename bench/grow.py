"""Make a k× benchmark data set from the 1× SQLite data set, for measuring the cost of growth.

    .venv/bin/python bench/grow.py SRC DST K [--check | --verify]

The source is copied (SQLite's backup API, so a WAL file is included; the ``<name>-uploads`` folder
beside it is copied as hard links) and then, inside SQLite, every *replicated* table's rows are
inserted again K-1 times: copy j (1 … K-1) of a row has

- its id, and every foreign key into a replicated table, plus ``j × OFFSET`` (OFFSET = 10,000,000,
  bigger than any id): copy j of a client has its own contracts, agents, invoices, usage …;
- foreign keys into *shared* tables unchanged (the staff users, the rate card, clause and checklist
  templates …);
- the polymorphic ids offset when they name a replicated table: ``audit_entries.object_id`` (by
  ``object_type``) and ``events.subject_id`` (by ``subject_type``), and in JSON (event payloads,
  audit before/after) every integer under a key naming a replicated table (``client_id``,
  ``contract_id``, ``invoice_id``, ``payment_id``, ``quote_id`` …);
- text in a UNIQUE constraint or index (partial ones too, read from the database's own indexes) that
  has no offset column beside it, suffixed ``-j`` (invoice, contract, quote and credit-note numbers,
  agents' employee numbers, event and delivery keys, usernames …); a client's 统一社会信用代码 (tax_id)
  is a new valid code instead (``dataset.credit_code(j × OFFSET + id)``), and its contracts' copy of it
  follows.

Replicated tables (the vendor has k× the clients and everything that belongs to them): see
``REPLICATED``; ``users`` only its client users (``role = 'client'``), ``audit_entries`` only entries
about tables replicated whole, ``events`` only those with a client or a replicated subject, and the
deliveries, notifications and webhook deliveries of those events. Shared tables (one vendor, one
staff): see ``SHARED`` — the staff users, settings and templates, the number
counters (the next billing run numbers its invoices from the one counter), the vendor profile, the
queue and job tables, API tokens, webhook subscriptions, login throttling, idempotency keys, usage
imports (one import a month carries every client's rows) and ``alembic_version``. A table in neither
list is an error, so a new table needs a decision here.

Afterwards ``PRAGMA foreign_key_check`` and ``PRAGMA integrity_check`` must come back empty / ok (the
CHECK constraints hold as the inserts run), and ``ANALYZE`` refreshes the planner's statistics.
``verify`` adds the pages of ``bench.pgcopy.check_app`` and the next billing run on a scratch copy.

Not changed in the copies: names, addresses and other non-unique text (copy j of a client has the
same name), dates and amounts, ids inside strings (a PDF's data keeps the original client's tax id),
stored upload files (shared by the copies). An invoice's 数电票 number (20 characters by a CHECK)
would break its CHECK with a suffix: the data set has none; if it ever has, the grow fails loudly.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402

OFFSET = 10_000_000

EVENTS = "client_id IS NOT NULL OR subject_type IN ({replicated})"
# Tables whose rows are copied k-1 times (with a row filter where only some rows belong to clients).
REPLICATED: dict[str, str | None] = {
    "clients": None,
    "client_shops": None,
    "client_needs": None,
    "client_contacts": None,
    "plan_items": None,
    "materials": None,
    "material_versions": None,
    "usage_daily": None,
    "quotes": None,
    "contracts": None,
    "contract_clauses": None,
    "contract_kpis": None,
    "contract_kpi_bands": None,
    "contract_extra_entries": None,
    "contract_amendments": None,
    "agents": None,
    "assignments": None,
    "checklist_items": None,
    "credentials": None,
    "training_sessions": None,
    "session_invites": None,
    "session_materials": None,
    "exam_attempts": None,
    "invoices": None,
    "invoice_lines": None,
    "payments": None,
    "credit_notes": None,
    "late_fee_charges": None,
    "refunds": None,
    "allocations": None,
    "dunning_reminders": None,
    "bank_statements": None,
    "bank_transactions": None,
    "bank_payer_accounts": None,
    "users": "role = 'client'",
    # {replicated}: the names of the tables replicated whole
    "audit_entries": "object_type IN ({replicated})",
    "events": EVENTS,
    # what was sent about a replicated event
    "deliveries": f"event_id IN (SELECT id FROM events WHERE {EVENTS})",
    "notifications": f"event_id IN (SELECT id FROM events WHERE {EVENTS})",
    "webhook_deliveries": f"event_id IN (SELECT id FROM events WHERE {EVENTS})",
}
SHARED = {
    "alembic_version",
    "sqlite_stat1",
    "number_sequences",
    "rate_cards",
    "clause_templates",
    "vendor_profile",
    "checklist_templates",
    "checklist_template_items",
    "platform_rules",
    "fapiao_item_codes",
    "bank_formats",
    "login_throttle",
    "idempotency_keys",
    "api_tokens",
    "webhook_subscriptions",
    "notification_preferences",
    "usage_imports",
    "jobs",
    "job_items",
    "queue_heartbeats",
}
# Polymorphic ids: (table, id column, type column naming the table).
POLYMORPHIC = {("audit_entries", "object_id"): "object_type", ("events", "subject_id"): "subject_type"}
JSON_TYPES = {"JSON"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_id_keys() -> set[str]:
    """JSON keys whose integer values are ids of replicated rows: client_id, invoice_id, replaces_id …"""
    keys = {f"{t[:-1] if t.endswith('s') else t}_id" for t in REPLICATED if t != "users"}  # staff stay
    keys |= {"needs_id", "superseded_by_id", "replaces_id", "billed_on_invoice_id", "delivery_id"}
    keys |= {"session_id", "kpi_id", "amendment_id", "shop_id", "contact_id", "statement_id"}
    keys |= {f"{k[:-3]}_ids" for k in keys}
    return keys


def _offset_json(value: Any, off: int, keys: set[str]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k in keys and isinstance(v, int) and not isinstance(v, bool):
                out[k] = v + off
            elif k in keys and isinstance(v, list):
                out[k] = [x + off if isinstance(x, int) and not isinstance(x, bool) else x for x in v]
            else:
                out[k] = _offset_json(v, off, keys)
        return out
    if isinstance(value, list):
        return [_offset_json(v, off, keys) for v in value]
    return value


def _register_functions(conn: sqlite3.Connection) -> None:
    keys = _json_id_keys()
    mentions = re.compile("|".join(f'"{re.escape(k)}"' for k in sorted(keys)))

    def grow_json(text: str | None, off: int) -> str | None:
        if text is None or not mentions.search(text):
            return text  # as it was (most JSON holds no ids: it is not parsed and written again)
        return json.dumps(_offset_json(json.loads(text), off, keys))

    def grow_tax_id(text: str | None, off: int, row_id: int) -> str | None:
        return None if text is None else dataset.credit_code(off + row_id)

    conn.create_function("grow_json", 2, grow_json, deterministic=True)
    conn.create_function("grow_tax_id", 3, grow_tax_id, deterministic=True)


class TablePlan:
    """How to insert copy j of a replicated table's rows: ``INSERT … SELECT expressions FROM table``."""

    def __init__(self, columns: list[str], exprs: list[str], origin: str, where: str):
        self.columns = columns
        self.exprs = exprs  # SQL with the parameters :off (j × OFFSET) and :j
        self.origin = origin  # an offset column: below OFFSET on the original rows
        self.where = where

    def sql(self, table: str) -> str:
        return (
            f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in self.columns)}) "
            f"SELECT {', '.join(self.exprs)} FROM {_quote(table)} "
            f"WHERE {_quote(self.origin)} < {OFFSET} AND ({self.where})"
        )


def _offset_exprs(conn: sqlite3.Connection, table: str, replicated_list: str) -> dict[str, str]:
    """Expressions of the columns that get the offset: the primary key, foreign keys into replicated
    tables (into client users only when the row points at one), polymorphic ids."""
    exprs = {}
    for row in conn.execute(f"PRAGMA table_info({_quote(table)})"):
        if row[5] and (row[2] or "").upper() == "INTEGER" and row[1] == "id":
            exprs["id"] = '"id" + :off'
    for fk in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchall():
        target, column = fk[2], _quote(fk[3])
        if target not in REPLICATED:
            continue
        where = REPLICATED[target]
        if where is None:
            exprs[fk[3]] = f"{column} + :off"
        else:  # only some of the target's rows are replicated (client users)
            rows = f"SELECT id FROM {_quote(target)} WHERE {where.format(replicated=replicated_list)}"
            exprs[fk[3]] = f"CASE WHEN {column} IN ({rows}) THEN {column} + :off ELSE {column} END"
    for (ptable, column), type_column in POLYMORPHIC.items():
        if ptable == table:
            q = _quote(column)
            exprs[column] = (
                f"CASE WHEN {_quote(type_column)} IN ({replicated_list}) THEN {q} + :off ELSE {q} END"
            )
    return exprs


def _unique_text_exprs(
    conn: sqlite3.Connection, table: str, types: dict[str, str], offset: set[str]
) -> dict[str, str]:
    """Expressions of the text columns of UNIQUE constraints and indexes (partial ones too) that hold
    no offset column: suffixed ``-j``, or a new valid credit code for a tax id."""
    exprs = {}
    for index in conn.execute(f"PRAGMA index_list({_quote(table)})").fetchall():
        name, unique, origin = index[1], index[2], index[3]
        if not unique or origin == "pk":
            continue
        index_columns = [row[2] for row in conn.execute(f"PRAGMA index_info({_quote(name)})")]
        if offset & set(index_columns):
            continue  # already unique: it holds an offset id
        texts = [c for c in index_columns if "CHAR" in types[c] or "TEXT" in types[c]]
        if not texts:
            raise RuntimeError(f"{table}: unique index {name} on {index_columns} cannot be made unique")
        for column in texts:
            q = _quote(column)
            exprs[column] = f"grow_tax_id({q}, :off, id)" if column == "tax_id" else f"{q} || '-' || :j"
    return exprs


def _plan(conn: sqlite3.Connection) -> dict[str, TablePlan]:
    """The plan of every replicated table; every table must be replicated or shared."""
    tables = [
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    unknown = [t for t in tables if t not in REPLICATED and t not in SHARED]
    if unknown:
        raise RuntimeError(f"tables neither replicated nor shared (decide in bench/grow.py): {unknown}")
    # Polymorphic ids name these (all of whose rows are copied); an audit entry or event about a user
    # is not copied, nor its id offset: most users are staff.
    replicated_list = ", ".join(f"'{t}'" for t, where in REPLICATED.items() if where is None)
    plan = {}
    for table in (t for t in tables if t in REPLICATED):
        info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        columns = [row[1] for row in info]
        types = {row[1]: (row[2] or "").upper() for row in info}
        exprs = {c: _quote(c) for c in columns}
        offset = _offset_exprs(conn, table, replicated_list)
        pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
        if not pk or any(c not in offset for c in pk):
            raise RuntimeError(f"{table}: primary key {pk} does not get the offset")
        exprs.update(offset)
        exprs.update({c: f"grow_json({_quote(c)}, :off)" for c in columns if types[c] in JSON_TYPES})
        exprs.update(_unique_text_exprs(conn, table, types, set(offset)))
        where = (REPLICATED[table] or "1").format(replicated=replicated_list)
        plan[table] = TablePlan(columns, [exprs[c] for c in columns], pk[0], where)
    return plan


def _copy_uploads(src: Path, dst: Path) -> int:
    """Copy ``<src>-uploads`` to ``<dst>-uploads`` as hard links (stored files are never changed)."""
    src_dir = src.parent / f"{src.stem}-uploads"
    dst_dir = dst.parent / f"{dst.stem}-uploads"
    if dst_dir.exists():
        shutil.rmtree(dst_dir)
    if not src_dir.exists():
        dst_dir.mkdir(parents=True)
        return 0

    def link(s: str, d: str) -> None:
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(src_dir, dst_dir, copy_function=link)
    return sum(1 for _ in dst_dir.rglob("*") if _.is_file())


def grow(src: Path, dst: Path, k: int) -> dict[str, Any]:
    """Write a k× copy of the SQLite data set ``src`` to ``dst`` (replaced); returns rows and seconds."""
    if k < 1:
        raise ValueError("k must be 1 or more")
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise ValueError("dst must differ from src")
    started = time.perf_counter()
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(dst, isolation_level=None)
    source.backup(target)
    source.close()
    files = _copy_uploads(src, dst)
    copied = time.perf_counter()

    target.execute("PRAGMA journal_mode = OFF")  # a file we make from scratch: no rollback needed
    target.execute("PRAGMA synchronous = OFF")
    target.execute("PRAGMA cache_size = -131072")  # 128 MiB: the indexes being extended stay in memory
    target.execute("PRAGMA foreign_keys = OFF")  # checked once at the end
    _register_functions(target)
    plan = _plan(target)
    max_id = 0
    for table, table_plan in plan.items():
        (top,) = target.execute(
            f"SELECT coalesce(max({_quote(table_plan.origin)}), 0) FROM {_quote(table)}"
        ).fetchone()
        max_id = max(max_id, top)
    if max_id >= OFFSET:
        raise RuntimeError(f"ids up to {max_id}: OFFSET {OFFSET} is too small")
    before = {t: target.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in plan}
    target.execute("BEGIN")
    for j in range(1, k):
        for table, table_plan in plan.items():
            target.execute(table_plan.sql(table), {"off": j * OFFSET, "j": j})
        # the contracts' copy of their client's tax id follows the client's new one
        target.execute(
            "UPDATE contracts SET client_tax_id = (SELECT tax_id FROM clients WHERE clients.id = contracts.client_id) "
            "WHERE id >= :lo AND id < :hi",
            {"lo": j * OFFSET, "hi": (j + 1) * OFFSET},
        )
    target.execute("COMMIT")
    grown = time.perf_counter()
    after = {t: target.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in plan}
    target.execute("ANALYZE")
    target.execute("PRAGMA journal_mode = WAL")
    target.close()
    finished = time.perf_counter()
    return {
        "k": k,
        "rows_before": sum(before.values()),
        "rows_after": sum(after.values()),
        "tables": {t: (before[t], after[t]) for t in plan},
        "upload_files": files,
        "seconds": {
            "copy": round(copied - started, 2),
            "replicate": round(grown - copied, 2),
            "analyze": round(finished - grown, 2),
            "total": round(finished - started, 2),
        },
    }


def check(db: Path) -> dict[str, Any]:
    """``PRAGMA foreign_key_check`` (rows that break a foreign key, at most 10) and ``integrity_check``."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    fk = conn.execute("PRAGMA foreign_key_check").fetchmany(10)
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchmany(10)]
    conn.close()
    return {"foreign_key_check": fk, "integrity_check": integrity}


def verify(db: Path, *, billing: bool = True) -> dict[str, Any]:
    """The checks of ``check`` and, on a scratch copy of ``db`` (left unchanged), the pages of
    ``bench.pgcopy.check_app`` and the next billing run (which changes the data it runs on)."""
    from bench.pgcopy import check_app

    db = Path(db)
    result = check(db)
    scratch = db.parent / f"{db.stem}-verify.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    source, target = sqlite3.connect(f"file:{db}?mode=ro", uri=True), sqlite3.connect(scratch)
    source.backup(target)
    source.close()
    target.close()
    _copy_uploads(db, scratch)
    try:
        app = dataset.make_app(scratch, AUTO_MIGRATE=False, WTF_CSRF_ENABLED=False)
        result.update(check_app(app, billing=billing))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{scratch}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(scratch.parent / f"{scratch.stem}-uploads", ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="the 1x SQLite data set (read only)")
    parser.add_argument("dst", type=Path, help="the k x data set to write (replaced)")
    parser.add_argument("k", type=int)
    parser.add_argument("--check", action="store_true", help="then run the foreign key and integrity checks")
    parser.add_argument(
        "--verify", action="store_true", help="then the checks, the pages and a billing run on a scratch copy"
    )
    args = parser.parse_args(argv)
    result = grow(args.src, args.dst, args.k)
    print(json.dumps({k: v for k, v in result.items() if k != "tables"}), flush=True)
    if args.verify:
        print(json.dumps(verify(args.dst), ensure_ascii=False), flush=True)
    elif args.check:
        print(json.dumps(check(args.dst)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
