"""The invoice PDF: Chinese text extractable, totals in figures and 大写, multi-page with repeated header."""

import io
import re
from datetime import date

from pypdf import PdfReader

from ops.billing.pdf import (
    InvoicePdfData,
    InvoicePdfLine,
    Party,
    period_label,
    qr_payload,
    render_invoice_pdf,
)
from tests.billing.helpers import issued_for, make_contract

VENDOR = Party(
    "杭州云帆客服外包有限公司",
    "91330106MA2B2QXY3M",
    "杭州市西湖区文三路 90 号",
    "0571-88886666",
    "招商银行杭州分行",
    "571908886666001",
)
CLIENT = Party("北京晨光家居用品有限公司", "91110108551385082Q", "北京市海淀区中关村大街 1 号")


def pages_text(data: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def _data(lines, kind="invoice", **fields) -> InvoicePdfData:
    service = sum(line.amount_fen for line in lines)
    values = dict(
        kind=kind,
        number="INV-2026-00007",
        vendor=VENDOR,
        client=CLIENT,
        period_code="2026-10",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        issued_on=date(2026, 11, 1),
        due_on=date(2026, 11, 5),
        invoice_type="增值税普通发票",
        lines=tuple(lines),
        service_fen=service,
        deductions_fen=0,
        adjustments_fen=0,
        net_fen=service,
        tax_rate_bp=600,
        tax_fen=0,
        prices_include_tax=True,
        deposit_offset_fen=0,
        total_fen=service,
        payment_terms="请于次月 5 日前付款。",
    )
    values.update(fields)
    return InvoicePdfData(**values)


def test_issued_invoice_pdf_shows_names_number_total_and_upper_case_amount(db):
    contract = make_contract(db, seats=1, rate_fen=1_234_567)  # one seat, full month: ¥12,345.67
    invoice = issued_for(db, contract)
    (text,) = pages_text(invoice.pdf)
    assert "服务费结算单" in text
    assert "北京晨光家居用品有限公司" in text and "91110108551385082Q" in text
    assert "杭州云帆客服外包有限公司" in text and "571908886666001" in text
    assert invoice.number in text
    assert "¥12,345.67" in text
    assert "人民币壹万贰仟叁佰肆拾伍元陆角柒分" in text
    # tax-inclusive 6 %: 12,345.67 × 6/106 = 698.811… -> ¥698.81
    assert "¥698.81" in text and "含税" in text
    assert "2026年9月" in text and "到期日" in text


def test_sixty_lines_span_pages_with_the_header_repeated():
    lines = [
        InvoicePdfLine(f"售前白班席位 · 客服{i:02d} · 2026-10 服务 31/31 天", "31", "天", 500_000, 500_000)
        for i in range(60)
    ]
    pages = pages_text(render_invoice_pdf(_data(lines)))
    assert len(pages) > 1
    for text in pages:
        assert "项目/说明数量单位单价金额" in text
    assert "第1页/共" in pages[0]
    # 60 × ¥5,000.00 = ¥300,000.00
    assert "¥300,000.00" in pages[-1] and "人民币叁拾万元整" in pages[-1]


def test_kpi_deduction_reason_is_printed():
    lines = [
        InvoicePdfLine("售前白班席位 × 2 席", "2", "席", 500_000, 1_000_000),
        InvoicePdfLine(
            "KPI 扣款 2026-10：首次响应时间未达标",
            "1",
            "项",
            None,
            -50_000,
            "首次响应时间 2026-10 为 35.2 秒，高于约定的 30 秒",
        ),
    ]
    data = _data(lines, service_fen=1_000_000, deductions_fen=-50_000, net_fen=950_000, total_fen=950_000)
    (text,) = pages_text(render_invoice_pdf(data))
    # The deduction is a line (printed once) inside 明细合计: 1,000,000 − 50,000 = 950,000.
    assert text.count("-¥500.00") == 1 and "明细合计¥9,500.00" in text
    assert "原因：首次响应时间2026-10为35.2秒，高于约定的30秒" in text
    assert "人民币玖仟伍佰元整" in text


def test_visible_lines_add_up_to_the_subtotal_then_tax_deposit_total():
    lines = [
        InvoicePdfLine(
            "售前白班席位 · 张三 · 2026-10 服务 31/31 天 × ¥10,000.00/月", "31", "天", None, 1_000_000
        ),
        InvoicePdfLine("系统故障减免", "1", "项", None, -100_000, "9 月宕机 1 天", "adjustment"),
        InvoicePdfLine("定金抵扣（已收定金 ¥2,000.00）", "1", "项", None, -200_000, "", "deposit"),
    ]
    # Lines 1,000,000 − 100,000 = 900,000; tax included 6 %: 900,000 × 6 / 106 = 50,943.4 → 50,943;
    # net 900,000 − 50,943 = 849,057; deposit −200,000; total 900,000 − 200,000 = 700,000.
    data = _data(
        lines,
        service_fen=1_000_000,
        adjustments_fen=-100_000,
        net_fen=849_057,
        tax_fen=50_943,
        deposit_offset_fen=-200_000,
        total_fen=700_000,
    )
    (text,) = pages_text(render_invoice_pdf(data))
    assert text.count("-¥1,000.00") == 1 and "调整" not in text  # the adjustment once, as a line
    assert text.count("定金抵扣") == 1 and "定金抵扣（已收定金¥2,000.00）-¥2,000.00" in text
    assert "明细合计¥9,000.00" in text and "其中：不含税金额¥8,490.57" in text and "¥509.43" in text
    assert "应付总额¥7,000.00" in text
    assert "单价" in text and "¥10,000.00/月" in text


def test_credit_note_is_titled_and_negative():
    lines = [InvoicePdfLine("冲销 INV-2026-00007：停服 2 天减免", "1", "项", None, -106_000)]
    data = _data(
        lines,
        kind="credit_note",
        number="CN-2026-00001",
        reference="INV-2026-00007",
        due_on=None,
        service_fen=-106_000,
        net_fen=-100_000,
        tax_fen=-6_000,
        total_fen=-106_000,
    )
    (text,) = pages_text(render_invoice_pdf(data))
    assert "红字冲销单" in text and "INV-2026-00007" in text and "CN-2026-00001" in text
    assert "-¥1,060.00" in text and "人民币负壹仟零陆拾元整" in text


def test_draft_preview_is_marked():
    data = _data([InvoicePdfLine("席位", "1", "席", 100, 100)], kind="draft", number="")
    (text,) = pages_text(render_invoice_pdf(data))
    assert "服务费结算单（草稿）" in text and "未编号" in text


def test_period_labels_and_qr_payload():
    assert period_label("2026-10", date(2026, 10, 1), date(2026, 10, 31)) == "2026年10月（10月1日—10月31日）"
    assert (
        period_label("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)) == "2026年第4季度（10月1日—12月31日）"
    )
    payload = qr_payload(_data([InvoicePdfLine("席位", "1", "席", 100, 100)]))
    number, total, check = payload.split("|")
    assert (number, total, len(check)) == ("INV-2026-00007", "100", 16)


def test_quantities_read_like_a_statement():
    from ops.billing.pdf import format_quantity

    assert format_quantity("2927559.64", "元") == "2,927,559.64"  # a commission base in yuan
    assert format_quantity("6000", "次") == "6,000"
    assert format_quantity("31", "天") == "31"
    assert format_quantity("12.5000", "天") == "12.5"
