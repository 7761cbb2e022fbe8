"""How an import writes: new, changed and unchanged rows across chunks, all or nothing, on both databases.

On PostgreSQL the rows go through COPY into a temporary staging table and one INSERT ... ON CONFLICT;
on SQLite through an executemany per chunk. Both must give the same rows, counts and audit entry.
"""

import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.usage import services as usage_services
from ops.usage.models import UsageDaily, UsageImport
from ops.usage.services import UsageImportError, import_usage_file
from tests.factories import make_client

HEADER = "客户编号,日期,平台,咨询量,有效咨询量,服务销售额(元),首次响应时间(秒)\n"


def csv_file(lines: list[str]) -> io.BytesIO:
    return io.BytesIO((HEADER + "".join(line + "\n" for line in lines)).encode("utf-8"))


def stored(db) -> dict:
    """(client, day, platform) -> (consults, valid, gmv fen, first response ms, updated_at)."""
    return {
        (r.client_id, r.day.isoformat(), r.platform): (
            r.consults,
            r.valid_consults,
            r.served_gmv_fen,
            r.first_response_ms,
            r.updated_at,
        )
        for r in db.session.scalars(sa.select(UsageDaily))
    }


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(usage_services, "CHUNK_ROWS", 3)  # eight rows make three chunks


def test_new_changed_and_unchanged_rows_across_chunks(db, small_chunks):
    a, b = make_client(db, name="甲", tax_id=None).id, make_client(db, name="乙", tax_id=None).id
    first = [
        f"{a},2026-10-01,tmall,100,90,10.00,12.5",
        f"{a},2026-10-02,tmall,100,90,10.00,12.5",
        f"{a},2026-10-01,jd,50,40,0.50,",
        f"{b},2026-10-01,tmall,7,7,0,3",
        f"{b},2026-10-02,tmall,7,7,0,3",
    ]
    result = import_usage_file(csv_file(first), "first.csv", "cli")
    db.session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (5, 0, 0)
    before = stored(db)
    assert before[(a, "2026-10-01", "tmall")][:4] == (100, 90, 1_000, 12_500)  # 10 yuan, 12.5 s
    assert before[(a, "2026-10-01", "jd")][:4] == (40 + 10, 40, 50, None)  # 0.50 yuan; no time given

    second = [
        f"{a},2026-10-01,tmall,100,90,10.00,12.5",  # unchanged
        f"{a},2026-10-02,tmall,100,90,10.01,12.5",  # one fen more: changed
        f"{a},2026-10-01,jd,50,40,0.50,1",  # a time where there was none: changed
        f"{b},2026-10-01,tmall,7,7,0,",  # a time removed: changed
        f"{b},2026-10-02,tmall,7,7,0.00,3.000",  # the same figures written differently: unchanged
        f"{b},2026-10-03,tmall,1,0,0,0",  # new
        f"{b},2026-10-03,jd,2,1,0,0",  # new
        f"{a},2026-10-03,tmall,3,3,0,0",  # new
    ]
    result = import_usage_file(csv_file(second), "second.csv", "cli")
    db.session.commit()
    assert (result.inserted, result.updated, result.unchanged, result.rows) == (3, 3, 2, 8)
    assert result.client_ids == [a, b]
    after = stored(db)
    assert len(after) == 8
    assert after[(a, "2026-10-02", "tmall")][:4] == (100, 90, 1_001, 12_500)
    assert after[(a, "2026-10-01", "jd")][:4] == (50, 40, 50, 1_000)
    assert after[(b, "2026-10-01", "tmall")][:4] == (7, 7, 0, None)
    assert after[(b, "2026-10-03", "jd")][:4] == (2, 1, 0, 0)
    # Only written rows get a new timestamp; the unchanged keep theirs.
    for key in [(a, "2026-10-01", "tmall"), (b, "2026-10-02", "tmall")]:
        assert after[key][4] == before[key][4]
    for key in [(a, "2026-10-02", "tmall"), (a, "2026-10-01", "jd"), (b, "2026-10-01", "tmall")]:
        assert after[key][4] > before[key][4]
    record = db.session.scalar(sa.select(UsageImport).where(UsageImport.filename == "second.csv"))
    assert (record.rows, record.inserted, record.updated, record.unchanged) == (8, 3, 3, 2)
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "usage.imported", AuditEntry.object_id == record.id)
    )
    assert {k: entry.after[k] for k in ("rows", "inserted", "updated", "unchanged", "clients")} == {
        "rows": 8,
        "inserted": 3,
        "updated": 3,
        "unchanged": 2,
        "clients": [a, b],
    }
    assert (entry.after["first_day"], entry.after["last_day"]) == ("2026-10-01", "2026-10-03")

    # The same file again: nothing to write.
    result = import_usage_file(csv_file(second), "third.csv", "cli")
    db.session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 8)
    assert stored(db) == after


def test_a_bad_row_after_written_chunks_imports_nothing_and_the_next_import_works(db, small_chunks):
    a = make_client(db, name="甲", tax_id=None).id
    result = import_usage_file(csv_file([f"{a},2026-09-30,tmall,5,5,1,1"]), "old.csv", "cli")
    db.session.commit()
    old = stored(db)
    good = [f"{a},2026-10-{day:02d},tmall,10,9,1.00,2" for day in range(1, 8)]
    changed = [f"{a},2026-09-30,tmall,6,5,1,1"]
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(csv_file(changed + good + [f"{a},2026-10-08,tmall,10,11,0,0"]), "bad.csv", "cli")
    assert [(e.row, e.column) for e in refused.value.errors] == [(10, "有效咨询量")]
    db.session.commit()  # what was written before the bad row is rolled back, even when committing
    assert stored(db) == old
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsageImport)) == 1

    # Two imports in one transaction (the staging table of the first is gone before the second).
    result = import_usage_file(csv_file(good[:4]), "one.csv", "cli")
    again = import_usage_file(csv_file(changed + good), "two.csv", "cli")
    db.session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (4, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (3, 1, 4)
    assert len(stored(db)) == 8


def test_on_postgresql_the_rows_go_through_copy_and_one_upsert(db, small_chunks, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (OPS_TEST_DATABASE_URL)")
    a = make_client(db, name="甲", tax_id=None).id
    statements = []
    connection = db.session.connection().connection.driver_connection

    def traced(self, chunk, first_day, last_day):
        statements.append(("copy", len(chunk)))
        return copy_write(self, chunk, first_day, last_day)

    copy_write = usage_services._CopyWriter.write
    monkeypatch.setattr(usage_services._CopyWriter, "write", traced)
    monkeypatch.setattr(usage_services._BatchWriter, "write", lambda *args: pytest.fail("not on PostgreSQL"))
    lines = [f"{a},2026-10-{day:02d},tmall,10,9,1.00,2" for day in range(1, 8)]
    result = import_usage_file(csv_file(lines), "pg.csv", "cli")
    assert statements == [("copy", 3), ("copy", 3), ("copy", 1)]
    assert (result.inserted, result.updated, result.unchanged) == (7, 0, 0)
    # The staging table is gone once the rows are stored, and the rows are in the transaction.
    exists = "SELECT to_regclass('pg_temp.usage_import_staging') IS NOT NULL"
    assert connection.execute(exists).fetchone() == (False,)
    assert len(stored(db)) == 7
    db.session.rollback()
    assert stored(db) == {}

    # A row refused by the database itself (a client deleted since it was resolved is one way; a
    # check the validation does not make is another): simulated by a bad staged figure.
    def bad_write(self, chunk, first_day, last_day):
        copy_write(self, chunk, first_day, last_day)
        # On the writer's own connection: after the rollback above the session may have taken another
        # one from the pool (the staging table is per connection).
        self.connection.execute("UPDATE usage_import_staging SET valid_consults = consults + 1")

    monkeypatch.setattr(usage_services._CopyWriter, "write", bad_write)
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(csv_file(lines), "pg.csv", "cli")
    assert [e.message for e in refused.value.errors] == [usage_services.MSG_CONFLICT]
    db.session.commit()
    assert stored(db) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsageImport)) == 0


def test_timestamps_are_the_imports_moment(db):
    a = make_client(db, name="甲", tax_id=None).id
    started = datetime.now().astimezone()
    import_usage_file(csv_file([f"{a},2026-10-01,tmall,1,1,0,0"]), "t.csv", "cli")
    db.session.commit()
    ((*_figures, updated_at),) = stored(db).values()
    assert started - timedelta(seconds=1) <= updated_at <= datetime.now().astimezone() + timedelta(seconds=1)
