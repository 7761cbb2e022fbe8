"""Render a customer-service outsourcing contract (客服外包服务合同) as PDF.

Pure: takes plain values (``ContractPdfData``), returns bytes. No Flask, no database.
Money in fen, rates in basis points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table, TableStyle

from ops.money import format_bp, format_fen, format_multiplier, to_chinese_upper
from ops.pdf import (
    CONTENT_WIDTH,
    GRID_COLOR,
    build_pdf,
    cjk_font,
    data_table,
    kv_table,
    para,
    parties_table,
    styles,
)

__all__ = [
    "DOC_TITLE",
    "ContractPdfData",
    "PdfExtra",
    "PdfParty",
    "PdfSeat",
    "format_cn_date",
    "render_contract_pdf",
]

DOC_TITLE = "客服外包服务合同"


@dataclass(frozen=True)
class PdfParty:
    name: str
    tax_id: str = ""
    address: str = ""
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""


@dataclass(frozen=True)
class PdfSeat:
    scope: str  # label, e.g. 售前
    shift: str  # label, e.g. 白班
    seats: int
    monthly_rate_fen: int
    total_fen: int | None = None  # the row's total when it is not seats × rate (the quote's rounding)

    @property
    def row_total_fen(self) -> int:
        return self.total_fen if self.total_fen is not None else self.seats * self.monthly_rate_fen


@dataclass(frozen=True)
class PdfExtra:
    label: str
    unit: str
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True)
class ContractPdfData:
    number: str  # empty while a draft
    client: PdfParty  # 甲方
    vendor: PdfParty  # 乙方
    start_on: date
    end_on: date
    auto_renew: bool
    model_label: str
    billing_cycle: str  # words, e.g. 按月结算
    billing_timing: str  # words, e.g. 后付（先服务后结算）
    due_text: str  # 次月 5 日前
    late_fee_text: str  # 每日 0.05%，宽限 5 天
    tax_rate_bp: int
    prices_include_tax: bool
    invoice_type: str  # words
    deposit_fen: int
    deposit_usage: str  # words
    kpi_cap_bp: int
    breakin_months: int
    seats: tuple[PdfSeat, ...] = field(default_factory=tuple)
    commission_rate_bp: int = 0
    commission_base: str = ""
    tier_mode: str = ""  # words, e.g. 累进阶梯
    tier_lines: tuple[str, ...] = field(default_factory=tuple)
    consult_multiplier_bp: int = 10_000
    monthly_minimum_fen: int = 0
    extras: tuple[PdfExtra, ...] = field(default_factory=tuple)
    kpis: tuple[str, ...] = field(default_factory=tuple)  # each clause in words
    clauses: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (title, body)
    title: str = DOC_TITLE
    is_draft: bool = False

    def __post_init__(self) -> None:
        for name in ("seats", "tier_lines", "extras", "kpis"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "clauses", tuple((str(t), str(b)) for t, b in self.clauses))


def format_cn_date(d: date) -> str:
    """date(2026, 12, 1) -> "2026年12月1日"."""
    return f"{d.year}年{d.month}月{d.day}日"


def _clause(number: int, text: str, font: str) -> Table:
    """A numbered clause "1. …" with a hanging indent."""
    st = styles(font)
    t = Table(
        [[para(f"{number}.", st["body"]), para(text, st["body"])]],
        colWidths=[8 * mm, CONTENT_WIDTH - 8 * mm],
        hAlign="LEFT",
    )
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


def _rate_text(seat: PdfSeat) -> str:
    """The rate per seat; when the row's total carries the quote's rounding, the one seat it lies on."""
    rest = seat.row_total_fen - seat.seats * seat.monthly_rate_fen
    if not rest:
        return format_fen(seat.monthly_rate_fen)
    return f"{format_fen(seat.monthly_rate_fen)}（其中 1 席 {format_fen(seat.monthly_rate_fen + rest)}）"


def _heading(text: str, font: str) -> list:
    """A section heading that never sits alone at the foot of a page."""
    return [CondPageBreak(35 * mm), para(text, styles(font)["h2"])]


def _numbered(items: list[str], font: str) -> list[Table]:
    return [_clause(i, text, font) for i, text in enumerate(items, 1)]


def _party_block(c: ContractPdfData, font: str) -> Table:
    half = CONTENT_WIDTH / 2
    label_w = 31 * mm

    def side(p: PdfParty) -> Table:
        return kv_table(
            [
                ("名称", p.name),
                ("统一社会信用代码", p.tax_id or "—"),
                ("地址", p.address or "—"),
                ("电话", p.phone or "—"),
                ("开户行", p.bank_name or "—"),
                ("账号", p.bank_account or "—"),
            ],
            font_name=font,
            col_widths=(label_w, half - label_w - 4 * mm),
        )

    return parties_table("甲方（委托方）", "乙方（服务方）", side(c.client), side(c.vendor), font_name=font)


def _fees_section(c: ContractPdfData, font: str) -> list:
    st = styles(font)
    story: list = [
        *_heading("二、服务费用", font),
        para(f"计价模式：{c.model_label}。费用明细如下（金额单位：人民币元）：", st["body"]),
        Spacer(1, 2 * mm),
    ]
    if c.seats:
        rate_head = "底薪（元/席/月）" if c.commission_rate_bp else "月单价（元/席）"
        rows = [
            [
                s.scope,
                s.shift,
                str(s.seats),
                _rate_text(s),
                format_fen(s.row_total_fen),
            ]
            for s in c.seats
        ]
        rows.append(
            [
                "合计",
                "",
                str(sum(s.seats for s in c.seats)),
                "",
                format_fen(sum(s.row_total_fen for s in c.seats)),
            ]
        )
        widths = [28 * mm, 28 * mm, 22 * mm, (CONTENT_WIDTH - 78 * mm) / 2, (CONTENT_WIDTH - 78 * mm) / 2]
        story += [
            data_table(
                ["服务范围", "班次", "席位数", rate_head, "月小计"],
                rows,
                widths,
                font_name=font,
                numeric_cols=(2, 3, 4),
            ),
            Spacer(1, 2 * mm),
        ]
    items: list[str] = []
    if c.commission_rate_bp:
        items.append(
            f"提成：按提成基数的 {format_bp(c.commission_rate_bp)} 计收。提成基数：{c.commission_base}。"
        )
    if c.tier_lines:
        multiplier = (
            ""
            if c.consult_multiplier_bp == 10_000
            else f"，各档单价乘以系数 {format_multiplier(c.consult_multiplier_bp)}"
        )
        items.append(f"按有效咨询量计费（{c.tier_mode}{multiplier}）：" + "；".join(c.tier_lines) + "。")
    if c.monthly_minimum_fen:
        items.append(f"月度最低消费 {format_fen(c.monthly_minimum_fen)}，当月按量计费不足的按最低消费结算。")
    for e in c.extras:
        items.append(f"{e.label}：{format_fen(e.unit_price_fen)}/{e.unit}，约定数量 {e.quantity}。")
    items.append(
        f"税率：增值税 {format_bp(c.tax_rate_bp)}，以上价格{'已含税' if c.prices_include_tax else '不含税'}。"
    )
    items.append(f"发票：乙方开具{c.invoice_type}。")
    story += _numbered(items, font)
    return story


def _signature_block(c: ContractPdfData, font: str) -> Table:
    st = styles(font)
    half = CONTENT_WIDTH / 2

    def side(title: str, party: str) -> list:
        return [
            para(title, st["th"]),
            para(party, st["value"]),
            Spacer(1, 14 * mm),
            para("（盖章）", st["muted"]),
            Spacer(1, 4 * mm),
            para("法定代表人或授权代表签字：______________", st["value"]),
            Spacer(1, 3 * mm),
            para("日期：________年____月____日", st["value"]),
        ]

    t = Table(
        [[side("甲方（盖章）", c.client.name), side("乙方（盖章）", c.vendor.name)]],
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


def render_contract_pdf(c: ContractPdfData, *, ttf_path: str | None = None) -> bytes:
    """Render *c* as an A4 Chinese contract and return the PDF bytes."""
    font = cjk_font(ttf_path)
    st = styles(font)
    number = c.number or "（草稿，签署前生成编号）"
    term = f"{format_cn_date(c.start_on)}至{format_cn_date(c.end_on)}"

    story: list = [
        para(DOC_TITLE, st["title"]),
        para(f"合同编号：{number}", st["subtitle"]),
    ]
    if c.is_draft:
        story.append(para("草稿 — 仅供双方审阅，不作为正式合同", st["subtitle"]))
    story += [
        Spacer(1, 5 * mm),
        _party_block(c, font),
        Spacer(1, 3 * mm),
        para("甲乙双方经友好协商，就乙方为甲方网店提供客服外包服务事宜，达成如下协议：", st["body"]),
        *_heading("一、服务内容与期限", font),
        *_numbered(
            [
                f"乙方按本合同约定的服务范围、班次和席位为甲方网店提供在线客服服务（{c.model_label}）。",
                f"服务期限：{term}。",
                "合同期满前 30 日内双方均未书面提出异议的，本合同自动续期一年，条款不变。"
                if c.auto_renew
                else "合同期满自动终止；如需续约，双方另行签订续约合同。",
            ],
            font,
        ),
        *_fees_section(c, font),
        *_heading("三、结算与付款", font),
        *_numbered(
            [
                f"结算周期：{c.billing_cycle}；付费方式：{c.billing_timing}。",
                f"付款期限：甲方应于{c.due_text}支付当期服务费。",
                f"逾期付款：滞纳金{c.late_fee_text}，按未付金额计算。",
            ],
            font,
        ),
        *_heading("四、定金", font),
    ]
    if c.deposit_fen:
        story += _numbered(
            [
                f"定金金额：{format_fen(c.deposit_fen)}（大写：{to_chinese_upper(c.deposit_fen)}），"
                "甲方于合同签订后支付，乙方收到定金后安排客服上线。",
                f"定金用途：{c.deposit_usage}。甲方违约解除合同的，定金不予退还。",
            ],
            font,
        )
    else:
        story.append(para("本合同不收取定金。", st["body"]))
    kpi_items = list(c.kpis) or ["本合同不设 KPI 扣款条款。"]
    if c.kpis:
        kpi_items.append(f"各项 KPI 扣款合计不超过当期服务费的 {format_bp(c.kpi_cap_bp)}。")
        kpi_items.append(
            f"合同开始后前 {c.breakin_months} 个月为磨合期，不做 KPI 考核。"
            if c.breakin_months
            else "本合同不设磨合期，自服务开始之月起考核。"
        )
    story += [*_heading("五、KPI 考核", font), *_numbered(kpi_items, font)]
    story += _heading("六、违约责任", font)
    if c.clauses:
        story += _numbered([f"{title}：{body}" for title, body in c.clauses], font)
    else:
        story.append(para("违约责任按《中华人民共和国民法典》有关规定执行。", st["body"]))
    story += [
        *_heading("七、其他", font),
        *_numbered(
            [
                "本合同一式两份，甲乙双方各执一份，自双方盖章之日起生效。",
                "本合同未尽事宜，由双方协商解决；协商不成的，提交乙方所在地人民法院诉讼解决。",
            ],
            font,
        ),
        Spacer(1, 8 * mm),
        KeepTogether([para("（以下无正文）", st["muted"]), Spacer(1, 3 * mm), _signature_block(c, font)]),
    ]
    return build_pdf(
        story,
        title=f"{DOC_TITLE} {c.number}".strip(),
        font_name=font,
        header_left=c.vendor.name,
        header_right=f"{DOC_TITLE}　{number}",
        footer=f"甲方：{c.client.name}　乙方：{c.vendor.name}",
        author=c.vendor.name,
        subject=f"{c.client.name} {DOC_TITLE}",
    )
