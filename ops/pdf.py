"""Shared PDF building blocks for quotes, contracts and invoices.

Pure module: ReportLab (platypus) only, no Flask, no database, no network.

Fonts
    ``cjk_font()`` registers ReportLab's built-in CID font ``STSong-Light``
    (Adobe-GB1, ``UniGB-UCS2-H``).  It is *not* embedded: the PDF is tiny and
    pypdf/poppler map the text back to Unicode, but how the glyphs look
    depends on the viewer's substitute font (Acrobat ships one; poppler uses
    whatever fontconfig finds for ``:lang=zh``).  For documents that must look
    identical everywhere pass a TTF/TTC path: ReportLab embeds a subset of it.

Everything registered or built here is cached at module level so that a
billing run rendering a thousand PDFs pays for font registration and style
creation only once.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

__all__ = [
    "CONTENT_WIDTH",
    "DEFAULT_CID_FONT",
    "PAGE_SIZE",
    "build_pdf",
    "cjk_font",
    "data_table",
    "kv_table",
    "para",
    "parties_table",
    "qr_flowable",
    "styles",
    "text_cell",
    "text_style",
]

DEFAULT_CID_FONT = "STSong-Light"

PAGE_SIZE = A4
MARGIN_LEFT = 18 * mm
MARGIN_RIGHT = 18 * mm
MARGIN_TOP = 24 * mm  # leaves room for the running header
MARGIN_BOTTOM = 22 * mm  # leaves room for the running footer
CONTENT_WIDTH = PAGE_SIZE[0] - MARGIN_LEFT - MARGIN_RIGHT

TEXT_COLOR = colors.HexColor("#1f2933")
MUTED_COLOR = colors.HexColor("#616e7c")
RULE_COLOR = colors.HexColor("#9aa5b1")
GRID_COLOR = colors.HexColor("#cbd2d9")
HEADER_BG = colors.HexColor("#e4ebf5")
STRIPE_BG = colors.HexColor("#f7f9fc")
ACCENT_COLOR = colors.HexColor("#1d4e89")

# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------

_font_lock = threading.Lock()
_font_cache: dict[str | None, str] = {}


def cjk_font(ttf_path: str | None = None) -> str:
    """Register a CJK-capable font once and return its ReportLab font name.

    ``None`` -> built-in CID font ``STSong-Light`` (not embedded).
    A ``.ttf``/``.otf``(TrueType outlines)/``.ttc`` path -> embedded subset;
    for collections the first face is used.
    """
    key = None if ttf_path is None else str(Path(ttf_path).resolve())
    cached = _font_cache.get(key)
    if cached is not None:
        return cached
    with _font_lock:
        cached = _font_cache.get(key)
        if cached is not None:
            return cached
        if key is None:
            name = DEFAULT_CID_FONT
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(UnicodeCIDFont(name))
        else:
            path = Path(key)
            if not path.is_file():
                raise FileNotFoundError(f"CJK font file not found: {ttf_path}")
            stem = re.sub(r"[^A-Za-z0-9]+", "", path.stem)[:24] or "CJK"
            digest = hashlib.sha1(key.encode()).hexdigest()[:8]
            name = f"{stem}-{digest}"
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, key, subfontIndex=0))
        _font_cache[key] = name
        return name


# ---------------------------------------------------------------------------
# Paragraph styles
# ---------------------------------------------------------------------------


@lru_cache(maxsize=16)
def styles(font_name: str) -> dict[str, ParagraphStyle]:
    """Paragraph styles for *font_name* (cached; treat the result as read-only).

    Keys: title, subtitle, h2, body, small, muted, th, td, td_num, label,
    value, total, total_num.
    """
    base = ParagraphStyle(
        "cjk-base",
        fontName=font_name,
        fontSize=10,
        leading=15,
        textColor=TEXT_COLOR,
        wordWrap="CJK",
        alignment=TA_LEFT,
    )

    def s(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "title": s(
            "title", fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=2 * mm, textColor=ACCENT_COLOR
        ),
        "subtitle": s("subtitle", fontSize=9.5, leading=14, alignment=TA_CENTER, textColor=MUTED_COLOR),
        "h2": s(
            "h2", fontSize=12.5, leading=18, spaceBefore=5 * mm, spaceAfter=2 * mm, textColor=ACCENT_COLOR
        ),
        "body": s("body"),
        "small": s("small", fontSize=8.5, leading=12.5),
        "muted": s("muted", fontSize=8.5, leading=12.5, textColor=MUTED_COLOR),
        "th": s("th", fontSize=9.5, leading=13, textColor=ACCENT_COLOR),
        "th_num": s("th_num", fontSize=9.5, leading=13, textColor=ACCENT_COLOR, alignment=TA_RIGHT),
        "td": s("td", fontSize=9.5, leading=13.5),
        "td_num": s("td_num", fontSize=9.5, leading=13.5, alignment=TA_RIGHT),
        "label": s("label", fontSize=9.5, leading=14, textColor=MUTED_COLOR),
        "value": s("value", fontSize=10, leading=14.5),
        "total": s("total", fontSize=11.5, leading=17),
        "total_num": s("total_num", fontSize=11.5, leading=17, alignment=TA_RIGHT),
    }


def esc(text: object) -> str:
    """Escape a value for Paragraph mini-markup; newlines become ``<br/>``."""
    if text is None:
        return ""
    return escape(str(text)).replace("\r\n", "\n").replace("\n", "<br/>")


def para(text: object, style: ParagraphStyle) -> Paragraph:
    """A Paragraph showing *text* literally (``<``, ``&`` etc. are escaped)."""
    return Paragraph(esc(text), style)


# ---------------------------------------------------------------------------
# Document assembly
# ---------------------------------------------------------------------------


def _numbered_canvas(font_name: str) -> type[Canvas]:
    """A canvas class that defers page output so it can print "第 N 页 / 共 M 页"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab ships no type information
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_page_states: list[dict[str, Any]] = []

        def showPage(self) -> None:  # ReportLab API name
            self._saved_page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_page_states)
            for state in self._saved_page_states:
                self.__dict__.update(state)
                self._draw_page_number(total)
                super().showPage()
            super().save()

        def _draw_page_number(self, total: int) -> None:
            self.saveState()
            self.setFont(font_name, 8.5)
            self.setFillColor(MUTED_COLOR)
            self.drawRightString(
                PAGE_SIZE[0] - MARGIN_RIGHT,
                MARGIN_BOTTOM - 10 * mm,
                f"第 {self._pageNumber} 页 / 共 {total} 页",
            )
            self.restoreState()

    return NumberedCanvas


def _fit(text: str, font_name: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(text, font_name, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font_name, size) > width:
        text = text[:-1]
    return text + "…"


def build_pdf(
    story: list[Any],
    *,
    title: str,
    font_name: str,
    header_left: str = "",
    header_right: str = "",
    footer: str = "",
    author: str = "",
    subject: str = "",
    invariant: bool = False,
) -> bytes:
    """Lay out *story* on A4 with a running header/footer and return the PDF bytes.

    ``invariant``: no creation time or random document id in the file, so the same story always gives
    the same bytes (a stored document re-rendered hashes to the same SHA-256).
    """
    page_w, page_h = PAGE_SIZE
    half = CONTENT_WIDTH / 2 - 4 * mm

    def decorate(canv: Canvas, _doc: object) -> None:
        canv.saveState()
        header_y = page_h - MARGIN_TOP + 9 * mm
        canv.setFont(font_name, 8.5)
        canv.setFillColor(MUTED_COLOR)
        if header_left:
            canv.drawString(MARGIN_LEFT, header_y, _fit(header_left, font_name, 8.5, half))
        if header_right:
            canv.drawRightString(page_w - MARGIN_RIGHT, header_y, _fit(header_right, font_name, 8.5, half))
        canv.setStrokeColor(RULE_COLOR)
        canv.setLineWidth(0.6)
        canv.line(MARGIN_LEFT, header_y - 2.2 * mm, page_w - MARGIN_RIGHT, header_y - 2.2 * mm)
        footer_y = MARGIN_BOTTOM - 10 * mm
        canv.line(MARGIN_LEFT, footer_y + 4 * mm, page_w - MARGIN_RIGHT, footer_y + 4 * mm)
        if footer:
            canv.drawString(MARGIN_LEFT, footer_y, _fit(footer, font_name, 8.5, CONTENT_WIDTH - 40 * mm))
        canv.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=author or None,
        subject=subject or None,
        creator="ops",
        lang="zh-CN",
        displayDocTitle=True,
        initialFontName=font_name,
        invariant=1 if invariant else None,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_numbered_canvas(font_name))
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Tables and other flowables
# ---------------------------------------------------------------------------


def text_cell(value: object, style: ParagraphStyle, width: float | None = None) -> Flowable | str:
    """A table cell showing *value* literally.

    Text on one line that fits in *width* points stays a string, drawn by the table in the font and
    colour its style commands give (``text_style``): a Paragraph per cell (markup parsed, CJK line
    breaking) was most of the time spent on a table. Anything longer becomes a wrapping Paragraph.
    """
    if isinstance(value, Flowable):
        return value
    if width is not None:
        text = "" if value is None else str(value)
        if (
            "\n" not in text
            and "\r" not in text
            and pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= width
        ):
            return text
    return para(value, style)


def text_style(first: tuple[int, int], last: tuple[int, int], style: ParagraphStyle) -> list[tuple[Any, ...]]:
    """Table style commands that draw string cells of a region as *style* would."""
    commands: list[tuple[Any, ...]] = [
        ("FONT", first, last, style.fontName, style.fontSize, style.leading),
        ("TEXTCOLOR", first, last, style.textColor),
    ]
    if style.alignment == TA_RIGHT:
        commands.append(("ALIGN", first, last, "RIGHT"))
    return commands


def data_table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    col_widths: Sequence[float],
    *,
    font_name: str,
    numeric_cols: Iterable[int] = (),
    repeat_header: bool = True,
    zebra: bool = True,
) -> Table:
    """A grid table; every cell is an escaped, wrapping Paragraph.

    Cells that already are Flowables are used as they are.  *numeric_cols*
    (0-based indexes) are right-aligned.  The header row repeats on every page.
    """
    st = styles(font_name)
    numeric = set(numeric_cols)
    inner = [w - 10 for w in col_widths]  # less the left and right padding below
    head = [st["th_num"] if i in numeric else st["th"] for i in range(len(header))]
    body = [st["td_num"] if i in numeric else st["td"] for i in range(len(header))]
    data: list[list[Flowable | str]] = [[text_cell(h, head[i], inner[i]) for i, h in enumerate(header)]]
    for row in rows:
        data.append([text_cell(v, body[i], inner[i]) for i, v in enumerate(row)])
    text_styles = [
        cmd
        for i in range(len(header))
        for cmd in (*text_style((i, 0), (i, 0), head[i]), *text_style((i, 1), (i, -1), body[i]))
    ]
    commands: list[tuple[Any, ...]] = [
        *text_styles,
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEABOVE", (0, 0), (-1, 0), 0.9, ACCENT_COLOR),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, ACCENT_COLOR),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, GRID_COLOR),
        ("LINEBELOW", (0, -1), (-1, -1), 0.9, ACCENT_COLOR),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    if zebra and len(data) > 2:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE_BG]))
    table = Table(
        data,
        colWidths=list(col_widths),
        repeatRows=1 if repeat_header else 0,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(commands))
    return table


def kv_table(
    pairs: Sequence[tuple[str, object]],
    *,
    font_name: str,
    col_widths: Sequence[float] = (26 * mm, CONTENT_WIDTH - 26 * mm),
    columns: int = 1,
    boxed: bool = False,
) -> Table:
    """Label/value block.  ``columns=2`` lays pairs out as label|value|label|value."""
    st = styles(font_name)
    label_w, value_w = col_widths[0] - 8, col_widths[1] - 8  # less the padding below
    cells = [(text_cell(k, st["label"], label_w), text_cell(v, st["value"], value_w)) for k, v in pairs]
    data: list[list[Flowable | str]] = []
    for start in range(0, len(cells), columns):
        row: list[Flowable | str] = []
        chunk = cells[start : start + columns]
        for label, value in chunk:
            row.extend([label, value])
        row.extend([""] * (2 * (columns - len(chunk))))
        data.append(row)
    if not data:
        data = [[""] * (2 * columns)]
    widths = list(col_widths)
    if len(widths) == 2 and columns > 1:
        widths = widths * columns
    commands: list[tuple[Any, ...]] = [
        *(
            cmd
            for c in range(columns)
            for cmd in (
                *text_style((2 * c, 0), (2 * c, -1), st["label"]),
                *text_style((2 * c + 1, 0), (2 * c + 1, -1), st["value"]),
            )
        ),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if boxed:
        commands += [
            ("BOX", (0, 0), (-1, -1), 0.6, GRID_COLOR),
            ("INNERGRID", (0, 0), (-1, -1), 0.4, GRID_COLOR),
            *[("BACKGROUND", (c, 0), (c, -1), STRIPE_BG) for c in range(0, 2 * columns, 2)],
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
    table = Table(data, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code of *text* as rows of modules (True = dark), without the quiet zone.

    Error correction level L, as ReportLab's encoder drew it before (the same version, so the same
    size on the page). segno chooses the mask as the standard says, about twice as fast as
    ReportLab's pure-Python search over the eight masks, which was a fifth of an invoice's render.
    """
    return [[bool(m) for m in row] for row in segno.make_qr(text, error="L", boost_error=False).matrix]


class QrCodeFlowable(Flowable):  # type: ignore[misc]  # ReportLab ships no type information
    """A square QR code (``qr_modules``) drawn straight onto the canvas.

    Encoded once, and every dark run of a row is one rectangle of a single filled path: ReportLab's
    ``QrCodeWidget`` in a ``Drawing`` encodes the text twice (bounds, then drawing) and builds a shape
    object per run, which was half the time of rendering an invoice.
    """

    BORDER = 4  # the quiet zone, in modules (as the widget draws it)

    def __init__(self, text: str, size: float):
        super().__init__()
        self.width = self.height = size
        self._rows = qr_modules(text)

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        box = self.width / (len(self._rows) + 2 * self.BORDER)
        path = self.canv.beginPath()
        for r, row in enumerate(self._rows):
            column = 0
            for dark, run in groupby(row):
                count = len(list(run))
                if dark:
                    path.rect(
                        (column + self.BORDER) * box,
                        self.height - (r + self.BORDER + 1) * box,
                        count * box,
                        box,
                    )
                column += count
        self.canv.saveState()
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)
        self.canv.restoreState()


def qr_flowable(text: str, size_mm: float) -> Flowable:
    """A square QR code of *size_mm* millimetres (see QrCodeFlowable)."""
    return QrCodeFlowable(text, size_mm * mm)


def parties_table(
    left_title: str,
    right_title: str,
    left: Flowable,
    right: Flowable,
    *,
    font_name: str,
    vertical_padding: float = 4,
) -> Table:
    """The two parties side by side under a shaded heading row (quotes, contracts, invoices)."""
    st = styles(font_name)
    table = Table(
        [[para(left_title, st["th"]), para(right_title, st["th"])], [left, right]],
        colWidths=[CONTENT_WIDTH / 2] * 2,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                ("BOX", (0, 0), (-1, -1), 0.6, GRID_COLOR),
                ("LINEAFTER", (0, 0), (0, -1), 0.6, GRID_COLOR),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, ACCENT_COLOR),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), vertical_padding),
                ("BOTTOMPADDING", (0, 0), (-1, -1), vertical_padding),
            ]
        )
    )
    return table
