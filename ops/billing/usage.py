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

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from ops import timeutil
from ops.errors import ServiceError
from ops.money import parse_percent, parse_yuan

__all__ = [
    "CSV_TEMPLATE_HEADERS",
    "FIELDS",
    "PLATFORM_LABELS",
    "UsageDecodeError",
    "UsageError",
    "UsageRow",
    "UsageSummary",
    "daily_series",
    "DuplicateCheck",
    "decode_csv",
    "detect_encoding",
    "iter_usage_csv",
    "open_csv_text",
    "format_seconds",
    "parse_usage_csv",
    "summarize",
    "template_csv",
    "validate_usage_records",
]

PLATFORM_LABELS = {
    "taobao": "淘宝",
    "tmall": "天猫",
    "jd": "京东",
    "pdd": "拼多多",
    "kuaishou": "快手",
    "douyin": "抖音",
}
_PLATFORM_ALIASES = {
    **{code: code for code in PLATFORM_LABELS},
    **{label: code for code, label in PLATFORM_LABELS.items()},
    "pinduoduo": "pdd",
    "抖店": "douyin",
    "京东商城": "jd",
    "天猫商城": "tmall",
}

# Canonical field -> (Chinese column label, accepted header spellings after normalisation).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "client_id": ("客户编号", ("客户编号", "客户id", "client_id", "clientid")),
    "client": ("客户名称", ("客户", "客户名称", "客户名", "client", "client_name")),
    "date": ("日期", ("日期", "date", "day")),
    "platform": ("平台", ("平台", "platform")),
    "consults": ("咨询量", ("咨询量", "咨询数", "consults")),
    "valid_consults": ("有效咨询量", ("有效咨询量", "有效咨询数", "有效咨询", "valid_consults")),
    "served_gmv": ("服务销售额(元)", ("服务销售额", "客服销售额", "served_gmv")),
    "refunds": ("退款金额(元)", ("退款金额", "退款", "refunds")),
    "first_response_seconds": ("首次响应时间(秒)", ("首次响应时间", "首响时间", "first_response_seconds")),
    "avg_response_seconds": ("平均响应时间(秒)", ("平均响应时间", "平响时间", "avg_response_seconds")),
    "reply_3min_rate": ("3分钟回复率", ("3分钟回复率", "三分钟回复率", "reply_3min_rate")),
    "inquiry_conversion": ("询单转化率", ("询单转化率", "inquiry_conversion", "inquiry_conversion_rate")),
    "satisfaction": ("满意度", ("满意度", "客户满意度", "satisfaction", "satisfaction_rate")),
    "dispute_refund_rate": ("纠纷退款率", ("纠纷退款率", "dispute_refund_rate")),
}
# Columns some exports carry that mean nothing to billing.
_IGNORED_HEADERS = {"备注", "说明", "note", "notes", "remark", "remarks", "店铺", "店铺名称", "shop"}
_HEADER_TO_FIELD = {alias: field for field, (_label, aliases) in FIELDS.items() for alias in aliases}
CSV_TEMPLATE_HEADERS = tuple(label for label, _aliases in FIELDS.values())

_SECONDS_FIELDS = {"first_response_seconds": "first_response_ms", "avg_response_seconds": "avg_response_ms"}
_RATE_FIELDS = {
    "reply_3min_rate": "reply_3min_bp",
    "inquiry_conversion": "inquiry_conversion_bp",
    "satisfaction": "satisfaction_bp",
    "dispute_refund_rate": "dispute_refund_bp",
}
# JSON rows carry money as integer fen under these names.
_FEN_FIELDS = {"served_gmv_fen": "served_gmv", "refunds_fen": "refunds"}

MAX_COUNT = 2_147_483_647  # the columns are 32-bit integers
MAX_FEN = 10**15  # ten trillion yuan: anything above is a typo
MAX_SECONDS = Decimal(86_400)
EARLIEST_DAY = date(2000, 1, 1)

MSG_REQUIRED = "必填，不能为空"
MSG_INTEGER = "必须是不小于 0 的整数"
MSG_TOO_LARGE = "数值过大"
MSG_DATE = "日期格式不正确，请用 2026-10-01 或 2026/10/01"
MSG_FUTURE = "日期不能晚于今天"
MSG_TOO_EARLY = "日期过早，请检查年份"
MSG_PLATFORM = (
    "未知平台，可用：淘宝、天猫、京东、拼多多、快手、抖音（或 taobao、tmall、jd、pdd、kuaishou、douyin）"
)
MSG_VALID_GT = "有效咨询量不能大于咨询量"
MSG_CLIENT = "请填写客户编号或客户名称"
MSG_CLIENT_ID = "客户编号必须是正整数"
MSG_SECONDS = "请填写秒数，例如 12.5（0 到 86400 秒）"
MSG_RATE_RANGE = "比率必须在 0% 到 100% 之间"
MSG_FEN = "金额（分）必须是不小于 0 的整数"


MAX_DIGITS = 30  # an integer cell longer than this is "too large" before int() sees it


class HugeNumber:
    """A JSON integer too long to convert (the API's ``parse_int``): a row error "数值过大", never
    Python's int-from-string limit (4,300 digits) ending the request in a 500."""

    __slots__ = ("digits",)

    def __init__(self, digits: str):
        self.digits = digits

    @classmethod
    def parse_int(cls, text: str):
        """``json.loads(..., parse_int=HugeNumber.parse_int)``."""
        return cls(text) if len(text.lstrip("-")) > MAX_DIGITS else int(text)


def _int_text(text: str) -> int:
    """int() of a string of digits already matched by a pattern, refusing absurd lengths."""
    if len(text.lstrip("+-0")) > MAX_DIGITS:
        raise _Bad(MSG_TOO_LARGE)
    return int(text)


class UsageDecodeError(ServiceError):
    """The bytes are not text in a supported encoding; the message (Chinese) says what to do."""


class UsageError(NamedTuple):
    """One problem: ``row`` as the user counts it (CSV: header = 1; API: first row = 1)."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class UsageRow:
    """One validated day of figures. ``client_id`` or ``client_name`` (or both) names the client."""

    row: int
    client_id: int | None
    client_name: str | None
    day: date
    platform: str
    consults: int
    valid_consults: int
    served_gmv_fen: int = 0
    refunds_fen: int = 0
    first_response_ms: int | None = None
    avg_response_ms: int | None = None
    reply_3min_bp: int | None = None
    inquiry_conversion_bp: int | None = None
    satisfaction_bp: int | None = None
    dispute_refund_bp: int | None = None

    def values(self) -> dict:
        """The stored figures (everything but the client and the key)."""
        return {name: getattr(self, name) for name in VALUE_COLUMNS}


VALUE_COLUMNS = (
    "consults",
    "valid_consults",
    "served_gmv_fen",
    "refunds_fen",
    "first_response_ms",
    "avg_response_ms",
    "reply_3min_bp",
    "inquiry_conversion_bp",
    "satisfaction_bp",
    "dispute_refund_bp",
)


# --- decoding and CSV ----------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """Bytes of a CSV export as text: UTF-8 (with or without BOM), else GB18030 (Excel in China).

    Raises UsageDecodeError when the file is empty or neither encoding reads it.
    """
    if not data or not data.strip():
        raise UsageDecodeError("文件是空的")
    if b"\x00" in data:
        raise UsageDecodeError(
            "无法识别的文件编码：请在 Excel 中“另存为 CSV（UTF-8）”或 CSV（逗号分隔）后再上传"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UsageDecodeError(MSG_ENCODING)


MSG_ENCODING = "无法识别的文件编码：请保存为 UTF-8 或 GB18030（GBK）编码的 CSV 文件"
MSG_ENCODING_LATER = "这一行的文字编码与文件开头不一致：请把整个文件保存为 UTF-8 或 GB18030（GBK）编码"
MSG_BINARY = "无法识别的文件编码：请在 Excel 中“另存为 CSV（UTF-8）”或 CSV（逗号分隔）后再上传"
DETECT_BYTES = 1024 * 1024  # how much non-ASCII text decides the encoding
_CHUNK = 64 * 1024


def detect_encoding(binary) -> str:
    """The encoding of a CSV export in a seekable binary file, read from its beginning in chunks:
    ``utf-8-sig`` when the first megabyte of text after the first non-ASCII byte is UTF-8, else
    ``gb18030``. The file position is restored. Raises UsageDecodeError for an empty or blank file
    and for binary data (NUL bytes)."""
    start = binary.tell()
    decoder = codecs.getincrementaldecoder("utf-8")()
    blank, utf8, non_ascii_seen = True, True, 0
    try:
        while True:
            chunk = binary.read(_CHUNK)
            if not chunk:
                if utf8:
                    try:
                        decoder.decode(b"", final=True)
                    except UnicodeDecodeError:
                        utf8 = False
                break
            if b"\x00" in chunk:
                raise UsageDecodeError(MSG_BINARY)
            blank = blank and not chunk.strip()
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if non_ascii_seen or not chunk.isascii():
                non_ascii_seen += len(chunk)
            if (not utf8 or non_ascii_seen >= DETECT_BYTES) and not blank:
                break
    finally:
        binary.seek(start)
    if blank:
        raise UsageDecodeError("文件是空的")
    return "utf-8-sig" if utf8 else "gb18030"


class _NulCheckingReader(io.RawIOBase):
    """A binary file that refuses NUL bytes as it is read (a spreadsheet saved in a binary format)."""

    def __init__(self, binary):
        self.binary = binary

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.binary.read(len(buffer))
        if b"\x00" in data:
            raise UnicodeDecodeError("csv", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte")
        buffer[: len(data)] = data
        return len(data)


def open_csv_text(binary) -> io.TextIOWrapper:
    """A seekable binary file (an upload's spooled file, an open file) as text lines for
    ``iter_usage_csv``: the encoding detected from its beginning, read in chunks, never whole.
    Raises UsageDecodeError (see ``detect_encoding``)."""
    encoding = detect_encoding(binary)
    return io.TextIOWrapper(
        io.BufferedReader(_NulCheckingReader(binary), _CHUNK), encoding=encoding, newline="", errors="strict"
    )


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


DATE_LABEL = FIELDS["date"][0]
CACHE_LIMIT = 100_000  # distinct cell texts remembered per import: bounded memory on any file


class DuplicateCheck:
    """Remembers each (client, day, platform) key with the row that first named it."""

    def __init__(self):
        self.first_row: dict = {}

    def check(self, key, row_number: int, column: str) -> UsageError | None:
        first = self.first_row.setdefault(key, row_number)
        if first == row_number:
            return None
        return UsageError(row_number, column, f"与第 {first} 行重复（同一客户、日期、平台只能有一行）")


def iter_usage_csv(lines, *, today: date | None = None):  # noqa: C901  (to split: issue 12)
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

    header_errors: list[UsageError] = []
    columns: dict[int, str] = {}  # position -> canonical field
    labels: dict[str, str] = {}  # canonical field -> header as written
    for position, raw in enumerate(header):
        name = _normalise_header(raw)
        if not name or name in _IGNORED_HEADERS:
            continue
        field = _HEADER_TO_FIELD.get(name)
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
    if header_errors:
        yield from header_errors
        return

    width = len(header)
    cache: dict = {}  # shared by the rows: every parse here depends only on the cell text and ``today``
    index = 0
    try:
        for index, cells in enumerate(reader):
            row_number = index + 2
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                yield UsageError(row_number, "", "这一行的单元格比表头多，请检查是否有多余的逗号")
                continue
            record = {field: cells[pos] if pos < len(cells) else "" for pos, field in columns.items()}
            if len(cache) > CACHE_LIMIT:
                cache.clear()
            row_reader = _RowReader(row_number, record, labels, cache)
            row = _validate_row(row_reader, today)
            if row is None:
                yield from row_reader.errors
            else:
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
    return _validate(numbered, labels, today or timeutil.today())


# --- one validation for both ----------------------------------------------------------------


class _Bad(ValueError):
    pass


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise _Bad("格式不正确")
    if isinstance(value, HugeNumber):
        raise _Bad(MSG_TOO_LARGE)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise _Bad("格式不正确")


def _count(value) -> int:
    if isinstance(value, bool):
        raise _Bad(MSG_INTEGER)
    if isinstance(value, int):
        number = value
    else:
        text = _text(value).replace(",", "")
        if not re.fullmatch(r"\+?[0-9]+", text):
            raise _Bad(MSG_INTEGER)
        number = _int_text(text)
    if number < 0:
        raise _Bad(MSG_INTEGER)
    if number > MAX_COUNT:
        raise _Bad(MSG_TOO_LARGE)
    return number


def _day(value, today: date) -> date:
    match = re.fullmatch(r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?", _text(value))
    if not match:
        raise _Bad(MSG_DATE)
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _Bad(MSG_DATE) from None
    if day > today:
        raise _Bad(MSG_FUTURE)
    if day < EARLIEST_DAY:
        raise _Bad(MSG_TOO_EARLY)
    return day


def _platform(value) -> str:
    code = _PLATFORM_ALIASES.get(_text(value).lower())
    if code is None:
        raise _Bad(MSG_PLATFORM)
    return code


def _yuan(value) -> int:
    text = _text(value)
    if isinstance(value, float):
        raise _Bad("金额请写成文本或整数分，不接受浮点数")
    try:
        fen = parse_yuan(text)
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    if fen > MAX_FEN:
        raise _Bad(MSG_TOO_LARGE)
    return fen


def _fen(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, HugeNumber):
            raise _Bad(MSG_TOO_LARGE)
        if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
            value = _int_text(value.strip())
        else:
            raise _Bad(MSG_FEN)
    if value < 0:
        raise _Bad(MSG_FEN)
    if value > MAX_FEN:
        raise _Bad(MSG_TOO_LARGE)
    return value


def _ms(value) -> int:
    text = _text(value).lower().removesuffix("s").removesuffix("秒").strip()
    if len(text) > MAX_DIGITS:
        raise _Bad(MSG_SECONDS)
    try:
        seconds = Decimal(text)
    except InvalidOperation:
        raise _Bad(MSG_SECONDS) from None
    if not seconds.is_finite() or seconds < 0 or seconds > MAX_SECONDS:
        raise _Bad(MSG_SECONDS)
    # Measured times, not money: finer than a millisecond is rounded half-up.
    return int((seconds * 1000).to_integral_value(rounding=ROUND_HALF_UP))


def _rate(value) -> int:
    try:
        bp = parse_percent(_text(value))
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    if bp > 10_000:
        raise _Bad(MSG_RATE_RANGE)
    return bp


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _RowReader:
    """Reads one record's fields, collecting an error per bad cell instead of stopping at the first."""

    def __init__(self, row_number: int, record: dict, labels: dict[str, str], cache: dict | None = None):
        self.row_number = row_number
        self.record = record
        self.labels = labels
        self.errors: list[UsageError] = []
        # (field, source, text) -> (value, error message): an export repeats its dates, platforms,
        # clients and rates on every row, so each distinct cell text of a column is parsed once.
        self.cache = {} if cache is None else cache

    def label(self, field: str) -> str:
        return self.labels.get(field) or FIELDS[field][0]

    def error(self, field: str, message: str, source: str | None = None) -> None:
        self.errors.append(UsageError(self.row_number, source or self.label(field), message))

    def take(self, field: str, parse, *, required: bool = False, default=None, source: str | None = None):
        raw = self.record.get(source or field)
        key = (field, source, raw) if type(raw) is str else None
        hit = self.cache.get(key) if key is not None else None
        if hit is None:
            if _blank(raw):
                hit = _BLANK
            else:
                try:
                    hit = (parse(raw), None)
                except _Bad as exc:
                    hit = (None, str(exc))
            if key is not None:
                self.cache[key] = hit
        if hit is _BLANK:
            if required:
                self.error(field, MSG_REQUIRED, source)
            return default
        value, message = hit
        if message is not None:
            self.error(field, message, source)
        return value


_BLANK = (None, None)  # the cached outcome of an empty cell (compared by identity)


def _validate_row(reader: _RowReader, today: date) -> UsageRow | None:
    record = reader.record
    client_id = reader.take("client_id", _client_id)
    client_name = reader.take("client", lambda v: _text(v)[:100])
    if client_id is None and client_name is None and not reader.errors:
        reader.error("client_id" if "client_id" in reader.labels else "client", MSG_CLIENT)
    day = reader.take("date", lambda v: _day(v, today), required=True)
    platform = reader.take("platform", _platform, required=True)
    consults = reader.take("consults", _count, required=True)
    valid = reader.take("valid_consults", _count, required=True)
    if consults is not None and valid is not None and valid > consults:
        reader.error("valid_consults", MSG_VALID_GT)
    values = {}
    for fen_field, yuan_field in _FEN_FIELDS.items():
        if fen_field in record:
            values[fen_field] = reader.take(yuan_field, _fen, default=0, source=fen_field)
        else:
            values[fen_field] = reader.take(yuan_field, _yuan, default=0)
    for field, column in _SECONDS_FIELDS.items():
        values[column] = reader.take(field, _ms)
    for field, column in _RATE_FIELDS.items():
        values[column] = reader.take(field, _rate)
    if reader.errors:
        return None
    return UsageRow(
        row=reader.row_number,
        client_id=client_id,
        client_name=client_name,
        day=day,
        platform=platform,
        consults=consults,
        valid_consults=valid,
        **values,
    )


def _validate(
    numbered: list[tuple[int, dict]], labels: dict[str, str], today: date
) -> tuple[list[UsageRow], list[UsageError]]:
    rows: list[UsageRow] = []
    errors: list[UsageError] = []
    duplicates = DuplicateCheck()
    cache: dict = {}  # shared by the rows: every parse here depends only on the cell text and ``today``
    for row_number, record in numbered:
        reader = _RowReader(row_number, record, labels, cache)
        row = _validate_row(reader, today)
        if row is None:
            errors.extend(reader.errors)
            continue
        client_key = ("id", row.client_id) if row.client_id is not None else ("name", row.client_name)
        duplicate = duplicates.check((client_key, row.day, row.platform), row_number, reader.label("date"))
        if duplicate is not None:
            errors.append(duplicate)
            continue
        rows.append(row)
    return rows, errors


def _client_id(value) -> int:
    if isinstance(value, bool):
        raise _Bad(MSG_CLIENT_ID)
    if isinstance(value, int):
        number = value
    else:
        text = _text(value)
        if not re.fullmatch(r"[0-9]+", text):
            raise _Bad(MSG_CLIENT_ID)
        if len(text.lstrip("0")) > MAX_DIGITS:
            raise _Bad(MSG_CLIENT_ID)
        number = int(text)
    if not 0 < number <= MAX_COUNT:
        raise _Bad(MSG_CLIENT_ID)
    return number


# --- template and display -----------------------------------------------------------------


def template_csv() -> bytes:
    """The upload template: Chinese headers, UTF-8 with BOM so Excel opens it correctly."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(CSV_TEMPLATE_HEADERS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def format_seconds(ms: int | None) -> str:
    """Milliseconds as seconds with one decimal, rounded half-up: 12_345 -> "12.3"; None -> ""."""
    if ms is None:
        return ""
    return str((Decimal(ms) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class UsageSummary:
    """A period's totals; KPI figures are averages weighted by consults (days without a figure skipped)."""

    days: int
    consults: int
    valid_consults: int
    served_gmv_fen: int
    refunds_fen: int
    first_response_ms: int | None
    avg_response_ms: int | None
    reply_3min_bp: int | None
    inquiry_conversion_bp: int | None
    satisfaction_bp: int | None
    dispute_refund_bp: int | None


def _weighted(items, attr: str) -> int | None:
    total = weight = 0
    for item in items:
        value = getattr(item, attr)
        if value is not None and item.consults:
            total += value * item.consults
            weight += item.consults
    if not weight:
        return None
    return int((Decimal(total) / weight).to_integral_value(rounding=ROUND_HALF_UP))


def summarize(items) -> UsageSummary:
    """Totals of any objects with the UsageRow figure attributes (rows or stored records)."""
    items = list(items)
    return UsageSummary(
        days=len({item.day for item in items}),
        consults=sum(item.consults for item in items),
        valid_consults=sum(item.valid_consults for item in items),
        served_gmv_fen=sum(item.served_gmv_fen for item in items),
        refunds_fen=sum(item.refunds_fen for item in items),
        first_response_ms=_weighted(items, "first_response_ms"),
        avg_response_ms=_weighted(items, "avg_response_ms"),
        reply_3min_bp=_weighted(items, "reply_3min_bp"),
        inquiry_conversion_bp=_weighted(items, "inquiry_conversion_bp"),
        satisfaction_bp=_weighted(items, "satisfaction_bp"),
        dispute_refund_bp=_weighted(items, "dispute_refund_bp"),
    )


def daily_series(items, first: date, last: date) -> dict:
    """Consults and valid consults per day from ``first`` to ``last`` (inclusive), all platforms summed.

    Days without figures are 0, so a chart shows the gap instead of hiding it.
    """
    consults: dict[date, int] = {}
    valid: dict[date, int] = {}
    for item in items:
        consults[item.day] = consults.get(item.day, 0) + item.consults
        valid[item.day] = valid.get(item.day, 0) + item.valid_consults
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    return {
        "labels": [f"{d.month}/{d.day}" for d in days],
        "consults": [consults.get(d, 0) for d in days],
        "valid": [valid.get(d, 0) for d in days],
    }
