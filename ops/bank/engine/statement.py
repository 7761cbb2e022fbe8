"""Reading a bank's CSV export: the bytes as text, the bank's column mapping, the transactions.

Pure: plain values in, plain values out (no Flask, no database). A bank format (``Layout``) names
the header cells of the columns finance maps; lines before the header (account, period, printed
on …) are the bank's preamble and are skipped, and so are lines after the transactions that are
neither a date nor an amount (合计, 导出时间 …).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from ops.errors import ServiceError
from ops.i18n import _l
from ops.money import parse_yuan

# The date formats a bank export uses (strptime patterns), as finance chooses them.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y年%m月%d日")
HEADER_SEARCH_LINES = 30  # the header is one of the file's first lines
MAX_ERRORS = 20  # errors reported per file
MAX_KEY_SERIAL = 60  # a serial this long or shorter is the key as it is (bank_transactions.dedupe_key: 120)


class StatementError(ServiceError):
    """A file or a mapping that cannot be read; the message (Chinese) says what to do."""


def decode_statement(data: bytes) -> tuple[str, str]:
    """The text of an export and its encoding: UTF-8 (with or without BOM), else GB18030.

    Raises StatementError for an empty file, binary data, or bytes neither encoding reads."""
    if not data or not data.strip():
        raise StatementError(_l("文件是空的。"))
    if b"\x00" in data:
        raise StatementError(
            _l("这不是 CSV 文本文件：请在网银中导出 CSV，或在 Excel 中“另存为 CSV”后再上传。")
        )
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise StatementError(
            _l("无法识别的文件编码：请上传 UTF-8 或 GB18030（GBK）编码的 CSV 文件。")
        ) from None


@dataclass(frozen=True)
class Layout:
    """A bank's column mapping: the header text of each column (as printed in the export).

    Either ``amount_column`` (signed: negative is money going out) or ``credit_column`` (收入/贷方,
    with an optional ``debit_column`` 支出/借方). ``serial_column`` (流水号) is optional."""

    date_column: str
    date_format: str
    payer_name_column: str
    payer_account_column: str
    reference_column: str
    amount_column: str = ""
    credit_column: str = ""
    debit_column: str = ""
    serial_column: str = ""

    def columns(self) -> dict[str, str]:
        """Every mapped column, field name → header text (blank ones left out)."""
        names = (
            "date_column",
            "amount_column",
            "credit_column",
            "debit_column",
            "payer_name_column",
            "payer_account_column",
            "reference_column",
            "serial_column",
        )
        return {n: getattr(self, n).strip() for n in names if getattr(self, n).strip()}


def layout_problems(layout: Layout) -> list[tuple[str, object]]:
    """What is wrong with a mapping, as (field, message) pairs; empty when it can be used."""
    problems: list[tuple[str, object]] = []
    for name in ("date_column", "payer_name_column", "payer_account_column", "reference_column"):
        if not getattr(layout, name).strip():
            problems.append((name, _l("请填写该列在表头中的名称。")))
    if layout.date_format not in DATE_FORMATS:
        problems.append(("date_format", _l("请选择日期格式。")))
    amount, credit, debit = (
        layout.amount_column.strip(),
        layout.credit_column.strip(),
        layout.debit_column.strip(),
    )
    if amount and (credit or debit):
        problems.append(("amount_column", _l("金额列与收入/支出列只能二选一。")))
    elif not amount and not credit:
        problems.append(("amount_column", _l("请填写金额列，或收入（贷方）列。")))
    seen: dict[str, str] = {}
    for name, header in layout.columns().items():
        if header in seen:
            problems.append((name, _l("“%(header)s”已用于另一列。", header=header)))
        seen[header] = name
    return problems


@dataclass(frozen=True)
class BankRow:
    """One incoming transfer of an export (``line``: its line number in the file, from 1)."""

    line: int
    booked_on: date
    amount_fen: int  # > 0: money received
    payer_name: str
    payer_account: str
    reference: str
    serial: str
    key: str  # unique per transaction (see ``transaction_key``)


@dataclass
class ParsedStatement:
    rows: list[BankRow]  # incoming transfers, in file order
    outgoing: int = 0  # rows of money going out (not payments; ignored, counted)
    skipped: int = 0  # lines after the header that are no transaction (合计, blank …)
    header_line: int = 0


def _cells(text: str) -> list[list[str]]:
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]


def find_header(lines: list[list[str]], layout: Layout) -> int:
    """Index of the header line: the first of the first lines that has every mapped column."""
    wanted = set(layout.columns().values())
    for index, cells in enumerate(lines[:HEADER_SEARCH_LINES]):
        if wanted <= set(cells):
            return index
    raise StatementError(
        _l(
            "文件前 %(n)s 行中找不到表头（需要同时包含：%(columns)s）：请检查所选的银行格式。",
            n=HEADER_SEARCH_LINES,
            columns="、".join(sorted(wanted)),
        )
    )


def _parse_date(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        return None


def _parse_amount(text: str) -> int | None:
    """Fen of a signed amount cell ("1,234.50", "-800.00", "+12.00", "￥30"), None when blank or not one."""
    text = text.strip().lstrip("+")
    if not text:
        return None
    try:
        return parse_yuan(text, allow_negative=True)
    except ValueError:
        return None


def transaction_key(
    booked_on: date, amount_fen: int, account: str, reference: str, serial: str, occurrence: int
) -> str:
    """The transaction's identity, the same in every export that contains it: the bank's serial
    (流水号) with date and amount when there is one, else a hash of date, amount, payer account,
    reference and the row's occurrence among identical rows of the file (two identical transfers on
    one day stay two)."""
    if serial and len(serial) <= MAX_KEY_SERIAL:
        return f"sn:{serial}:{booked_on.isoformat()}:{amount_fen}"
    if serial:  # an unusually long serial: hashed, so the key fits its column
        text = "\x1f".join(("sn", serial, booked_on.isoformat(), str(amount_fen)))
        return "sn#" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]
    text = "\x1f".join((booked_on.isoformat(), str(amount_fen), account, reference, str(occurrence)))
    return "h:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def parse_statement(text: str, layout: Layout) -> ParsedStatement:
    """The incoming transfers of an export read with ``layout``.

    Raises StatementError listing the lines (up to ``MAX_ERRORS``) whose date or amount cannot be
    read; nothing of such a file is imported."""
    lines = _cells(text)
    header_index = find_header(lines, layout)
    header = lines[header_index]
    col = {name: header.index(h) for name, h in layout.columns().items()}

    def cell(cells: list[str], name: str) -> str:
        i = col.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    parsed = ParsedStatement(rows=[], header_line=header_index + 1)
    errors: list[str] = []
    occurrences: dict[tuple[date, int, str, str], int] = {}
    for offset, cells in enumerate(lines[header_index + 1 :]):
        line = header_index + 2 + offset
        if not any(cells):
            continue
        booked_on = _parse_date(cell(cells, "date_column"), layout.date_format)
        if layout.amount_column.strip():
            amount = _parse_amount(cell(cells, "amount_column"))
            values = [amount]
        else:
            credit = _parse_amount(cell(cells, "credit_column"))
            debit = _parse_amount(cell(cells, "debit_column")) if layout.debit_column.strip() else None
            values = [credit, debit]
            amount = credit if credit else (-abs(debit) if debit else credit)
        has_amount = any(v is not None for v in values)
        if booked_on is None and not has_amount:
            parsed.skipped += 1  # 合计, 导出时间, a note: no transaction
            continue
        if booked_on is None:
            errors.append(
                str(
                    _l(
                        "第 %(line)s 行：日期“%(text)s”不是所选格式。",
                        line=line,
                        text=cell(cells, "date_column"),
                    )
                )
            )
            continue
        if amount is None:
            errors.append(str(_l("第 %(line)s 行：金额无法识别。", line=line)))
            continue
        if amount <= 0:
            parsed.outgoing += 1
            continue
        account = cell(cells, "payer_account_column").replace(" ", "")
        reference = cell(cells, "reference_column")
        serial = cell(cells, "serial_column")
        same = (booked_on, amount, account, reference)
        occurrences[same] = occurrences.get(same, 0) + 1
        parsed.rows.append(
            BankRow(
                line=line,
                booked_on=booked_on,
                amount_fen=amount,
                payer_name=cell(cells, "payer_name_column"),
                payer_account=account,
                reference=reference,
                serial=serial,
                key=transaction_key(booked_on, amount, account, reference, serial, occurrences[same]),
            )
        )
    if errors:
        more = len(errors) - MAX_ERRORS
        text = "；".join(errors[:MAX_ERRORS]) + (str(_l("……另有 %(n)s 行", n=more)) if more > 0 else "")
        raise StatementError(_l("文件未导入：%(errors)s", errors=text))
    return parsed


def preview_lines(text: str, limit: int = 15) -> list[list[str]]:
    """The first ``limit`` non-blank lines of an export as cells (to see the preamble and the header)."""
    return [cells for cells in _cells(text) if any(cells)][:limit]
