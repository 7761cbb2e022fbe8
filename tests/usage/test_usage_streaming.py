"""The CSV import streams: large files go through in chunks, and a bad row anywhere still imports nothing.

Memory itself is measured by ``bench/import_memory.py`` (peak RSS for 1,000,000 rows), not here.
"""

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ops.usage import services as usage_services
from ops.usage.encoding import DETECT_BYTES, detect_encoding
from ops.usage.models import UsageDaily, UsageImport
from ops.usage.services import UsageImportError, import_usage_file
from tests.factories import make_client

HEADER = "客户编号,日期,平台,咨询量,有效咨询量,服务销售额(元)\n"
PLATFORMS = ("tmall", "jd", "pdd", "douyin", "taobao", "kuaishou")
FIRST_DAY = date(2015, 1, 1)


def generate(client_ids, rows: int, *, last_line: str | None = None) -> io.BytesIO:
    """``rows`` data rows: every client × platform for consecutive days from 2015-01-01."""
    out = io.StringIO()
    out.write(HEADER)
    written = 0
    day = FIRST_DAY
    while written < rows:
        for client_id in client_ids:
            for platform in PLATFORMS:
                if written == rows:
                    break
                out.write(
                    f"{client_id},{day.isoformat()},{platform},{100 + written % 50},{90 + written % 10},12.30\n"
                )
                written += 1
        day += timedelta(days=1)
    if last_line is not None:
        out.write(last_line + "\n")
    return io.BytesIO(out.getvalue().encode("utf-8"))


def stored(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UsageDaily))


@pytest.fixture
def clients(db):
    return [make_client(db, name=f"客户{n}", tax_id=None).id for n in range(10)]


def test_200000_rows_are_imported_in_chunks_and_a_bad_last_row_imports_nothing(db, clients, monkeypatch):
    chunks = []
    write = usage_services._Importer._write_chunk

    def counting(self):
        chunks.append(len(self.pending))
        return write(self)

    monkeypatch.setattr(usage_services._Importer, "_write_chunk", counting)

    # 200,000 good rows, then one with a word for a number: the chunks written before it roll back.
    bad = generate(clients, 200_000, last_line=f"{clients[0]},2026-01-01,天猫,很多,1,0")
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(bad, "bad.csv", "cli")
    db.session.rollback()
    assert [(e.row, e.column) for e in refused.value.errors] == [(200_002, "咨询量")]  # header + 200,000 + 1
    assert max(chunks) == usage_services.CHUNK_ROWS  # rows really went to the database in chunks
    assert stored(db) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsageImport)) == 0

    result = import_usage_file(generate(clients, 200_000), "good.csv", "cli")
    db.session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (200_000, 0, 0)
    assert stored(db) == 200_000
    assert result.client_ids == sorted(clients)

    # The first 5,000 rows again, one of them changed: found in the database, one updated.
    again = generate(clients, 5_000).getvalue().replace(b",tmall,100,90,12.30", b",tmall,100,90,99.00", 1)
    result = import_usage_file(io.BytesIO(again), "again.csv", "cli")
    db.session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 4_999)
    assert stored(db) == 200_000


def test_an_unknown_client_on_the_last_row_imports_nothing(db, clients):
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(generate(clients, 20_000, last_line="987654,2026-01-01,天猫,1,1,0"), "b.csv", "cli")
    db.session.rollback()
    assert [e.row for e in refused.value.errors] == [20_002]
    assert stored(db) == 0


def test_a_duplicate_far_apart_is_found_and_the_errors_kept_are_capped(db, clients, monkeypatch):
    monkeypatch.setattr(usage_services, "MAX_ERRORS", 5)
    first_line = f"{clients[0]},{FIRST_DAY.isoformat()},tmall,1,1,0"  # row 2 of the file
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(generate(clients, 10_000, last_line=first_line), "dup.csv", "cli")
    db.session.rollback()
    (error,) = refused.value.errors
    assert error.row == 10_002 and "与第 2 行重复" in error.message

    words = "\n".join(f"{clients[0]},2026-01-{n:02d},天猫,x,1,0" for n in range(1, 21))
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(io.BytesIO((HEADER + words + "\n").encode()), "words.csv", "cli")
    db.session.rollback()
    assert len(refused.value.errors) == 5 and refused.value.total == 20
    assert stored(db) == 0


def test_the_encoding_is_found_after_a_long_ascii_beginning(db, clients):
    # The first megabyte is ASCII (ids and dates); the Chinese platform names come after it, in GB18030.
    ascii_part = generate(clients, 40_000).getvalue()
    assert len(ascii_part) > DETECT_BYTES and ascii_part[len(HEADER.encode()) :].isascii()
    tail = f"{clients[0]},2026-01-01,天猫,5,5,0\n".encode("gb18030")
    data = HEADER.encode("gb18030") + ascii_part[len(HEADER.encode()) :] + tail
    assert detect_encoding(io.BytesIO(data)) == "gb18030"
    result = import_usage_file(io.BytesIO(data), "gbk.csv", "cli")
    db.session.commit()
    assert result.inserted == 40_001
    assert (
        db.session.scalar(sa.select(UsageDaily.platform).where(UsageDaily.day == date(2026, 1, 1))) == "tmall"
    )


def test_a_file_whose_encoding_changes_after_the_prefix_is_a_row_error(db, clients):
    # UTF-8 Chinese in the first megabyte, then a GB18030 line: a clear error, nothing stored.
    head = (HEADER + f"{clients[0]},2016-01-01,天猫,1,1,0\n").encode("utf-8")
    body = generate(clients[1:], 40_000).getvalue()[len(HEADER.encode()) :]
    tail = f"{clients[0]},2026-01-01,京东,5,5,0\n".encode("gb18030")
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(io.BytesIO(head + body + tail), "mixed.csv", "cli")
    db.session.rollback()
    assert any("编码" in e.message for e in refused.value.errors)
    assert stored(db) == 0


@pytest.mark.parametrize("data", [b"", b"   \r\n  ", b"\xd0\xcf\x11\xe0\x00\x00binary"])
def test_empty_and_binary_files_are_refused_as_a_whole(db, data):
    with pytest.raises(UsageImportError) as refused:
        import_usage_file(io.BytesIO(data), "x.csv", "cli")
    assert [e.row for e in refused.value.errors] == [0]
