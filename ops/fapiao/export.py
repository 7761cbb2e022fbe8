"""What the vendor's e-invoicing software imports for an issued invoice (数电票 batch file), as a
JSON-ready record (``fapiao_record``) and as an Excel workbook of many (``workbook_bytes``).

The workbook has the two sheets of the tax platform's batch template: 发票基本信息 (one row per
invoice) and 发票明细信息 (one row per fapiao line), joined by 发票流水号 (our invoice number).
Every cell is text, so a 19-digit 税收分类编码 or a 20-digit number survives Excel. docs/fapiao.md
lists the columns.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook

from ops.billing.models import Invoice
from ops.fapiao.rules import (
    FAPIAO_STATUS_LABELS,
    FAPIAO_TYPE_EXPORT,
    LINE_NATURE_LABELS,
    FapiaoRuleError,
    ItemCode,
    SourceLine,
    fapiao_lines,
    rate_text,
    yuan_text,
)
from ops.i18n import LazyText, _l
from ops.money import format_fen

EXPORTABLE_STATES = ("issued", "paid")

# (record key, column title); a title ending in * is required by the platform.
HEADER_COLUMNS = (
    ("serial", "发票流水号*"),
    ("fapiao_type_label", "发票类型*"),
    ("tax_included", "是否含税*"),
    ("buyer_name", "购买方名称*"),
    ("buyer_tax_id", "购买方纳税人识别号*"),
    ("buyer_address", "购买方地址"),
    ("buyer_phone", "购买方电话"),
    ("buyer_bank_name", "购买方开户银行"),
    ("buyer_bank_account", "购买方银行账号"),
    ("remarks", "备注"),
    ("amount", "金额合计"),
    ("tax", "税额合计"),
    ("total", "价税合计"),
)
LINE_COLUMNS = (
    ("serial", "发票流水号*"),
    ("seq", "序号*"),
    ("nature_label", "发票行性质*"),
    ("item_name", "项目名称*"),
    ("tax_code", "商品和服务税收分类编码*"),
    ("spec", "规格型号"),
    ("unit", "单位"),
    ("quantity", "数量"),
    ("unit_price", "单价（不含税）"),
    ("amount", "金额（不含税）*"),
    ("tax_rate", "税率*"),
    ("tax", "税额*"),
)
HEADER_SHEET = "1-发票基本信息"
LINE_SHEET = "2-发票明细信息"


def buyer_problems(invoice: Invoice) -> list[LazyText]:
    """What the client record lacks for its 发票类型: a company buyer always needs its name and
    纳税人识别号; a 专票 also its address, phone, bank and account."""
    client = invoice.client
    problems = []
    if not (client.legal_name or "").strip():
        problems.append(_l("客户缺少公司全称（购买方名称）"))
    if not client.tax_id:
        problems.append(_l("客户缺少统一社会信用代码（纳税人识别号）"))
    if client.fapiao_type == "special":
        missing = [
            label
            for label, value in (
                (_l("地址"), client.address),
                (_l("电话"), client.phone),
                (_l("开户行"), client.bank_name),
                (_l("银行账号"), client.bank_account),
            )
            if not (value or "").strip()
        ]
        if missing:
            problems.append(_l("专票缺少购买方%(fields)s", fields="、".join(str(m) for m in missing)))
    if (
        invoice.contract is not None
        and invoice.contract.invoice_type == "special"
        and client.fapiao_type != "special"
    ):
        problems.append(_l("合同约定开具专票，但客户的发票类型是普票"))
    return problems


def invoice_problems(invoice: Invoice) -> list[LazyText]:
    """Why the invoice cannot be exported (empty: it can)."""
    if invoice.status not in EXPORTABLE_STATES or not invoice.number:
        return [_l("只能导出已开具的账单")]
    problems = buyer_problems(invoice)
    if invoice.fapiao_number:
        problems.append(_l("已登记发票号码 %(number)s，不能重复开票", number=invoice.fapiao_number))
    return problems


def _remarks(invoice: Invoice) -> str:
    text = f"服务期间 {invoice.period}；结算单 {invoice.number}"
    if invoice.deposit_offset_fen:
        text += (
            f"；已收定金抵扣 {format_fen(-invoice.deposit_offset_fen)}，"
            f"本次应付 {format_fen(invoice.total_fen)}"
        )
    return text


def fapiao_record(invoice: Invoice, codes: Mapping[str, ItemCode]) -> dict[str, Any]:
    """One invoice as the e-invoicing software imports it: JSON-ready (ints in fen, text otherwise).

    Keys: the header (``serial`` … ``remarks``, ``amount_fen`` = Σ lines' 金额 = the invoice's net,
    ``tax_fen`` = Σ 税额 = the invoice's tax, ``total_fen`` = 价税合计, ``deposit_offset_fen`` and
    ``payable_fen`` for the 备注), ``lines`` (the 明细 rows), ``fapiao`` (the number recorded back, or
    None) and ``problems`` (why it cannot be exported yet; empty when it can). ``codes``: the item
    codes per line kind (``ops.fapiao.services.item_codes()``).
    """
    client = invoice.client
    problems = [str(p) for p in invoice_problems(invoice)]
    lines: list[dict[str, Any]] = []
    try:
        rows = fapiao_lines(
            [
                SourceLine(ln.kind, ln.quantity, ln.unit, ln.unit_price_fen, ln.amount_fen)
                for ln in invoice.lines
            ],
            net_fen=invoice.net_fen,
            tax_fen=invoice.tax_fen,
            tax_rate_bp=invoice.tax_rate_bp,
            prices_include_tax=invoice.prices_include_tax,
            codes=codes,
        )
    except FapiaoRuleError as exc:
        problems.append(str(exc))
        rows = ()
    for seq, row in enumerate(rows, start=1):
        lines.append(
            {
                "seq": seq,
                "nature": row.nature,
                "nature_label": LINE_NATURE_LABELS[row.nature],
                "kind": row.kind,
                "item_name": row.item_name,
                "tax_code": row.tax_code,
                "sample_code": row.sample_code,
                "spec": "",
                "unit": row.unit,
                "quantity": row.quantity,
                "unit_price": row.unit_price,
                "amount_fen": row.amount_fen,
                "tax_rate_bp": row.tax_rate_bp,
                "tax_rate": rate_text(row.tax_rate_bp),
                "tax_fen": row.tax_fen,
            }
        )
    fapiao = None
    if invoice.fapiao_number:
        fapiao = {
            "number": invoice.fapiao_number,
            "date": invoice.fapiao_date.isoformat() if invoice.fapiao_date else None,
            "status": invoice.fapiao_status,
            "status_label": FAPIAO_STATUS_LABELS.get(invoice.fapiao_status or "", ""),
        }
    return {
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "serial": invoice.number,
        "fapiao_type": client.fapiao_type,
        "fapiao_type_label": FAPIAO_TYPE_EXPORT[client.fapiao_type],
        "tax_included": False,  # 金额 and 单价 are before tax; 税额 given per line
        "buyer": {
            "name": client.legal_name,
            "tax_id": client.tax_id or "",
            "address": client.address,
            "phone": client.phone,
            "bank_name": client.bank_name,
            "bank_account": client.bank_account,
        },
        "remarks": _remarks(invoice),
        "amount_fen": invoice.net_fen,
        "tax_fen": invoice.tax_fen,
        "total_fen": invoice.net_fen + invoice.tax_fen,
        "deposit_offset_fen": -invoice.deposit_offset_fen,
        "payable_fen": invoice.total_fen,
        "lines": lines,
        "fapiao": fapiao,
        "problems": problems,
    }


def _header_cells(record: Mapping[str, Any]) -> dict[str, str]:
    buyer = record["buyer"]
    return {
        "serial": record["serial"],
        "fapiao_type_label": record["fapiao_type_label"],
        "tax_included": "是" if record["tax_included"] else "否",
        "buyer_name": buyer["name"],
        "buyer_tax_id": buyer["tax_id"],
        "buyer_address": buyer["address"],
        "buyer_phone": buyer["phone"],
        "buyer_bank_name": buyer["bank_name"],
        "buyer_bank_account": buyer["bank_account"],
        "remarks": record["remarks"],
        "amount": yuan_text(record["amount_fen"]),
        "tax": yuan_text(record["tax_fen"]),
        "total": yuan_text(record["total_fen"]),
    }


def _line_cells(record: Mapping[str, Any], line: Mapping[str, Any]) -> dict[str, str]:
    values = {key: str(line.get(key, "")) for key, _title in LINE_COLUMNS}
    values.update(
        serial=record["serial"],
        amount=yuan_text(line["amount_fen"]),
        tax=yuan_text(line["tax_fen"]),
    )
    return values


def workbook_bytes(records: Iterable[Mapping[str, Any]]) -> bytes:
    """The batch file (xlsx, written in openpyxl's write-only mode) of ``records`` (``fapiao_record``,
    each without problems)."""
    book = Workbook(write_only=True)
    header = book.create_sheet(HEADER_SHEET)
    lines = book.create_sheet(LINE_SHEET)
    header.append([title for _key, title in HEADER_COLUMNS])
    lines.append([title for _key, title in LINE_COLUMNS])
    for record in records:
        cells = _header_cells(record)
        header.append([cells[key] for key, _title in HEADER_COLUMNS])
        for line in record["lines"]:
            row = _line_cells(record, line)
            lines.append([row[key] for key, _title in LINE_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
