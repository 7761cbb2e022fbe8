"""Daily usage figures in: decoding CSV exports, mapping their columns, validating every row.

Pure: no Flask, no database. One validation serves the CSV upload, the CLI and the JSON API:
``parse_usage_csv`` turns a spreadsheet export into record dicts and ``validate_usage_records``
checks record dicts (the API maps its JSON rows to the same dicts). Both return
``(rows, errors)``: ``UsageRow`` values ready to store, and ``UsageError`` tuples of (row number
as the user counts it, column as the user named it, Chinese message). A row names its client by
id or by exact name; resolving names is the service's job.

Units: money in fen, response times in milliseconds, rates in basis points (92.5 % = 9250).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from ops import timeutil
from ops.usage.cells import RowReader, validate_numbered, validate_row
from ops.usage.encoding import (
    MSG_ENCODING_LATER,
    UsageDecodeError,
    decode_csv,
    detect_encoding,
    open_csv_text,
)
from ops.usage.fields import (
    CACHE_LIMIT,
    CSV_TEMPLATE_HEADERS,
    DATE_LABEL,
    FIELDS,
    HEADER_TO_FIELD,
    IGNORED_HEADERS,
    RATE_FIELDS,
    SECONDS_FIELDS,
    VALUE_COLUMNS,
    DuplicateCheck,
    HugeNumber,
    UsageError,
    UsageRow,
)

__all__ = [
    "CSV_TEMPLATE_HEADERS",
    "FIELDS",
    "VALUE_COLUMNS",
    "DuplicateCheck",
    "HugeNumber",
    "UsageDecodeError",
    "UsageError",
    "UsageRow",
    "decode_csv",
    "detect_encoding",
    "iter_usage_csv",
    "open_csv_text",
    "parse_usage_csv",
    "validate_usage_records",
]


def _normalise_header(text: str) -> str:
    s = (text or "").strip().lower().replace("（", "(").replace("）", ")")
    s = re.sub(r"\(.*?\)$", "", s)  # a unit in brackets: 服务销售额(元), 首次响应时间(秒)
    s = re.sub(r"[\s\-]+", "_", s.strip()).strip("_")
    return s


def parse_usage_csv(text: str, *, today: date | None = None) -> tuple[list[UsageRow], list[UsageError]]:
    """Read a CSV export (header in Chinese or English) and validate every row.

    Row numbers are those a spreadsheet shows: the header is row 1, the first data row is 2.
    Blank lines are skipped (their numbers still count). Nothing is returned as rows when
    the header itself is unusable. (In memory: ``iter_usage_csv`` streams a large file.)
    """
    rows: list[UsageRow] = []
    errors: list[UsageError] = []
    duplicates = DuplicateCheck()
    for item in iter_usage_csv(io.StringIO(text.lstrip("\ufeff"), newline=""), today=today):
        if isinstance(item, UsageError):
            errors.append(item)
            continue
        client_key = ("id", item.client_id) if item.client_id is not None else ("name", item.client_name)
        duplicate = duplicates.check((client_key, item.day, item.platform), item.row, DATE_LABEL)
        if duplicate is not None:
            errors.append(duplicate)
        else:
            rows.append(item)
    return rows, errors


def iter_usage_csv(lines, *, today: date | None = None):
    """Stream a CSV export: yields each data row as a ``UsageRow``, or its ``UsageError`` items.

    ``lines`` is any iterable of text lines with their line ends (a text file opened with
    ``newline=""``). Header problems are yielded as row 1 errors and end the stream. Rows are not
    checked against each other (duplicates are the caller's: see ``DuplicateCheck``). Memory stays
    bounded whatever the file's length.
    """
    today = today or timeutil.today()
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        yield UsageError(1, "", "文件没有内容")
        return
    except csv.Error as exc:
        yield UsageError(1, "", f"CSV 格式错误：{exc}")
        return
    if header:
        header[0] = header[0].lstrip("\ufeff")
    columns, labels, header_errors = _read_header(header)
    if header_errors:
        yield from header_errors
        return
    yield from _iter_rows(reader, len(header), columns, labels, today)


def _read_header(header: list[str]) -> tuple[dict[int, str], dict[str, str], list[UsageError]]:
    """The header's columns (position -> canonical field), their labels as written (canonical field
    -> header text) and its problems (row 1 errors)."""
    header_errors: list[UsageError] = []
    columns: dict[int, str] = {}  # position -> canonical field
    labels: dict[str, str] = {}  # canonical field -> header as written
    for position, raw in enumerate(header):
        name = _normalise_header(raw)
        if not name or name in IGNORED_HEADERS:
            continue
        field = HEADER_TO_FIELD.get(name)
        if field is None:
            header_errors.append(UsageError(1, raw.strip(), "无法识别的列名，请使用模板中的列名"))
        elif field in labels:
            header_errors.append(UsageError(1, raw.strip(), f"列重复（与“{labels[field]}”相同）"))
        else:
            columns[position] = field
            labels[field] = raw.strip()
    if "client_id" not in labels and "client" not in labels:
        header_errors.append(
            UsageError(1, "客户编号/客户名称", "缺少客户列：至少需要“客户编号”或“客户名称”之一")
        )
    for field in ("date", "platform", "consults", "valid_consults"):
        if field not in labels:
            header_errors.append(UsageError(1, FIELDS[field][0], "缺少必填列"))
    return columns, labels, header_errors


# Canonical field -> the UsageRow attribute its cell becomes.
ROW_ATTRIBUTE = {
    "client_id": "client_id",
    "client": "client_name",
    "date": "day",
    "served_gmv": "served_gmv_fen",
    "refunds": "refunds_fen",
    **SECONDS_FIELDS,
    **RATE_FIELDS,
}
_MISS = object()


def _iter_rows(reader, width: int, columns: dict[int, str], labels: dict[str, str], today: date):
    """The data rows after the header: each a ``UsageRow`` or its ``UsageError`` items.

    Every cell's value depends only on its text (and ``today``), and an export repeats its texts, so
    each column remembers the values its texts took in the rows that passed. A row whose every cell
    is remembered, that passes the checks between cells (a client named, valid consults at most the
    consults, promo shifts only with a promo headcount), is built from them directly: what
    ``validate_row`` would return for it, at a fraction of the cost. Any other row goes through
    ``validate_row``, which finds its errors; memory stays bounded (CACHE_LIMIT texts).
    """
    cache: dict = {}  # shared by the rows: every parse here depends only on the cell text and ``today``
    # (position, UsageRow attribute, cell text -> value seen in a valid row), in the header's order.
    plan = [(pos, ROW_ATTRIBUTE.get(field, field), {}) for pos, field in columns.items()]
    remembered = 0
    index = 0
    try:
        for index, cells in enumerate(reader):
            row_number = index + 2
            if len(cells) == width:
                values = {"client_id": None, "client_name": None}  # a file may have one of the two
                for pos, attribute, memo in plan:
                    value = memo.get(cells[pos], _MISS)
                    if value is _MISS:
                        break
                    values[attribute] = value
                else:
                    if (
                        (values["client_id"] is not None or values["client_name"] is not None)
                        and values["valid_consults"] <= values["consults"]
                        and (values.get("promo_shifts") is None or values.get("promo_headcount"))
                    ):
                        yield UsageRow(row_number, **values)
                        continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                yield UsageError(row_number, "", "这一行的单元格比表头多，请检查是否有多余的逗号")
                continue
            record = {field: cells[pos] if pos < len(cells) else "" for pos, field in columns.items()}
            if len(cache) > CACHE_LIMIT or remembered > CACHE_LIMIT:
                cache.clear()
                for _pos, _attribute, memo in plan:
                    memo.clear()
                remembered = 0
            row_reader = RowReader(row_number, record, labels, cache)
            row = validate_row(row_reader, today)
            if row is None:
                yield from row_reader.errors
                continue
            if len(cells) == width:
                for pos, attribute, memo in plan:
                    memo[cells[pos]] = getattr(row, attribute)
                remembered += len(plan)
            yield row
    except csv.Error as exc:
        yield UsageError(reader.line_num, "", f"CSV 格式错误：{exc}")
    except UnicodeDecodeError:
        yield UsageError(index + 3, "", MSG_ENCODING_LATER)


def validate_usage_records(
    records: list[dict], *, first_row: int = 1, today: date | None = None
) -> tuple[list[UsageRow], list[UsageError]]:
    """Validate record dicts keyed by the canonical field names (the JSON API's rows).

    Money may come as yuan text (``served_gmv``, ``refunds``) or as integer fen
    (``served_gmv_fen``, ``refunds_fen``); seconds and percentages as numbers or text.
    Rows are numbered from ``first_row``; columns are named by the field names.
    """
    labels = {field: field for field in FIELDS}
    numbered = [(first_row + index, record) for index, record in enumerate(records)]
    return validate_numbered(numbered, labels, today or timeutil.today())
