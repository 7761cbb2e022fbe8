"""The invoice (服务费结算单) and credit note (红字冲销单) PDF. Pure: plain values in, PDF bytes out.

A4, Chinese, text extractable (ops.pdf's CJK font). Fonts and paragraph styles come from ops.pdf's
caches and the table styles below are built once at import, so rendering a thousand invoices pays
for them once.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from ops.money import format_bp, format_fen, to_chinese_upper
from ops.pdf import (
    ACCENT_COLOR,
    CONTENT_WIDTH,
    GRID_COLOR,
    STRIPE_BG,
    build_pdf,
    cjk_font,
    data_table,
    esc,
    kv_table,
    para,
    parties_table,
    qr_flowable,
    styles,
    text_cell,
    text_style,
)


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str = ""
    address: str = ""
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""


@dataclass(frozen=True)
class InvoicePdfLine:
    description: str
    quantity: str
    unit: str
    unit_price_fen: int | None
    amount_fen: int
    reason: str = ""
    kind: str = ""  # the engine's line kind; a "deposit" line is printed in the totals, not the lines


@dataclass(frozen=True)
class KpiResultRow:
    """One KPI clause in one month as the "考核结果" table prints it (met clauses too)."""

    month: str
    label: str
    measured: str
    target: str
    outcome: str  # 达标, the band reached, 磨合期，不考核, 无数据，未考核
    deduction_fen: int  # ≥ 0
    note: str = ""


@dataclass(frozen=True)
class InvoicePdfData:
    kind: str  # "invoice" (结算单/发票) or "credit_note" (红字冲销单)
    number: str
    vendor: Party
    client: Party
    period_code: str  # 2026-10 / 2026-Q4
    period_start: date
    period_end: date
    issued_on: date
    due_on: date | None
    invoice_type: str  # 增值税普通发票 / 增值税专用发票
    lines: tuple[InvoicePdfLine, ...]
    service_fen: int
    deductions_fen: int
    adjustments_fen: int
    net_fen: int
    tax_rate_bp: int
    tax_fen: int
    prices_include_tax: bool
    deposit_offset_fen: int
    total_fen: int
    payment_terms: str = ""  # due rule and late fee in words
    notes: tuple[str, ...] = field(default_factory=tuple)
    reference: str = ""  # for a credit note: the invoice it corrects
    kpi_results: tuple[KpiResultRow, ...] = field(default_factory=tuple)
    replaces: str = ""  # for a re-issued invoice: the number of the void invoice it replaces
    deposit_remainder_fen: int = 0  # a deposit larger than its offset here: the part owed back
    verify_url: str = ""  # the public verification page the QR code points to (a draft has none)
    red_reason: str = (
        ""  # for a credit note of an invoice with a fapiao: the 红字确认单 reason, "01 开票有误"
    )
    fapiao_reference: str = ""  # for such a credit note: the fapiao number it reverses


_DATE_FIELDS = ("period_start", "period_end", "issued_on", "due_on")


def pdf_data_to_json(data: InvoicePdfData) -> dict[str, Any]:
    """``data`` as JSON values (dates as ISO text): stored at issue, read back by ``pdf_data_from_json``."""
    values = asdict(data)
    for key in _DATE_FIELDS:
        values[key] = values[key].isoformat() if values[key] is not None else None
    return values


def pdf_data_from_json(values: dict[str, Any]) -> InvoicePdfData:
    """The ``InvoicePdfData`` that ``pdf_data_to_json`` stored (equal to the original)."""
    v = dict(values)
    for key in _DATE_FIELDS:
        v[key] = date.fromisoformat(v[key]) if v.get(key) else None
    v["vendor"] = Party(**v["vendor"])
    v["client"] = Party(**v["client"])
    v["lines"] = tuple(InvoicePdfLine(**line) for line in v["lines"])
    v["kpi_results"] = tuple(KpiResultRow(**row) for row in v.get("kpi_results") or ())
    v["notes"] = tuple(v.get("notes") or ())
    return InvoicePdfData(**v)


def checksum(number: str, client_tax_id: str, total_fen: int, issued_on: date) -> str:
    """A short checksum printed in the QR code, so a scanned statement can be checked against ours."""
    return hashlib.sha256(
        f"{number}|{client_tax_id}|{total_fen}|{issued_on.isoformat()}".encode()
    ).hexdigest()[:16]


def qr_payload(data: InvoicePdfData) -> str:
    return f"{data.number}|{data.total_fen}|{checksum(data.number, data.client.tax_id, data.total_fen, data.issued_on)}"


TITLES = {"invoice": "服务费结算单", "draft": "服务费结算单（草稿）", "credit_note": "红字冲销单"}
LINE_HEADER = ("项目/说明", "数量", "单位", "单价", "金额")
LINE_WIDTHS = (CONTENT_WIDTH - 26 * mm - 12 * mm - 26 * mm - 30 * mm, 26 * mm, 12 * mm, 26 * mm, 30 * mm)
QR_MM = 24
PARTY_LABEL_W = 24 * mm

# Characters ReportLab's built-in STSong-Light has no glyph for, mapped to their GB2312 look-alikes
# (an embedded TTF has them, so nothing is replaced then).
CID_SAFE = str.maketrans({"\u00b7": "\u30fb", "\u2212": "\uff0d"})

_TIGHT = [
    ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]
PARTY_STYLE = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *_TIGHT])
HEAD_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 0), (1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
    ]
)
TOTALS_STYLE = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        *_TIGHT,
        ("LINEBELOW", (1, 0), (2, -3), 0.4, GRID_COLOR),
        ("LINEBELOW", (1, -2), (2, -2), 0.9, ACCENT_COLOR),
        ("SPAN", (0, -1), (2, -1)),
        ("BACKGROUND", (0, -1), (2, -1), STRIPE_BG),
        ("BOX", (0, -1), (2, -1), 0.6, GRID_COLOR),
        ("TOPPADDING", (0, -1), (2, -1), 5),
        ("BOTTOMPADDING", (0, -1), (2, -1), 5),
    ]
)
BOX_STYLE = TableStyle(
    [
        ("BOX", (0, 0), (-1, -1), 0.6, GRID_COLOR),
        ("BACKGROUND", (0, 0), (-1, -1), STRIPE_BG),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
)


def cn_date(d: date | None) -> str:
    """date(2026, 11, 5) -> "2026年11月5日"; None -> "—"."""
    return f"{d.year}年{d.month}月{d.day}日" if d else "—"


def period_label(code: str, start: date, end: date) -> str:
    """ "2026-10" -> "2026年10月（10月1日—10月31日）"; "2026-Q4" -> "2026年第4季度（10月1日—12月31日）"."""
    year, _, rest = code.partition("-")
    name = f"{year}年第{rest[1:]}季度" if rest.upper().startswith("Q") else f"{year}年{int(rest)}月"
    if start.year == end.year == int(year):
        return f"{name}（{start.month}月{start.day}日—{end.month}月{end.day}日）"
    return f"{name}（{cn_date(start)}—{cn_date(end)}）"


def _party_cell(party: Party, font: str) -> Table:
    st = styles(font)
    rows = [
        ("名称", party.name),
        ("纳税人识别号", party.tax_id),
        ("地址", party.address),
        ("电话", party.phone),
        ("开户行", party.bank_name),
        ("账号", party.bank_account),
    ]
    value_w = CONTENT_WIDTH / 2 - PARTY_LABEL_W - 8
    cells = [
        [text_cell(label, st["label"], PARTY_LABEL_W - 8), text_cell(value or "—", st["value"], value_w - 8)]
        for label, value in rows
    ]
    table = Table(cells, colWidths=[PARTY_LABEL_W, value_w], hAlign="LEFT")
    table.setStyle(PARTY_STYLE)
    table.setStyle(
        TableStyle([*text_style((0, 0), (0, -1), st["label"]), *text_style((1, 0), (1, -1), st["value"])])
    )
    return table


def _parties(data: InvoicePdfData, font: str) -> Table:
    return parties_table(
        "收款方（服务商）",
        "付款方（客户）",
        _party_cell(data.vendor, font),
        _party_cell(data.client, font),
        font_name=font,
        vertical_padding=2,
    )


def format_quantity(text: str, unit: str = "") -> str:
    """A line quantity for people: "31" stays "31", "6000" -> "6,000", "12345.6700" -> "12,345.67";
    a money base (unit 元) always shows two decimals."""
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        return text
    if unit == "元":
        return f"{value:,.2f}"
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value.normalize():,f}"


def _line_rows(data: InvoicePdfData, st, fix) -> list[list]:
    rows = []
    for line in data.lines:
        if line.kind == "deposit":
            continue
        description = esc(fix(line.description))
        if line.reason:  # why a KPI deduction or an adjustment was made, printed under it
            description += f'<br/><font size="8" color="#616e7c">原因：{esc(fix(line.reason))}</font>'
        price = "—" if line.unit_price_fen is None else format_fen(line.unit_price_fen)
        rows.append(
            [
                Paragraph(description, st["td"]),
                format_quantity(line.quantity, line.unit),
                line.unit,
                price,
                format_fen(line.amount_fen),
            ]
        )
    return rows


KPI_HEADER = ("月份", "考核指标", "实际", "目标", "结果", "扣款")
KPI_WIDTHS = (
    18 * mm,
    30 * mm,
    24 * mm,
    30 * mm,
    CONTENT_WIDTH - 18 * mm - 30 * mm - 24 * mm - 30 * mm - 26 * mm,
    26 * mm,
)


def _kpi_rows(data: InvoicePdfData, st, fix) -> list[list]:
    rows = []
    for r in data.kpi_results:
        outcome = esc(fix(r.outcome))
        if r.note:
            outcome += f'<br/><font size="8" color="#616e7c">{esc(fix(r.note))}</font>'
        rows.append(
            [
                r.month,
                fix(r.label),
                fix(r.measured),
                fix(r.target),
                Paragraph(outcome, st["td"]),
                format_fen(-r.deduction_fen if r.deduction_fen else 0),
            ]
        )
    return rows


def _total_rows(data: InvoicePdfData) -> list[tuple[str, int]]:
    """The printed lines (all but the deposit) add up to 明细合计; then tax, the deposit, the total."""
    rate = format_bp(data.tax_rate_bp)
    rows = [("明细合计", data.service_fen + data.deductions_fen + data.adjustments_fen)]
    if data.prices_include_tax:
        rows += [("其中：不含税金额", data.net_fen), (f"其中：税额（税率 {rate}，价格含税）", data.tax_fen)]
    else:
        rows += [
            (f"税额（税率 {rate}，价格不含税）", data.tax_fen),
            ("价税合计", data.net_fen + data.tax_fen),
        ]
    if data.deposit_offset_fen:
        deposit = next((line.description for line in data.lines if line.kind == "deposit"), "定金抵扣")
        rows.append((deposit, data.deposit_offset_fen))
    return rows


def _totals(data: InvoicePdfData, font: str) -> Table:
    st = styles(font)
    rows = _total_rows(data)
    label_w, value_w = 66 * mm, 34 * mm
    cells = [
        [
            "",
            text_cell(label, st["td"], label_w - 8),
            text_cell(format_fen(amount), st["td_num"], value_w - 8),
        ]
        for label, amount in rows
    ]
    total = "冲销总额" if data.kind == "credit_note" else "应付总额"
    cells.append(
        [
            "",
            text_cell(total, st["total"], label_w - 8),
            text_cell(format_fen(data.total_fen), st["total_num"], value_w - 8),
        ]
    )
    cells.append([para(f"{total}（大写）：{to_chinese_upper(data.total_fen)}", st["total"]), "", ""])
    table = Table(cells, colWidths=[CONTENT_WIDTH - label_w - value_w, label_w, value_w], hAlign="LEFT")
    table.setStyle(TOTALS_STYLE)
    table.setStyle(
        TableStyle(
            [
                *text_style((1, 0), (1, -3), st["td"]),
                *text_style((2, 0), (2, -3), st["td_num"]),
                *text_style((1, -2), (1, -2), st["total"]),
                *text_style((2, -2), (2, -2), st["total_num"]),
            ]
        )
    )
    return table


def _boxed(flowables: list) -> Table:
    table = Table([[flowables]], colWidths=[CONTENT_WIDTH], hAlign="LEFT")
    table.setStyle(BOX_STYLE)
    return table


def _head(data: InvoicePdfData, font: str, title: str, number: str) -> Table:
    st = styles(font)
    period = period_label(data.period_code, data.period_start, data.period_end)
    facts = [("编号", number), ("开具日期", cn_date(data.issued_on))]
    if data.kind == "credit_note":
        facts += [("冲销原账单", data.reference or "—"), ("原服务期间", period)]
        if data.fapiao_reference:
            facts.append(("原发票号码", data.fapiao_reference))
        if data.red_reason:
            facts.append(("红字确认单原因", data.red_reason))
    else:
        facts += [("服务期间", period), ("到期日", cn_date(data.due_on))]
        if data.replaces:
            facts.append(("替代账单", f"替代 {data.replaces}（已作废）"))
    facts.append(("发票类型", data.invoice_type))
    left_w = CONTENT_WIDTH - (QR_MM + 2) * mm
    facts_table = kv_table(facts, font_name=font, col_widths=(19 * mm, left_w / 2 - 19 * mm), columns=2)
    left = [para(title, st["title"]), facts_table]
    right = [qr_flowable(data.verify_url or qr_payload(data), QR_MM), para("扫码核验", st["muted"])]
    table = Table([[left, right]], colWidths=[left_w, (QR_MM + 2) * mm], hAlign="LEFT")
    table.setStyle(HEAD_STYLE)
    return table


def _closing(data: InvoicePdfData, font: str, number: str, fix) -> list:
    st = styles(font)
    if data.kind == "credit_note":
        body = [
            para("冲销说明", st["th"]),
            para(
                f"本单冲销账单 {data.reference} 的金额 {format_fen(-data.total_fen)}（含税），冲减该账单的应付余额。",
                st["small"],
            ),
        ]
    else:
        vendor = data.vendor
        body = [
            para("付款方式", st["th"]),
            para(
                f"户名：{vendor.name}　开户行：{vendor.bank_name or '—'}　账号：{vendor.bank_account or '—'}"
                f"　（付款时请备注账单编号 {number}）",
                st["small"],
            ),
        ]
        if data.payment_terms:
            body += [para("付款条款", st["th"]), para(fix(data.payment_terms), st["small"])]
        if data.deposit_remainder_fen:
            body += [
                para("定金", st["th"]),
                para(
                    f"本单抵扣定金 {format_fen(-data.deposit_offset_fen)}，"
                    f"定金余额 {format_fen(data.deposit_remainder_fen)} 待退还。",
                    st["small"],
                ),
            ]
    if data.notes:
        body += [para("说明", st["th"]), *(para(fix(note), st["small"]) for note in data.notes)]
    return body


def _reprint_box(reprint: tuple[tuple[str, str], ...], font: str) -> Table:
    st = styles(font)
    facts = kv_table(reprint, font_name=font, col_widths=(24 * mm, CONTENT_WIDTH / 2 - 24 * mm), columns=2)
    return _boxed([para("重印副本：原件已于开具时存档，以下发票信息为重印时登记的内容", st["th"]), facts])


def render_invoice_pdf(
    data: InvoicePdfData, *, ttf_path: str | None = None, reprint: tuple[tuple[str, str], ...] = ()
) -> bytes:
    """Render a statement as A4 PDF bytes.

    ``data.kind``: "invoice" (服务费结算单), "draft" (an unnumbered preview titled 草稿) or
    "credit_note" (红字冲销单 naming the invoice it corrects in ``data.reference``).
    ``reprint``: (label, value) facts recorded after issue (the fapiao number, date, status); when
    given, the document is a copy (重印副本) of the frozen ``data`` with those facts in a box under the
    head — the stored original is never replaced by it.
    """
    font = cjk_font(ttf_path)
    st = styles(font)

    def fix(text: str) -> str:
        return text if ttf_path else text.translate(CID_SAFE)

    title = TITLES.get(data.kind, TITLES["invoice"])
    if reprint:
        title += "（重印副本）"
    number = data.number or "（未编号）"
    story: list = [
        _head(data, font, title, number),
        Spacer(1, 3 * mm),
        *([_reprint_box(reprint, font), Spacer(1, 3 * mm)] if reprint else []),
        _parties(data, font),
        para("费用明细", st["h2"]),
        data_table(
            LINE_HEADER, _line_rows(data, st, fix), LINE_WIDTHS, font_name=font, numeric_cols=(1, 3, 4)
        ),
        Spacer(1, 2 * mm),
        KeepTogether([_totals(data, font)]),
        Spacer(1, 3 * mm),
    ]
    if data.kpi_results:
        story += [
            para("考核结果", st["h2"]),
            data_table(KPI_HEADER, _kpi_rows(data, st, fix), KPI_WIDTHS, font_name=font, numeric_cols=(2, 5)),
            Spacer(1, 3 * mm),
        ]
    story += [
        KeepTogether([_boxed(_closing(data, font, number, fix))]),
    ]
    return build_pdf(
        story,
        title=f"{title} {number}",
        font_name=font,
        header_left=data.vendor.name,
        header_right=f"{title}　{number}",
        footer=f"{data.vendor.name}　{data.vendor.phone}".strip(),
        author=data.vendor.name,
        subject=f"{data.client.name} {data.period_code}",
        # Rendered by a queue consumer after issue, perhaps twice: the same data, the same bytes.
        invariant=True,
    )
