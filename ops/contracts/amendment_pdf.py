"""The PDF of a contract amendment (补充协议): the seat rows and monthly extras from its effective date.

Pure: ReportLab only, no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ops.money import format_fen
from ops.pdf import CONTENT_WIDTH, build_pdf, cjk_font, data_table, kv_table, para, styles
from ops.vocab import SCOPES, SHIFTS


@dataclass(frozen=True)
class AmendmentPdfData:
    number: str  # HT-2026-0001-B1
    contract_number: str
    client_name: str
    vendor_name: str
    effective_on: date
    reason: str
    seats: list[dict[str, Any]]  # SeatTerms rows after the change
    extras: list[dict[str, Any]]  # ExtraTerms rows after the change
    status_label: str


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _seat_total(row: dict[str, Any]) -> int:
    total = row.get("monthly_total_fen")
    return int(total) if total is not None else int(row["seats"]) * int(row["monthly_rate_fen"])


def render_amendment_pdf(a: AmendmentPdfData, *, ttf_path: str | None = None) -> bytes:
    """The amendment as an A4 Chinese document (PDF bytes)."""
    font = cjk_font(ttf_path)
    st = styles(font)
    seat_rows = [
        (
            f"{SCOPES.get(s['scope'], s['scope'])}{SHIFTS.get(s['shift'], s['shift'])}",
            str(s["seats"]),
            format_fen(int(s["monthly_rate_fen"])),
            format_fen(_seat_total(s)),
        )
        for s in a.seats
    ]
    extra_rows = [
        (
            e["label"],
            f"{e['quantity']:,} {e['unit']}",
            format_fen(int(e["unit_price_fen"])),
            format_fen(int(e["quantity"]) * int(e["unit_price_fen"])),
        )
        for e in a.extras
        if e.get("quantity")
    ]
    story: list[Any] = [
        para("客服外包服务合同补充协议", st["title"]),
        para(f"编号：{a.number}", st["subtitle"]),
        Spacer(1, 5 * mm),
        kv_table(
            [
                ("原合同编号", a.contract_number),
                ("甲方（委托方）", a.client_name),
                ("乙方（服务方）", a.vendor_name),
                ("生效日期", _cn_date(a.effective_on)),
                ("状态", a.status_label),
            ],
            font_name=font,
        ),
        Spacer(1, 4 * mm),
        para(
            f"甲乙双方经协商一致，自{_cn_date(a.effective_on)}起，原合同的席位与月度附加费按下表执行；"
            "生效日所在月份按天数分段计费（生效日前按原条款，生效日起按本协议）。原合同其他条款不变。",
            st["body"],
        ),
        Spacer(1, 3 * mm),
        para("一、席位", st["h2"]),
        data_table(
            ["服务范围 × 班次", "席位数", "每席月单价", "月合计"],
            seat_rows,
            [CONTENT_WIDTH * w for w in (0.4, 0.15, 0.22, 0.23)],
            font_name=font,
            numeric_cols=(1, 2, 3),
        ),
    ]
    if extra_rows:
        story += [
            Spacer(1, 3 * mm),
            para("二、月度附加费", st["h2"]),
            data_table(
                ["项目", "数量/月", "单价", "月合计"],
                extra_rows,
                [CONTENT_WIDTH * w for w in (0.4, 0.15, 0.22, 0.23)],
                font_name=font,
                numeric_cols=(1, 2, 3),
            ),
        ]
    if a.reason:
        story += [Spacer(1, 3 * mm), para(f"变更原因：{a.reason}", st["body"])]
    return build_pdf(
        story,
        title=f"补充协议 {a.number}",
        font_name=font,
        header_left=a.vendor_name,
        header_right=a.number,
        footer=f"{a.contract_number} 补充协议",
    )
