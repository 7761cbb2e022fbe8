"""Tests for the quotation PDF (ops.quotes.pdf), checked through pypdf text extraction."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from ops.quotes.pdf import QuotePdfData, QuotePdfLine, format_cn_date, render_quote_pdf


def make_quote(**overrides) -> QuotePdfData:
    # 1,234,567 fen in total: 1,154,567 + 200,000 - 120,000.
    lines = [
        QuotePdfLine("专席客服人力", "6 人 × ¥1,500.00/人/月 × 1.10（复杂度系数）", 990000),
        QuotePdfLine("客服组长", "1 人 × ¥1,645.67/人/月", 164567),
        QuotePdfLine("系统与席位", "7 席，含工单系统、录音 <script>alert(1)</script> & 知识库", 200000),
    ]
    values = dict(
        vendor_name="杭州云帆客服外包服务有限公司",
        vendor_address="浙江省杭州市西湖区文三路 398 号",
        vendor_phone="0571-8888 6666",
        client_name="北京晨光家居",
        client_legal_name="北京晨光家居用品有限公司",
        quote_number="BJ-2026-0007",
        version=2,
        issued_on=date(2026, 11, 26),
        valid_until=date(2026, 12, 26),
        model_label="专人专席",
        needs=[
            ("平台", "天猫、京东"),
            ("类目", "家居日用"),
            ("服务范围", "售前、售后"),
            ("日均咨询", "约 2,400 次"),
            ("高峰占比", "35%"),
            ("复杂度", "中等"),
        ],
        staffing=["按日均 2,400 次咨询测算，需 6 名专席客服。", "每 6 名客服配置 1 名组长。"],
        lines=lines,
        subtotal_fen=1354567,
        discount_fen=120000,
        total_fen=1234567,
        notes="以上价格不含税。\n结算方式：月结 & 次月 10 日前支付 <按合同>。",
    )
    values.update(overrides)
    return QuotePdfData(**values)


def extract(data: bytes) -> tuple[list[str], str]:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    return pages, re.sub(r"\s+", "", "".join(pages))


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_quote_pdf(make_quote())


def test_is_a_pdf_with_title_metadata(rendered):
    assert rendered.startswith(b"%PDF-")
    meta = PdfReader(io.BytesIO(rendered)).metadata
    assert "客服外包服务报价单" in meta.title
    assert "BJ-2026-0007" in meta.title


def test_contains_parties_number_and_chinese_upper_total(rendered):
    _, text = extract(rendered)
    assert "客服外包服务报价单" in text
    assert "北京晨光家居" in text
    assert "北京晨光家居用品有限公司" in text
    assert "杭州云帆客服外包服务有限公司" in text
    assert "BJ-2026-0007" in text
    assert "第2版" in text
    assert "人民币壹万贰仟叁佰肆拾伍元陆角柒分" in text
    assert "¥12,345.67" in text
    assert "¥13,545.67" in text  # subtotal
    assert "-¥1,200.00" in text  # discount


def test_contains_dates_validity_needs_staffing_and_lines(rendered):
    _, text = extract(rendered)
    assert "2026年11月26日" in text
    assert "本报价有效期至2026年12月26日" in text
    assert "专人专席" in text
    for label, value in make_quote().needs:
        assert label in text
        assert re.sub(r"\s+", "", value) in text
    assert "需6名专席客服" in text
    for header in ("项目", "计算说明", "金额"):
        assert header in text
    assert "¥9,900.00" in text
    assert "¥1,645.67" in text
    assert "以上价格不含税" in text
    assert "授权代表签字" in text


def test_markup_in_values_renders_literally(rendered):
    _, text = extract(rendered)
    assert "<script>alert(1)</script>&知识库" in text
    assert "月结&次月10日前支付<按合同>" in text


def test_page_numbers_in_footer(rendered):
    pages, _ = extract(rendered)
    total = len(pages)
    for n, page in enumerate(pages, 1):
        assert f"第 {n} 页 / 共 {total} 页" in page


def test_rendering_twice_gives_same_text(rendered):
    again = render_quote_pdf(make_quote())
    assert extract(again) == extract(rendered)


def test_many_lines_span_pages_with_repeated_header():
    lines = [QuotePdfLine(f"附加服务{i}", f"第 {i} 项按次计费", 1000) for i in range(1, 81)]
    q = make_quote(lines=lines, subtotal_fen=80000, discount_fen=0, total_fen=80000, staffing=[])
    pages, text = extract(render_quote_pdf(q))
    assert len(pages) > 1
    table_pages = [p for p in pages if "附加服务" in p]
    assert len(table_pages) > 1
    for page in table_pages:
        assert "计算说明" in page
    assert "人民币捌佰元整" in text
    assert "附加服务80" in text


def test_zero_discount_and_lists_are_frozen():
    q = make_quote(subtotal_fen=1354567, discount_fen=0, total_fen=1354567)
    assert isinstance(q.needs, tuple) and isinstance(q.lines, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.total_fen = 1  # type: ignore[misc]
    _, text = extract(render_quote_pdf(q))
    assert "人民币壹万叁仟伍佰肆拾伍元陆角柒分" in text


def test_inconsistent_totals_are_refused():
    with pytest.raises(ValueError):
        make_quote(total_fen=1234568)
    with pytest.raises(ValueError):
        make_quote(subtotal_fen=1354568, total_fen=1234568)


def test_format_cn_date():
    assert format_cn_date(date(2026, 12, 26)) == "2026年12月26日"
    assert format_cn_date(date(2026, 1, 5)) == "2026年1月5日"
