"""Tests for the shared PDF helpers (ops.pdf): text is checked through pypdf extraction."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import reportlab
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer

from ops import pdf
from ops.pdf import build_pdf, cjk_font, data_table, kv_table, para, qr_flowable, styles

VERA_TTF = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # shipped with ReportLab
WQY_TTC = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian: fonts-wqy-microhei

NASTY = "<script>alert('x')</script> & 公司 <b>不是粗体</b> &amp;"


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squash(text: str) -> str:
    """Drop all whitespace so that line wrapping cannot break a substring check."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def font() -> str:
    return cjk_font()


def test_default_font_is_builtin_cid_font_and_cached(font):
    assert font == "STSong-Light"
    assert cjk_font() == font
    assert cjk_font(None) == font
    assert pdf._font_cache[None] == font


def test_chinese_text_from_stsong_is_extractable(font):
    st = styles(font)
    data = build_pdf(
        [para("客服外包服务报价单：北京晨光家居用品有限公司", st["body"])], title="测试", font_name=font
    )
    assert data.startswith(b"%PDF-")
    (text,) = pages_text(data)
    assert "客服外包服务报价单：北京晨光家居用品有限公司" in text


def test_building_twice_reuses_font_and_styles(font):
    first = styles(font)
    assert styles(cjk_font()) is first
    for _ in range(2):
        data = build_pdf([para("再次生成", first["body"])], title="二次", font_name=cjk_font())
        assert "再次生成" in pages_text(data)[0]


def test_styles_wrap_cjk_and_use_the_font(font):
    st = styles(font)
    for key in ("title", "h2", "body", "small", "th", "td", "td_num"):
        assert st[key].fontName == font
        assert st[key].wordWrap == "CJK"
    assert st["td_num"].alignment == 2  # TA_RIGHT


def test_metadata_title_header_and_footer(font):
    st = styles(font)
    data = build_pdf(
        [para("第一页内容", st["body"]), PageBreak(), para("第二页内容", st["body"])],
        title="报价单 BJ-2026-0007",
        font_name=font,
        header_left="杭州云帆客服",
        header_right="BJ-2026-0007",
        footer="页脚文字",
    )
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "报价单 BJ-2026-0007"
    texts = pages_text(data)
    assert len(texts) == 2
    assert "第 1 页 / 共 2 页" in texts[0]
    assert "第 2 页 / 共 2 页" in texts[1]
    for text in texts:
        assert "杭州云帆客服" in text
        assert "BJ-2026-0007" in text
        assert "页脚文字" in text


def test_single_page_document_says_one_of_one(font):
    data = build_pdf([para("只有一页", styles(font)["body"])], title="t", font_name=font)
    (text,) = pages_text(data)
    assert "第 1 页 / 共 1 页" in text


def test_long_table_repeats_header_on_every_page(font):
    rows = [[f"第{i}行客服坐席", f"说明文字 {i}", f"¥{i},000.00"] for i in range(1, 81)]
    table = data_table(
        ["坐席名称", "计算说明", "金额"],
        rows,
        [50 * mm, 80 * mm, 40 * mm],
        font_name=font,
        numeric_cols=(2,),
    )
    data = build_pdf([table], title="长表格", font_name=font)
    texts = pages_text(data)
    assert len(texts) > 1
    for text in texts:
        assert "坐席名称" in text
        assert "计算说明" in text
    everything = "".join(texts)
    assert "第1行客服坐席" in everything
    assert "第80行客服坐席" in everything
    assert f"第 1 页 / 共 {len(texts)} 页" in texts[0]


def test_table_without_repeat_header(font):
    rows = [[f"行{i}", str(i)] for i in range(80)]
    table = data_table(["列头甲", "数"], rows, [80 * mm, 30 * mm], font_name=font, repeat_header=False)
    texts = pages_text(build_pdf([table], title="t", font_name=font))
    assert len(texts) > 1
    assert "列头甲" in texts[0]
    assert "列头甲" not in texts[1]


def test_markup_is_escaped_and_rendered_literally(font):
    st = styles(font)
    story = [
        para(NASTY, st["body"]),
        data_table(["项目", "金额"], [[NASTY, "1 & 2"], [None, 3]], [120 * mm, 40 * mm], font_name=font),
        kv_table([("客户 <x>", NASTY)], font_name=font),
    ]
    data = build_pdf(story, title="<title> & 测试", font_name=font, header_left="A & B <c>", footer="<f>")
    text = pages_text(data)[0]
    assert squash(text).count(squash(NASTY)) == 3
    assert "1 & 2" in text
    assert "客户 <x>" in text
    assert "A & B <c>" in text
    assert PdfReader(io.BytesIO(data)).metadata.title == "<title> & 测试"


def test_para_turns_newlines_into_line_breaks(font):
    text = pages_text(build_pdf([para("第一行\n第二行", styles(font)["body"])], title="t", font_name=font))[0]
    assert "第一行\n第二行" in text


def test_kv_table_two_columns(font):
    table = kv_table(
        [("平台", "天猫"), ("类目", "家居"), ("日均咨询", "2,400 次")],
        font_name=font,
        col_widths=(25 * mm, 60 * mm),
        columns=2,
        boxed=True,
    )
    assert len(table._cellvalues) == 2 and len(table._cellvalues[0]) == 4
    text = squash(pages_text(build_pdf([table], title="t", font_name=font))[0])
    for s in ("平台", "天猫", "类目", "家居", "日均咨询", "2,400次"):
        assert s in text


def test_long_unbroken_chinese_wraps_inside_cell(font):
    long_text = "超长的客服外包服务说明" * 30
    table = data_table(["说明"], [[long_text]], [60 * mm], font_name=font)
    text = pages_text(build_pdf([table], title="t", font_name=font))[0]
    assert squash(text).count("超长的客服外包服务说明") == 30
    assert text.count("\n") > 5  # it was wrapped, not run off the page


def test_qr_flowable_has_requested_size_and_renders(font):
    qr = qr_flowable("https://example.com/invoice/INV-2026-0001", 30)
    assert qr.width == pytest.approx(30 * mm)
    assert qr.height == pytest.approx(30 * mm)
    data = build_pdf(
        [qr, Spacer(1, 5 * mm), para("扫码查验", styles(font)["body"])], title="qr", font_name=font
    )
    assert data.startswith(b"%PDF-")
    assert "扫码查验" in pages_text(data)[0]


def test_ttf_font_is_embedded_and_cached():
    name = cjk_font(str(VERA_TTF))
    assert name != "STSong-Light"
    assert cjk_font(str(VERA_TTF)) == name
    data = build_pdf([para("Embedded TTF & <ok>", styles(name)["body"])], title="ttf", font_name=name)
    assert b"/FontFile2" in data  # TrueType program embedded (subset)
    assert "Embedded TTF & <ok>" in pages_text(data)[0]


def test_missing_ttf_raises():
    with pytest.raises(FileNotFoundError):
        cjk_font("/nonexistent/font.ttf")


@pytest.mark.skipif(not WQY_TTC.exists(), reason="needs Debian package fonts-wqy-microhei")
def test_embedded_chinese_ttc_is_extractable():
    name = cjk_font(str(WQY_TTC))
    data = build_pdf([para("文泉驿微米黑：客服外包", styles(name)["body"])], title="wqy", font_name=name)
    assert b"/FontFile2" in data
    assert "文泉驿微米黑：客服外包" in pages_text(data)[0]
