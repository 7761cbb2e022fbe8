"""Render a customer-service outsourcing quotation (客服外包服务报价单) as PDF.

Pure: takes plain values (``QuotePdfData``), returns bytes.  No Flask, no DB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table, TableStyle

from ops.money import format_fen, to_chinese_upper
from ops.pdf import (
    ACCENT_COLOR,
    CONTENT_WIDTH,
    GRID_COLOR,
    STRIPE_BG,
    build_pdf,
    cjk_font,
    data_table,
    kv_table,
    para,
    parties_table,
    styles,
)

__all__ = ["QuotePdfData", "QuotePdfLine", "format_cn_date", "render_quote_pdf"]

DOC_TITLE = "客服外包服务报价单"


@dataclass(frozen=True)
class QuotePdfLine:
    description: str
    explanation: str
    amount_fen: int


@dataclass(frozen=True)
class QuotePdfData:
    vendor_name: str
    vendor_address: str
    vendor_phone: str
    client_name: str
    client_legal_name: str
    quote_number: str
    version: int
    issued_on: date
    valid_until: date
    model_label: str
    needs: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    staffing: tuple[str, ...] = field(default_factory=tuple)
    lines: tuple[QuotePdfLine, ...] = field(default_factory=tuple)
    subtotal_fen: int = 0
    discount_fen: int = 0
    total_fen: int = 0
    notes: str = ""
    # Per-day extras billed for the days worked (节假日补贴, 大促临时客服): (label, unit, price in fen).
    per_day_prices: tuple[tuple[str, str, int], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples so the object is really immutable.
        object.__setattr__(self, "needs", tuple((str(k), str(v)) for k, v in self.needs))
        object.__setattr__(self, "staffing", tuple(str(s) for s in self.staffing))
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "per_day_prices", tuple(tuple(p) for p in self.per_day_prices))
        if self.subtotal_fen - self.discount_fen != self.total_fen:
            raise ValueError(
                f"quote totals do not add up: {self.subtotal_fen} - {self.discount_fen} != {self.total_fen}"
            )
        if sum(line.amount_fen for line in self.lines) != self.subtotal_fen:
            raise ValueError("quote lines do not add up to subtotal_fen")


def format_cn_date(d: date) -> str:
    """date(2026, 12, 26) -> "2026年12月26日"."""
    return f"{d.year}年{d.month}月{d.day}日"


def _party_block(q: QuotePdfData, font: str) -> Table:
    half = CONTENT_WIDTH / 2
    label_w = 18 * mm
    vendor = kv_table(
        [("服务商", q.vendor_name), ("地址", q.vendor_address), ("电话", q.vendor_phone)],
        font_name=font,
        col_widths=(label_w, half - label_w - 4 * mm),
    )
    client = kv_table(
        [("客户", q.client_name), ("客户全称", q.client_legal_name)],
        font_name=font,
        col_widths=(label_w, half - label_w - 4 * mm),
    )
    return parties_table("报价方", "致（客户）", vendor, client, font_name=font)


def _totals_block(q: QuotePdfData, font: str) -> Table:
    st = styles(font)
    discount = format_fen(-q.discount_fen) if q.discount_fen else format_fen(0)
    label_w, value_w = 40 * mm, 42 * mm
    spacer_w = CONTENT_WIDTH - label_w - value_w
    rows = [
        ["", para("小计", st["td"]), para(format_fen(q.subtotal_fen), st["td_num"])],
        ["", para("优惠", st["td"]), para(discount, st["td_num"])],
        ["", para("月度合计", st["total"]), para(format_fen(q.total_fen), st["total_num"])],
        [
            para("月度合计（大写）：" + to_chinese_upper(q.total_fen), st["total"]),
            "",
            "",
        ],
    ]
    t = Table(rows, colWidths=[spacer_w, label_w, value_w], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 5),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (1, 1), (2, 1), 0.6, GRID_COLOR),
                ("LINEBELOW", (1, 2), (2, 2), 0.9, ACCENT_COLOR),
                ("SPAN", (0, 3), (2, 3)),
                ("BACKGROUND", (0, 3), (2, 3), STRIPE_BG),
                ("BOX", (0, 3), (2, 3), 0.6, GRID_COLOR),
                ("TOPPADDING", (0, 3), (2, 3), 6),
                ("BOTTOMPADDING", (0, 3), (2, 3), 6),
            ]
        )
    )
    return t


def _signature_block(q: QuotePdfData, font: str) -> Table:
    st = styles(font)
    half = CONTENT_WIDTH / 2

    def side(title: str, party: str) -> list:
        return [
            para(title, st["th"]),
            para(party, st["value"]),
            Spacer(1, 10 * mm),
            para("授权代表签字：________________", st["value"]),
            Spacer(1, 3 * mm),
            para("日期：________年____月____日", st["value"]),
        ]

    t = Table(
        [
            [
                side("报价方（盖章）", q.vendor_name),
                side("客户确认（盖章）", q.client_legal_name or q.client_name),
            ]
        ],
        colWidths=[half, half],
        hAlign="LEFT",
    )
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.6, GRID_COLOR),
                ("LINEAFTER", (0, 0), (0, -1), 0.6, GRID_COLOR),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return t


def _bullets(items: tuple[str, ...], font: str) -> Table:
    st = styles(font)
    rows = [[para(f"{i}.", st["body"]), para(text, st["body"])] for i, text in enumerate(items, 1)]
    t = Table(rows, colWidths=[7 * mm, CONTENT_WIDTH - 7 * mm], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return t


def render_quote_pdf(q: QuotePdfData, *, ttf_path: str | None = None) -> bytes:
    """Render *q* as an A4 Chinese quotation and return the PDF bytes."""
    font = cjk_font(ttf_path)
    st = styles(font)
    valid_until = format_cn_date(q.valid_until)
    version = f"第 {q.version} 版"

    story: list = [
        para(DOC_TITLE, st["title"]),
        para(f"报价编号：{q.quote_number}　　{version}", st["subtitle"]),
        Spacer(1, 5 * mm),
        _party_block(q, font),
        Spacer(1, 3 * mm),
        kv_table(
            [
                ("报价编号", q.quote_number),
                ("版本", version),
                ("报价日期", format_cn_date(q.issued_on)),
                ("有效期至", valid_until),
            ],
            font_name=font,
            col_widths=(22 * mm, CONTENT_WIDTH / 2 - 22 * mm),
            columns=2,
            boxed=True,
        ),
        para("一、服务模式与需求概况", st["h2"]),
        kv_table(
            [("服务模式", q.model_label), *q.needs],
            font_name=font,
            col_widths=(22 * mm, CONTENT_WIDTH / 2 - 22 * mm),
            columns=2,
            boxed=True,
        ),
    ]
    if q.staffing:
        story += [para("二、人员配置说明", st["h2"]), _bullets(q.staffing, font)]

    story += [
        CondPageBreak(40 * mm),
        para("三、报价明细（月度）", st["h2"]),
        data_table(
            ["项目", "计算说明", "金额"],
            [[line.description, line.explanation, format_fen(line.amount_fen)] for line in q.lines],
            [40 * mm, CONTENT_WIDTH - 40 * mm - 32 * mm, 32 * mm],
            font_name=font,
            numeric_cols=(2,),
        ),
        Spacer(1, 2 * mm),
        KeepTogether([_totals_block(q, font)]),
    ]

    remarks = [f"本报价有效期至 {valid_until}，逾期请与我方联系重新确认。"]
    remarks += [
        f"{label}：{format_fen(price)} / {unit}，按实际人天结算，在发生当期账单中一次结算，不计入月度合计。"
        for label, unit, price in q.per_day_prices
    ]
    remarks += [line.strip() for line in q.notes.splitlines() if line.strip()]
    story += [
        KeepTogether([para("四、说明", st["h2"]), _bullets(tuple(remarks), font)]),
        Spacer(1, 8 * mm),
        KeepTogether([_signature_block(q, font)]),
    ]

    return build_pdf(
        story,
        title=f"{DOC_TITLE} {q.quote_number} {version}",
        font_name=font,
        header_left=q.vendor_name,
        header_right=f"{DOC_TITLE}　{q.quote_number}　{version}",
        footer=f"{q.vendor_name}　电话：{q.vendor_phone}" if q.vendor_phone else q.vendor_name,
        author=q.vendor_name,
        subject=f"{q.client_name} 客服外包服务报价",
    )
