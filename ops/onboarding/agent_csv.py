"""Agents from a CSV file: the columns, reading the file, checking every row. Pure: no Flask, no database.

The columns are those of the agent form (姓名, 工号, 手机, 状态, 技能, 熟悉的平台, 备注), headed in
Chinese or English. ``parse_agent_csv`` reads the whole file and returns ``AgentCsvResult``: the rows
ready for ``create_agent`` and every problem found, as ``RowError`` (row number as a spreadsheet shows
it — the header is row 1 —, column as the file names it, Chinese message). The file is valid only as a
whole: a caller imports nothing when there is any error. Checks against the agents already stored
(employee numbers, phones) are the service's; ``phone_key`` says when two phones are the same.

A duplicate is a second agent with the same employee number (case ignored, like the agent form) or
the same phone number (digits only, a leading +86/86 ignored).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ops.i18n import LazyText, _l
from ops.onboarding.states import AGENT_STATUS_LABELS
from ops.usage.encoding import MSG_ENCODING, UsageDecodeError, open_csv_text
from ops.vocab import PLATFORMS

MAX_ROWS = 2000  # agents in one file
MAX_ERRORS = 1000  # problems listed (the count goes on)

# field -> (Chinese header, English header, other accepted headers)
COLUMNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "name": ("姓名", "name", ("名字", "客服姓名")),
    "employee_no": ("工号", "employee_no", ("员工编号", "employee number", "employee no")),
    "phone": ("手机", "phone", ("手机号", "手机号码", "电话", "mobile")),
    "status": ("状态", "status", ()),
    "skills": ("技能", "skills", ()),
    "platforms": ("熟悉的平台", "platforms", ("平台",)),
    "notes": ("备注", "notes", ()),
}
REQUIRED = ("name", "employee_no")
MAX_LENGTH = {"name": 50, "employee_no": 30, "phone": 30, "skills": 300, "notes": 2000}
TEMPLATE_HEADERS = tuple(chinese for chinese, _english, _others in COLUMNS.values())
TEMPLATE_EXAMPLE = ("张三", "KF1001", "13800138000", "招聘中", "售前、售后", "天猫、京东", "")
# For an English user: the English column names and codes, which the reader accepts as well.
TEMPLATE_EXAMPLE_EN = (
    "Zhang San",
    "KF1001",
    "13800138000",
    "recruiting",
    "presales, aftersales",
    "tmall, jd",
    "",
)
# States an imported agent may have: "已上线" needs a live assignment (set by going live).
IMPORT_STATES = ("recruiting", "training", "ready", "left")
SEPARATORS = re.compile(r"[,，、;；/|\s]+")
FORMULA_PREFIXES = ("=", "@", "\t", "\r")
PHONE_CHARS = re.compile(r"^\+?[\d\s\-()（）]+$")


def _normalise_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", (text or "").replace("\ufeff", "").strip().lower())


HEADER_TO_FIELD = {
    _normalise_header(name): key
    for key, (chinese, english, others) in COLUMNS.items()
    for name in (chinese, english, *others)
}
STATUS_BY_TEXT = {
    **{code: code for code in AGENT_STATUS_LABELS},
    **{label: code for code, label in AGENT_STATUS_LABELS.items()},
}
PLATFORM_BY_TEXT = {
    **{code: code for code in PLATFORMS},
    **{label: code for code, label in PLATFORMS.items()},
}


Text = str | LazyText  # a message or column name: lazy (``ops.i18n._l``) shows in the reader's language


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = the header; 0 = the file as a whole
    column: Text
    message: Text


@dataclass(frozen=True)
class AgentRow:
    row: int
    name: str
    employee_no: str
    phone: str
    status: str
    skills: list[str]
    platforms: list[str]
    notes: str

    def data(self) -> dict[str, object]:
        """The dict ``create_agent`` takes."""
        return {
            "name": self.name,
            "employee_no": self.employee_no,
            "phone": self.phone,
            "status": self.status,
            "skills": list(self.skills),
            "platforms": list(self.platforms),
            "notes": self.notes,
        }


@dataclass
class AgentCsvResult:
    rows: list[AgentRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def add(self, row: int, column: Text, message: Text) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, message))

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def phone_key(phone: str) -> str:
    """The digits that make two phone numbers the same: +86 138-0013-8000 and 13800138000 match."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def template_headers(english: bool = False) -> tuple[str, ...]:
    """The template's column names: Chinese, or the English field names (both are read)."""
    return (
        tuple(english_name for _chinese, english_name, _others in COLUMNS.values())
        if english
        else TEMPLATE_HEADERS
    )


def template_example(english: bool = False) -> tuple[str, ...]:
    return TEMPLATE_EXAMPLE_EN if english else TEMPLATE_EXAMPLE


def template_csv(english: bool = False) -> bytes:
    """The template: headers and an example row (Chinese, or English for an English user), UTF-8 with
    BOM so Excel opens it correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(template_headers(english))
    writer.writerow(template_example(english))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def parse_agent_csv_bytes(data: bytes) -> AgentCsvResult:
    """``parse_agent_csv`` of the bytes of a file (tests, small files)."""
    return parse_agent_csv(io.BytesIO(data))


def parse_agent_csv(binary: io.IOBase) -> AgentCsvResult:
    """Read a seekable binary CSV file (UTF-8 with or without BOM, or GB18030) and check every row.

    Blank lines are skipped (their numbers still count); reading stops past ``MAX_ROWS`` agents."""
    result = AgentCsvResult()
    records = _read(binary, result)
    if records is None:
        return result
    if not records:
        result.add(0, "", _l("文件是空的"))
        return result
    header_row, header = records[0]
    fields = _read_header(header, header_row, result)
    if fields is None:
        return result
    data = records[1:]
    if not data:
        result.add(0, "", _l("文件中只有表头，没有客服数据"))
        return result
    if len(data) > MAX_ROWS:
        result.add(0, "", _l("一次最多导入 %(max)s 名客服，这个文件超过了：请分批导入", max=MAX_ROWS))
        return result
    for number, cells in data:
        row = _check_row(number, cells, fields, header, result)
        if row is not None:
            result.rows.append(row)
    _check_duplicates(result.rows, header, fields, result)
    return result


def _read(binary: io.IOBase, result: AgentCsvResult) -> list[tuple[int, list[str]]] | None:
    """The header and the non-blank records after it, at most ``MAX_ROWS`` + 1 of them; None (with the
    error added) when the file cannot be read."""
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in _records(open_csv_text(binary)):
            if any(c.strip() for c in cells):
                records.append((number, cells))
                if len(records) > MAX_ROWS + 1:
                    break
    except UsageDecodeError as exc:
        result.add(0, "", str(exc))
        return None
    except UnicodeDecodeError:
        result.add(0, "", MSG_ENCODING)
        return None
    except csv.Error as exc:
        result.add(0, "", _l("无法读取 CSV：%(error)s", error=str(exc)))
        return None
    return records


def _records(text: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of each record; a blank line still counts a row, a quoted cell
    over several lines is one row (as a spreadsheet shows it)."""
    yield from enumerate(csv.reader(text), start=1)


def _read_header(header: list[str], row: int, result: AgentCsvResult) -> dict[str, int] | None:
    """{field: column index}; None (with the errors added) when the header is unusable."""
    fields: dict[str, int] = {}
    for index, name in enumerate(header):
        key = HEADER_TO_FIELD.get(_normalise_header(name))
        if key is None:
            if name.strip():
                result.ignored_columns.append(name.strip())
            continue
        if key in fields:
            result.add(row, name.strip(), _l("表头中“%(column)s”列出现了两次", column=_l(COLUMNS[key][0])))
            continue
        fields[key] = index
    for key in REQUIRED:
        if key not in fields:
            chinese, english, _others = COLUMNS[key]
            result.add(
                row,
                _l(chinese),
                _l(
                    "缺少“%(column)s”列（表头须有“%(chinese)s”或“%(english)s”）",
                    column=_l(chinese),
                    chinese=chinese,
                    english=english,
                ),
            )
    return None if result.error_count else fields


def _column(key: str, fields: dict[str, int], header: list[str]) -> Text:
    """The column as the file names it (the form's label when the file has no such column)."""
    return header[fields[key]].strip() if key in fields else _l(COLUMNS[key][0])


def _check_row(
    number: int, cells: list[str], fields: dict[str, int], header: list[str], result: AgentCsvResult
) -> AgentRow | None:
    before = result.error_count
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
        result.add(number, "", _l("这一行的列数比表头多：含逗号的内容请用英文双引号括起来"))
    values = {key: (cells[i] if i < len(cells) else "").strip() for key, i in fields.items()}
    for key in COLUMNS:
        values.setdefault(key, "")
    for key in REQUIRED:
        if not values[key]:
            column = _column(key, fields, header)
            result.add(number, column, _l("请填写“%(column)s”", column=column))
    for key, limit in MAX_LENGTH.items():
        if len(values[key]) > limit:
            column = _column(key, fields, header)
            result.add(number, column, _l("“%(column)s”最多 %(n)s 个字", column=column, n=limit))
    for key in ("name", "employee_no", "skills", "notes"):
        if values[key].startswith(FORMULA_PREFIXES):
            result.add(
                number,
                _column(key, fields, header),
                _l("不能以“=”或“@”开头（疑似表格公式），请删去开头的符号"),
            )
    _check_phone(values["phone"], number, _column("phone", fields, header), result)
    status = _status(values["status"], number, _column("status", fields, header), result)
    platforms = _platforms(values["platforms"], number, _column("platforms", fields, header), result)
    if result.error_count > before:
        return None
    return AgentRow(
        row=number,
        name=values["name"],
        employee_no=values["employee_no"],
        phone=values["phone"],
        status=status,
        skills=list(dict.fromkeys(s for s in SEPARATORS.split(values["skills"]) if s)),
        platforms=platforms,
        notes=values["notes"],
    )


def _status(text: str, number: int, column: Text, result: AgentCsvResult) -> str:
    if not text:
        return "recruiting"
    code = STATUS_BY_TEXT.get(text.lower() if text.isascii() else text)
    if code is None:
        names = "、".join(AGENT_STATUS_LABELS[c] for c in IMPORT_STATES)
        codes = "、".join(IMPORT_STATES)
        result.add(
            number,
            column,
            _l(
                "未知的状态“%(text)s”，可填：%(names)s（或 %(codes)s；留空为招聘中）",
                text=text,
                names=names,
                codes=codes,
            ),
        )
        return ""
    if code not in IMPORT_STATES:
        result.add(number, column, _l("导入的客服不能是“已上线”：请导入后在分配页面办理上线"))
        return ""
    return code


def _platforms(text: str, number: int, column: Text, result: AgentCsvResult) -> list[str]:
    codes: list[str] = []
    for part in SEPARATORS.split(text):
        if not part:
            continue
        code = PLATFORM_BY_TEXT.get(part.lower() if part.isascii() else part)
        if code is None:
            names = "、".join(PLATFORMS.values())
            known = "、".join(PLATFORMS)
            result.add(
                number,
                column,
                _l(
                    "未知的平台“%(text)s”，可填：%(names)s（或 %(codes)s），多个用顿号或逗号分隔",
                    text=part,
                    names=names,
                    codes=known,
                ),
            )
            continue
        if code not in codes:
            codes.append(code)
    return codes


def _check_phone(phone: str, number: int, column: Text, result: AgentCsvResult) -> None:
    if not phone:
        return
    digits = phone_key(phone)
    if not PHONE_CHARS.match(phone) or not 7 <= len(digits) <= 15:
        result.add(
            number,
            column,
            _l("手机号“%(phone)s”格式不对：只能含数字、空格、“-”和开头的“+”，7 到 15 位数字", phone=phone),
        )
    elif len(digits) == 11 and not digits.startswith("1"):
        result.add(number, column, _l("手机号“%(phone)s”格式不对：11 位手机号以 1 开头", phone=phone))


def _check_duplicates(
    rows: list[AgentRow], header: list[str], fields: dict[str, int], result: AgentCsvResult
) -> None:
    """A second row with the same employee number or phone as an earlier row is an error."""
    seen_no: dict[str, int] = {}
    seen_phone: dict[str, int] = {}
    bad: set[int] = set()
    for row in rows:
        key = row.employee_no.lower()
        if key in seen_no:
            result.add(
                row.row,
                _column("employee_no", fields, header),
                _l("工号 %(no)s 与第 %(row)s 行重复", no=row.employee_no, row=seen_no[key]),
            )
            bad.add(row.row)
        else:
            seen_no[key] = row.row
        phone = phone_key(row.phone)
        if not phone:
            continue
        if phone in seen_phone:
            result.add(
                row.row,
                _column("phone", fields, header),
                _l("手机号 %(phone)s 与第 %(row)s 行重复", phone=row.phone, row=seen_phone[phone]),
            )
            bad.add(row.row)
        else:
            seen_phone[phone] = row.row
    if bad:
        rows[:] = [r for r in rows if r.row not in bad]
    result.errors.sort(key=lambda e: e.row)
