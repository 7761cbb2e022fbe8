"""数电票 readiness: the item codes per line kind, the batch export, and the fapiao numbers recorded
back (by hand or imported), each under the invoice's row lock and audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ops.audit.services import record
from ops.billing.models import Invoice
from ops.billing.services.base import lock_invoice
from ops.errors import ServiceError
from ops.extensions import db
from ops.fapiao import export
from ops.fapiao.models import FapiaoItemCode
from ops.fapiao.rules import (
    FAPIAO_STATUS_LABELS,
    ITEM_KINDS,
    MAX_ITEM_NAME,
    SAMPLE_ITEM_CODES,
    FapiaoRuleError,
    ItemCode,
    clean_fapiao_number,
    clean_tax_code,
    status_code,
)
from ops.i18n import _l
from ops.transactions import take_write_lock
from ops.usage.encoding import decode_csv


class FapiaoError(ServiceError):
    """A refused fapiao action; the message is for the user."""


# --- item codes per line kind ----------------------------------------------------------------


def item_codes() -> dict[str, ItemCode]:
    """项目名称, 税收分类编码 and 单位 of every line kind: the vendor's, else the sample (``sample``)."""
    codes = dict(SAMPLE_ITEM_CODES)
    for row in db.session.scalars(sa.select(FapiaoItemCode)):
        codes[row.kind] = ItemCode(row.item_name, row.tax_code, row.unit)
    return codes


def save_item_code(kind: str, item_name: str, tax_code: str, unit: str, *, by=None) -> bool:
    """Configure what ``kind`` is called on the fapiao (audited). False when nothing changed."""
    if kind not in ITEM_KINDS:
        raise FapiaoError(_l("未知的明细类型。"))
    name = (item_name or "").strip()
    if not name or len(name) > MAX_ITEM_NAME:
        raise FapiaoError(_l("请填写项目名称（最多 %(n)s 个字）。", n=MAX_ITEM_NAME), field="item_name")
    try:
        code = clean_tax_code(tax_code)
    except FapiaoRuleError as exc:
        raise FapiaoError(exc.message, field="tax_code") from exc
    unit = (unit or "").strip()
    take_write_lock()  # SQLite: the write lock; PostgreSQL: the row lock below (the primary key backs it)
    row = db.session.get(FapiaoItemCode, kind, with_for_update=True, populate_existing=True)
    before = {"item_name": row.item_name, "tax_code": row.tax_code, "unit": row.unit} if row else None
    after = {"item_name": name, "tax_code": code, "unit": unit}
    if before == after:
        return False
    if row is None:
        row = FapiaoItemCode(kind=kind)
        db.session.add(row)
    row.item_name, row.tax_code, row.unit = name, code, unit
    row.updated_by_id = getattr(by, "id", None)
    db.session.flush()
    record(
        "fapiao.item_code_saved",
        object_type="fapiao_item_codes",
        object_id=ITEM_KINDS.index(kind) + 1,
        summary=_l("开票项目 %(kind)s：%(name)s %(code)s", kind=kind, name=name, code=code),
        before=before,
        after=after,
        actor=by,
    )
    return True


# --- the export ------------------------------------------------------------------------------


def exportable_invoices(period: str | None = None, ids: Sequence[int] | None = None) -> list[Invoice]:
    """Issued (or paid) invoices of ``period`` or with these ``ids``, lines and client loaded."""
    stmt = (
        sa.select(Invoice)
        .where(Invoice.status.in_(export.EXPORTABLE_STATES))
        .options(selectinload(Invoice.lines), joinedload(Invoice.client), joinedload(Invoice.contract))
        .order_by(Invoice.number)
    )
    if period:
        stmt = stmt.where(Invoice.period == period)
    if ids is not None:
        stmt = stmt.where(Invoice.id.in_(list(ids)))
    return list(db.session.scalars(stmt).unique())


@dataclass(frozen=True)
class ExportResult:
    records: list[dict]
    problems: list[tuple[str, list[str]]]  # (invoice number, what is missing)


def build_export(invoices: Sequence[Invoice]) -> ExportResult:
    """The records of ``invoices``; ``problems`` lists every invoice that cannot be exported (then
    nothing is: the file is made only when all are ready)."""
    codes = item_codes()
    records = [export.fapiao_record(invoice, codes) for invoice in invoices]
    problems = [
        (r["invoice_number"] or str(r["invoice_id"]), r["problems"]) for r in records if r["problems"]
    ]
    return ExportResult(records, problems)


def export_workbook(invoices: Sequence[Invoice], *, by=None, label: str = "") -> bytes:
    """The batch file of ``invoices``; raises FapiaoError (listing the invoices at fault) unless every
    one can be exported. Audited (who exported which invoices)."""
    if not invoices:
        raise FapiaoError(_l("没有可导出的已开具账单。"))
    result = build_export(invoices)
    if result.problems:
        raise FapiaoError(
            _l(
                "以下账单的开票信息不完整，未导出：%(list)s",
                list="；".join(f"{number}：{'，'.join(items)}" for number, items in result.problems),
            )
        )
    data = export.workbook_bytes(result.records)
    record(
        "fapiao.exported",
        object_type="invoices",
        summary=_l("导出数电票开票文件 %(label)s（%(n)s 张）", label=label, n=len(invoices)),
        after={"invoices": [r["invoice_number"] for r in result.records]},
        actor=by,
    )
    return data


# --- fapiao numbers recorded back ------------------------------------------------------------


def _check_recordable(invoice: Invoice) -> None:
    if invoice.status == "draft" or not invoice.number:
        raise FapiaoError(_l("账单 %(n)s 尚未开具，不能登记发票。", n=invoice.number or invoice.id))


def _number_taken(number: str, invoice_id: int) -> str | None:
    """The invoice number already holding ``number`` (another invoice), or None."""
    return db.session.scalar(
        sa.select(Invoice.number).where(Invoice.fapiao_number == number, Invoice.id != invoice_id)
    )


def _apply(invoice: Invoice, number: str, on: date, status: str, by, source: str) -> bool:
    """Set the fapiao of a LOCKED invoice; False when it already says exactly this."""
    before = {
        "fapiao_number": invoice.fapiao_number,
        "fapiao_date": invoice.fapiao_date.isoformat() if invoice.fapiao_date else None,
        "fapiao_status": invoice.fapiao_status,
    }
    after = {"fapiao_number": number, "fapiao_date": on.isoformat(), "fapiao_status": status}
    if before == after:
        return False
    invoice.fapiao_number, invoice.fapiao_date, invoice.fapiao_status = number, on, status
    try:
        db.session.flush()
    except IntegrityError as exc:
        # Two invoices given the same number at once: each passed the check under its own lock;
        # the unique index lets one through.
        raise FapiaoError(_l("发票号码 %(n)s 已登记在另一张账单上。", n=number), field="number") from exc
    record(
        "invoice.fapiao_recorded",
        invoice,
        summary=_l(
            "发票 %(number)s（%(status)s，%(source)s）",
            number=number,
            status=FAPIAO_STATUS_LABELS[status],
            source=source,
        ),
        before=before,
        after=after,
        actor=by,
    )
    return True


def record_fapiao(invoice: Invoice, number: str, on: date | None, status: str, *, by=None) -> bool:
    """Record the fapiao the tax platform issued for ``invoice`` (number: 20 digits; date; status),
    under the invoice's row lock; audited. False when it already says exactly this."""
    try:
        number = clean_fapiao_number(number)
    except FapiaoRuleError as exc:
        raise FapiaoError(exc.message, field="number") from exc
    if on is None:
        raise FapiaoError(_l("请填写开票日期。"), field="issued_on")
    try:
        status = status_code(status)
    except FapiaoRuleError as exc:
        raise FapiaoError(exc.message, field="status") from exc
    invoice = lock_invoice(invoice.id)
    _check_recordable(invoice)
    if on < invoice.issued_on:
        raise FapiaoError(_l("开票日期不能早于账单开具日期。"), field="issued_on")
    other = _number_taken(number, invoice.id)
    if other:
        raise FapiaoError(
            _l("发票号码 %(n)s 已登记在账单 %(other)s 上。", n=number, other=other), field="number"
        )
    return _apply(invoice, number, on, status, by, "手工登记")


# --- the import ------------------------------------------------------------------------------

IMPORT_COLUMNS = {
    "invoice": ("账单编号", "结算单编号", "发票流水号"),
    "number": ("发票号码", "数电票号码"),
    "date": ("开票日期",),
    "status": ("发票状态", "状态"),
}
MAX_IMPORT_ROWS = 5000


@dataclass(frozen=True)
class ImportRow:
    line: int  # the row in the file (1 = the header)
    invoice_number: str
    number: str
    on: date
    status: str


@dataclass(frozen=True)
class ImportResult:
    changed: int
    unchanged: int


class FapiaoImportError(FapiaoError):
    """The file was refused: ``errors`` lists every row at fault (nothing was recorded)."""

    def __init__(self, errors: list[str]):
        super().__init__(_l("文件未导入，共 %(n)s 处错误。", n=len(errors)))
        self.errors = errors


def _table(data: bytes, filename: str) -> list[list[str]]:
    """The file's cells as text: an Excel workbook (first sheet) or a CSV (UTF-8 or GB18030)."""
    if filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise FapiaoError(_l("无法读取 Excel 文件，请上传 .xlsx 或 .csv 文件。")) from exc
        sheet = book.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    try:
        text = decode_csv(data)
    except ServiceError as exc:
        raise FapiaoError(exc.message) from exc
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, names in IMPORT_COLUMNS.items():
        for i, title in enumerate(header):
            if title.strip().rstrip("*") in names:
                found[key] = i
                break
    missing = [IMPORT_COLUMNS[k][0] for k in IMPORT_COLUMNS if k not in found and k != "status"]
    if missing:
        raise FapiaoImportError([str(_l("缺少列：%(cols)s", cols="、".join(missing)))])
    return found


def _parse_date(text: str) -> date:
    value = text.strip().replace("/", "-").replace(".", "-")
    if len(value) == 8 and value.isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return date.fromisoformat(value)


def parse_import(data: bytes, filename: str) -> list[ImportRow]:
    """Every row of the file checked on its own (format); raises FapiaoImportError listing every
    bad row."""
    table = [row for row in _table(data, filename) if any(cell for cell in row)]
    if not table:
        raise FapiaoError(_l("文件是空的。"))
    cols = _columns(table[0])
    if len(table) - 1 > MAX_IMPORT_ROWS:
        raise FapiaoError(_l("一次最多导入 %(n)s 行。", n=MAX_IMPORT_ROWS))
    rows, errors = [], []
    for line, cells in enumerate(table[1:], start=2):

        def cell(key: str, cells: list[str] = cells) -> str:
            i = cols.get(key, len(cells))  # the status column may be left out (已开具)
            return cells[i].strip() if i < len(cells) else ""

        problems = []
        invoice_number = cell("invoice")
        if not invoice_number:
            problems.append(str(_l("缺少账单编号")))
        number = ""
        try:
            number = clean_fapiao_number(cell("number"))
        except FapiaoRuleError as exc:
            problems.append(str(exc))
        on = None
        try:
            on = _parse_date(cell("date"))
        except ValueError:
            problems.append(
                str(_l("开票日期“%(value)s”无法识别（应为 2026-12-01）", value=cell("date") or "—"))
            )
        status = ""
        try:
            status = status_code(cell("status") or "已开具")
        except FapiaoRuleError as exc:
            problems.append(str(exc))
        if problems or on is None:
            errors.append(str(_l("第 %(line)s 行：%(problems)s", line=line, problems="；".join(problems))))
            continue
        rows.append(ImportRow(line, invoice_number, number, on, status))
    if errors:
        raise FapiaoImportError(errors)
    return rows


def _cross_check(rows: list[ImportRow], invoices: dict[str, Invoice]) -> list[str]:
    errors = []
    seen_invoice: dict[str, int] = {}
    seen_number: dict[str, int] = {}
    for row in rows:
        invoice = invoices.get(row.invoice_number)
        problems = []
        if invoice is None:
            problems.append(str(_l("账单 %(n)s 不存在", n=row.invoice_number)))
        elif invoice.status == "draft":
            problems.append(str(_l("账单 %(n)s 尚未开具", n=row.invoice_number)))
        elif invoice.issued_on and row.on < invoice.issued_on:
            problems.append(str(_l("开票日期早于账单开具日期")))
        if row.invoice_number in seen_invoice:
            problems.append(
                str(
                    _l(
                        "账单 %(n)s 与第 %(line)s 行重复",
                        n=row.invoice_number,
                        line=seen_invoice[row.invoice_number],
                    )
                )
            )
        if row.number in seen_number:
            problems.append(str(_l("发票号码与第 %(line)s 行重复", line=seen_number[row.number])))
        seen_invoice.setdefault(row.invoice_number, row.line)
        seen_number.setdefault(row.number, row.line)
        if invoice is not None and (other := _number_taken(row.number, invoice.id)):
            problems.append(str(_l("发票号码已登记在账单 %(other)s 上", other=other)))
        if problems:
            errors.append(
                str(_l("第 %(line)s 行：%(problems)s", line=row.line, problems="；".join(problems)))
            )
    return errors


def import_fapiao_numbers(data: bytes, filename: str, *, by=None) -> ImportResult:
    """Record the fapiao numbers of a file (账单编号, 发票号码, 开票日期, 发票状态): all rows or none.

    Every row is checked first (format, then against the invoices under their row locks, taken in id
    order); one bad row refuses the whole file with every error listed. A row that says what the
    invoice already records changes nothing, so importing the same file again changes nothing.
    """
    rows = parse_import(data, filename)
    ids = db.session.execute(
        sa.select(Invoice.id, Invoice.number).where(Invoice.number.in_({r.invoice_number for r in rows}))
    ).all()
    invoices = {number: lock_invoice(invoice_id) for invoice_id, number in sorted(ids)}
    errors = _cross_check(rows, invoices)
    if errors:
        raise FapiaoImportError(errors)
    changed = sum(
        _apply(invoices[row.invoice_number], row.number, row.on, row.status, by, "文件导入") for row in rows
    )
    db.session.flush()
    return ImportResult(changed=changed, unchanged=len(rows) - changed)
