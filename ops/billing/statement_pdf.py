"""The client statement (对账单) PDF. Pure: a Statement and the parties in, PDF bytes out."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ops.billing.engine.credits import Statement
from ops.money import format_fen
from ops.pdf import CONTENT_WIDTH, build_pdf, cjk_font, data_table, kv_table, para, styles

KIND_LABELS = {
    "invoice": "账单",
    "payment": "收款",
    "credit_note": "红字冲销",
    "prepayment": "预收款",
    "refund": "退款",
}


def _fen(fen: int) -> str:
    return format_fen(fen) if fen else ""


def render_statement_pdf(
    statement: Statement,
    *,
    vendor_name: str,
    client_name: str,
    credit_balance_fen: int,
    generated_on: date,
    ttf_path: str | None = None,
) -> bytes:
    """A4 对账单: parties and range, opening balance, one row per movement with the running balance,
    totals and the closing balance (positive: the client owes; negative: in the client's favour)."""
    font = cjk_font(ttf_path)
    st = styles(font)
    period = f"{statement.start.isoformat()} 至 {statement.end.isoformat()}"
    story = [
        para("对账单", st["title"]),
        Spacer(1, 3 * mm),
        kv_table(
            [
                ("客户", client_name),
                ("服务商", vendor_name),
                ("对账期间", period),
                ("生成日期", generated_on.isoformat()),
            ],
            font_name=font,
            columns=2,
            col_widths=(20 * mm, CONTENT_WIDTH / 2 - 20 * mm),
        ),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[object]] = [["", "期初余额", "", "", "", format_fen(statement.opening_fen)]]
    for line in statement.lines:
        e = line.entry
        rows.append(
            [
                e.on.isoformat(),
                f"{KIND_LABELS.get(e.kind, e.kind)} {e.reference}".strip(),
                e.description,
                _fen(e.debit_fen),
                _fen(e.credit_fen),
                format_fen(line.balance_fen),
            ]
        )
    rows.append(["", "本期合计", "", format_fen(statement.debits_fen), format_fen(statement.credits_fen), ""])
    rows.append(["", "期末余额", "", "", "", format_fen(statement.closing_fen)])
    widths = [22 * mm, 42 * mm, CONTENT_WIDTH - 142 * mm, 26 * mm, 26 * mm, 26 * mm]
    story.append(
        data_table(
            ["日期", "项目", "说明", "应收（借）", "已收 / 冲销（贷）", "余额"],
            rows,
            widths,
            font_name=font,
            numeric_cols=(3, 4, 5),
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        para(
            "余额为正数表示客户尚欠金额，为负数表示客户余额（多付或冲销后可抵扣下期账单或退款）。"
            f"截至生成日客户余额：{format_fen(credit_balance_fen)}。",
            st["small"],
        )
    )
    return build_pdf(
        story,
        title=f"对账单 {client_name} {period}",
        font_name=font,
        header_left=vendor_name,
        header_right=f"对账单 {period}",
        footer=client_name,
        author=vendor_name,
        subject="对账单",
    )
