"""The benchmark's headless-browser peer (bench/pdf_peer.py) prints what our invoice PDF prints.

No browser here: the peer's HTML is checked against our PDF's extracted text, and its font and QR code
against ours. Its timing is the benchmark's business (no timed assertion).
"""

from __future__ import annotations

import io
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFontFace

from bench.pdf_peer import html_renderer, qr_svg, ttc_face
from ops.billing.pdf import (
    InvoicePdfData,
    InvoicePdfLine,
    KpiResultRow,
    Party,
    qr_payload,
    render_invoice_pdf,
)
from ops.pdf import qr_modules

WQY_TTC = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian: fonts-wqy-microhei

# One-line descriptions: a wrapped cell's second line is extracted after the rest of its row.
DATA = InvoicePdfData(
    kind="invoice",
    number="INV-2025-00042",
    vendor=Party(
        "杭州云帆客服外包有限公司",
        "91330106MA2B2QXY3M",
        "杭州市文三路 90 号",
        "0571-88886666",
        "招商银行",
        "5719001",
    ),
    client=Party("北京晨光家居用品有限公司", "91110108551385082Q", "北京市海淀区 1 号"),
    period_code="2025-03",
    period_start=date(2025, 3, 1),
    period_end=date(2025, 3, 31),
    issued_on=date(2025, 4, 3),
    due_on=date(2025, 5, 3),
    invoice_type="增值税专用发票",
    lines=(
        InvoicePdfLine("售前白班席位 2 席", "31", "天", None, 1_000_000),
        InvoicePdfLine("KPI 扣款 2025-03", "1", "项", None, -30_000, reason="响应超时率 12%", kind="kpi"),
        InvoicePdfLine("定金抵扣", "1", "项", None, -200_000, kind="deposit"),
    ),
    # 10,000.00 − 300.00 = 9,700.00 including 6 % tax: 9,700 × 6/106 = 549.056… → 549.06, net 9,150.94;
    # less the 2,000.00 deposit: 7,700.00 to pay.
    service_fen=1_000_000,
    deductions_fen=-30_000,
    adjustments_fen=0,
    net_fen=915_094,
    tax_rate_bp=600,
    tax_fen=54_906,
    prices_include_tax=True,
    deposit_offset_fen=-200_000,
    total_fen=770_000,
    payment_terms="请于 30 天内付款",
    notes=("三月起按新费率计费",),
    kpi_results=(
        KpiResultRow("2025-03", "响应超时率", "12%", "不高于 10%", "超标", 30_000, note="按合同扣款"),
    ),
    deposit_remainder_fen=100_000,
)


class _Text(HTMLParser):
    """The text of an HTML page's body, one entry per text node."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._in_body = False

    def handle_starttag(self, tag: str, _attrs: object) -> None:
        self._in_body = self._in_body or tag == "body"

    def handle_data(self, data: str) -> None:
        if self._in_body and data.strip():
            self.nodes.append(data.strip())


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def peer_text(data: InvoicePdfData) -> list[str]:
    html, _header, _footer = html_renderer("")(data)
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def test_every_text_the_peer_prints_is_in_our_pdf():
    ours = squash(
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_invoice_pdf(DATA))).pages)
    )
    nodes = peer_text(DATA)
    assert [node for node in nodes if squash(node) not in ours] == []
    # and it prints the document, not a shell: amounts, the KPI outcome, the deposit and the notes
    for expected in (
        "¥10,000.00",
        "-¥300.00",
        "原因：响应超时率 12%",
        "¥9,700.00",  # 明细合计: the printed lines without the deposit
        "¥549.06",
        "-¥2,000.00",  # the deposit, in the totals
        "¥7,700.00",
        "应付总额（大写）：人民币柒仟柒佰元整",
        "超标",
        "按合同扣款",
        "本单抵扣定金 ¥2,000.00，定金余额 ¥1,000.00 待退还。",
        "三月起按新费率计费",
        "扫码核验",
    ):
        assert any(expected in node for node in nodes), expected
    assert sum(node == "定金抵扣" for node in nodes) == 1  # in the totals only, not among the lines


def test_header_and_footer_name_the_vendor_the_document_and_the_pages():
    _html, header, footer = html_renderer("")(DATA)
    assert "杭州云帆客服外包有限公司" in header and "服务费结算单　INV-2025-00042" in header
    assert "杭州云帆客服外包有限公司　0571-88886666" in footer
    assert 'class="pageNumber"' in footer and 'class="totalPages"' in footer


def test_qr_svg_draws_exactly_the_modules_of_our_qr_code():
    text = qr_payload(DATA)
    modules = qr_modules(text)
    drawn = {(r, c) for r, row in enumerate(modules) for c, dark in enumerate(row) if dark}
    painted = set()
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", qr_svg(text, 24)):
        painted |= {(int(y) - 4, int(x) - 4 + i) for i in range(int(width))}  # less the quiet zone
    assert painted == drawn
    assert f'viewBox="0 0 {len(modules) + 8} {len(modules) + 8}"' in qr_svg(text, 24)


@pytest.mark.skipif(not WQY_TTC.exists(), reason="needs Debian package fonts-wqy-microhei")
def test_ttc_face_is_the_face_reportlab_embeds(tmp_path):
    copied = ttc_face(WQY_TTC, tmp_path / "face.ttf")
    assert copied.read_bytes()[:4] == b"\x00\x01\x00\x00"  # a plain TrueType font, not a collection
    ours, peer = TTFontFace(str(WQY_TTC), subfontIndex=0), TTFontFace(str(copied))
    assert (peer.name, peer.numGlyphs, peer.charToGlyph) == (ours.name, ours.numGlyphs, ours.charToGlyph)
    assert ttc_face(copied, tmp_path / "again.ttf") == copied  # a .ttf is used as it is
