"""Invoice PDFs: ours (ReportLab) against a headless-browser peer (HTML printed by Chromium).

    .venv/bin/python bench/pdf_peer.py DB [--sample 40] [--rounds 3] [--png-dir /tmp/peer] [--json]

Billing products such as Lago and Invoice Ninja render an invoice as HTML and print it with a headless
Chromium kept running, one warm page reused for every document. This measures that way against ours on
the same invoices.

What is compared, per invoice of the sample:

- **ours**: ``ops.billing.pdf.render_invoice_pdf(data, ttf_path=<the app's PDF_FONT>)`` — exactly what a
  queue consumer runs when it stores an issued invoice's PDF (``ops/billing/services/pdfs.py``), from the
  invoice's frozen ``pdf_data`` to the PDF bytes, the font (WenQuanYi Micro Hei by default) embedded as a
  subset.
- **the peer**: the same frozen data → an HTML document (bench/peer_invoice.html, rendered by Jinja2,
  compiled once) with the same content: title, invoice facts, the verification QR code (the same text,
  ReportLab's encoder, error correction L, as inline SVG), both parties, the lines with their reasons,
  the totals with the amount in 大写, the KPI results when there are any, payment details and terms,
  deposit and notes, and a running header and footer with "第 N 页 / 共 M 页" (Chromium's header and
  footer templates); the labels and formatting come from ops.billing.pdf's own helpers. The same font
  file is loaded by ``@font-face`` (Chromium does not accept a font collection there, so the first face
  of the TTC — the one ReportLab embeds — is copied out once into a plain TTF). Printed A4 with the same
  margins by ``page.pdf()`` after ``page.set_content(html)`` on one page object reused for every
  invoice: Debian's Chromium (/usr/bin/chromium) driven by Playwright, launched, and one invoice
  rendered, before anything is timed.

Both are timed from the frozen data to the PDF bytes in this process (wall clock, ``perf_counter``),
interleaved invoice by invoice (and which goes first alternates) so that other work on the machine
slows both alike. Wall time is the fair comparison: the peer's work happens mostly in Chromium's
processes (and Playwright's driver), which this process's CPU time does not see. Also reported: our
CPU time per PDF (this process) and the peer's CPU per PDF summed over this process and every process
it started (driver, browser, renderer, GPU/utility; read from /proc over the whole loop, so it includes
their idle ticks during our renders — small). Bytes are each document's size (median and mean over the
sample). Ratios: peer ÷ ours, for ms and for bytes (the target is ≥ 3 for both). Page counts of both
are checked per invoice. ``png_dir`` gets the first invoice's first page of each as PNG (pdftoppm),
for a person to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEMPLATE = Path(__file__).with_name("peer_invoice.html")
CHROMIUM = Path(os.environ.get("OPS_E2E_CHROMIUM", "/usr/bin/chromium"))  # Debian's package, as tests/e2e
CHROMIUM_ARGS = [  # tests/e2e's flags: no sandbox (root in a container), no GPU, no background traffic
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
# ops/pdf.py's page: A4, margins 24 / 18 / 22 / 18 mm (the header and footer sit inside them), and
# within them ReportLab's frame pads 6 pt on every side while its tables, CONTENT_WIDTH wide, start at the
# left padding: the content sits 6 pt lower, 6 pt higher and 6 pt to the right, and ends 6 pt past the
# right padding. The same box here, so that the two break pages alike.
_PAD_MM = 6 / 72 * 25.4
PDF_OPTIONS: dict[str, Any] = {
    "format": "A4",
    "print_background": True,
    "display_header_footer": True,
    "margin": {
        "top": f"{24 + _PAD_MM:.2f}mm",
        "right": f"{18 - _PAD_MM:.2f}mm",
        "bottom": f"{22 + _PAD_MM:.2f}mm",
        "left": f"{18 + _PAD_MM:.2f}mm",
    },
}
TIMEOUT_MS = 30_000


# --- the sample --------------------------------------------------------------------------------


def sample_invoices(db_path: Path, sample: int) -> list[Any]:
    """``sample`` issued invoices spread evenly over the data set's history (by id), as their frozen
    ``pdf_data`` (what the stored PDF printed). Read-only: the file is opened ``mode=ro``."""
    from ops.billing.pdf import pdf_data_from_json

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM invoices WHERE number IS NOT NULL AND pdf_data IS NOT NULL ORDER BY id"
            )
        ]
        if not ids:
            raise SystemExit(f"{db_path}: no issued invoice with frozen PDF data")
        picked = sorted({ids[i * len(ids) // sample] for i in range(min(sample, len(ids)))})
        marks = ",".join("?" * len(picked))
        rows = conn.execute(f"SELECT pdf_data FROM invoices WHERE id IN ({marks}) ORDER BY id", picked)
        return [pdf_data_from_json(json.loads(text)) for (text,) in rows]
    finally:
        conn.close()


def configured_font() -> str | None:
    """The app's PDF_FONT (OPS_PDF_FONT, else WenQuanYi Micro Hei when installed), as ops.config reads it."""
    from ops.config import Config

    return Config.PDF_FONT


# --- the peer's HTML ---------------------------------------------------------------------------


def ttc_face(source: Path, target: Path, index: int = 0) -> Path:
    """Copy face ``index`` of a TrueType collection (.ttc) out into a plain .ttf at ``target``.

    Chromium's font sanitiser refuses collections in ``@font-face``; ReportLab embeds face 0
    (``subfontIndex=0``), so the peer gets the same face. A .ttf is returned as it is.
    """
    blob = source.read_bytes()
    if blob[:4] != b"ttcf":
        return source
    (offset,) = struct.unpack_from(">I", blob, 12 + 4 * index)
    version, count = struct.unpack_from(">IH", blob, offset)
    records = [struct.unpack_from(">4sIII", blob, offset + 12 + 16 * i) for i in range(count)]
    header = bytearray(struct.pack(">IHHHH", version, count, *struct.unpack_from(">HHH", blob, offset + 6)))
    body = bytearray()
    start = 12 + 16 * count
    for tag, checksum, table_offset, length in records:
        header += struct.pack(">4sIII", tag, checksum, start + len(body), length)
        body += blob[table_offset : table_offset + length]
        body += b"\0" * (-len(body) % 4)  # tables start on 4-byte boundaries
    target.write_bytes(bytes(header + body))
    return target


def qr_svg(text: str, size_mm: float) -> str:
    """The QR code ours prints (ops.pdf.qr_modules, a 4-module quiet zone) as inline SVG: one path, a
    rectangle per run of dark modules, as ops.pdf.QrCodeFlowable draws it."""
    from itertools import groupby

    from ops.pdf import qr_modules

    modules = qr_modules(text)
    border = 4
    side = len(modules) + 2 * border
    runs = []
    for r, row in enumerate(modules):
        column = 0
        for dark, run in groupby(row):
            count = len(list(run))
            if dark:
                runs.append(f"M{column + border} {r + border}h{count}v1h-{count}z")
            column += count
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{size_mm}mm" height="{size_mm}mm" shape-rendering="crispEdges">'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def invoice_view(data: Any) -> dict[str, Any]:
    """What the peer's template prints, worked out with ops.billing.pdf's own helpers (the same labels,
    dates, periods, quantities and totals as ours; see render_invoice_pdf and its _head/_closing)."""
    from markupsafe import Markup

    from ops.billing import pdf as ours
    from ops.money import format_fen, to_chinese_upper

    title = ours.TITLES.get(data.kind, ours.TITLES["invoice"])
    number = data.number or "（未编号）"
    period = ours.period_label(data.period_code, data.period_start, data.period_end)
    facts = [("编号", number), ("开具日期", ours.cn_date(data.issued_on))]
    if data.kind == "credit_note":
        facts += [("冲销原账单", data.reference or "—"), ("原服务期间", period)]
        if data.fapiao_reference:
            facts.append(("原发票号码", data.fapiao_reference))
        if data.red_reason:
            facts.append(("红字确认单原因", data.red_reason))
    else:
        facts += [("服务期间", period), ("到期日", ours.cn_date(data.due_on))]
        if data.replaces:
            facts.append(("替代账单", f"替代 {data.replaces}（已作废）"))
    facts.append(("发票类型", data.invoice_type))

    def party(p: Any) -> list[tuple[str, str]]:
        return [
            ("名称", p.name),
            ("纳税人识别号", p.tax_id),
            ("地址", p.address),
            ("电话", p.phone),
            ("开户行", p.bank_name),
            ("账号", p.bank_account),
        ]

    lines = [
        {
            "description": line.description,
            "reason": line.reason,
            "quantity": ours.format_quantity(line.quantity, line.unit),
            "unit": line.unit,
            "price": "—" if line.unit_price_fen is None else format_fen(line.unit_price_fen),
            "amount": format_fen(line.amount_fen),
        }
        for line in data.lines
        if line.kind != "deposit"
    ]
    kpis = [
        {
            "month": k.month,
            "label": k.label,
            "measured": k.measured,
            "target": k.target,
            "outcome": k.outcome,
            "note": k.note,
            "deduction": format_fen(-k.deduction_fen if k.deduction_fen else 0),
        }
        for k in data.kpi_results
    ]
    if data.kind == "credit_note":
        closing = [
            (
                "冲销说明",
                [
                    f"本单冲销账单 {data.reference} 的金额 {format_fen(-data.total_fen)}（含税），冲减该账单的应付余额。"
                ],
            )
        ]
    else:
        vendor = data.vendor
        closing = [
            (
                "付款方式",
                [
                    f"户名：{vendor.name}　开户行：{vendor.bank_name or '—'}　账号：{vendor.bank_account or '—'}"
                    f"　（付款时请备注账单编号 {number}）"
                ],
            )
        ]
        if data.payment_terms:
            closing.append(("付款条款", [data.payment_terms]))
        if data.deposit_remainder_fen:
            closing.append(
                (
                    "定金",
                    [
                        f"本单抵扣定金 {format_fen(-data.deposit_offset_fen)}，"
                        f"定金余额 {format_fen(data.deposit_remainder_fen)} 待退还。"
                    ],
                )
            )
    if data.notes:
        closing.append(("说明", list(data.notes)))
    total_label = "冲销总额" if data.kind == "credit_note" else "应付总额"
    return {
        "title": title,
        "number": number,
        "facts": facts,
        "qr_svg": Markup(qr_svg(data.verify_url or ours.qr_payload(data), ours.QR_MM)),
        "vendor": party(data.vendor),
        "client": party(data.client),
        "lines": lines,
        "totals": [(label, format_fen(amount)) for label, amount in ours._total_rows(data)],
        "total_label": total_label,
        "total": format_fen(data.total_fen),
        "total_upper": to_chinese_upper(data.total_fen),
        "kpis": kpis,
        "closing": closing,
        "vendor_name": data.vendor.name,
        "footer": f"{data.vendor.name}　{data.vendor.phone}".strip(),
    }


def html_renderer(font_url: str) -> Callable[[Any], tuple[str, str, str]]:
    """``render(data) -> (page html, header template, footer template)``; the template compiled once."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATE.parent), autoescape=select_autoescape(["html"]))
    template = env.get_template(TEMPLATE.name)

    def block(name: str, context: dict[str, Any]) -> str:
        return "".join(template.blocks[name](template.new_context(context)))

    def render(data: Any) -> tuple[str, str, str]:
        context = {"v": invoice_view(data), "font_url": font_url}
        return template.render(context), block("header", context), block("footer", context)

    return render


class Peer:
    """Chromium launched once, one page reused: ``peer.pdf(data) -> bytes``. Use as a context manager."""

    def __init__(self, font_path: str | None, workdir: Path):
        if not CHROMIUM.exists():
            raise SystemExit(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
        font = ttc_face(Path(font_path), workdir / "peer-font.ttf") if font_path else None
        self._render = html_renderer(font.as_uri() if font else "")
        # set_content keeps the page's address: a file:// page may load the file:// font.
        self._blank = workdir / "blank.html"
        self._blank.write_text("<!doctype html><title>peer</title>", encoding="utf-8")

    def __enter__(self) -> Peer:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        self.page = self._browser.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.goto(self._blank.as_uri())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._browser.close()
        self._playwright.stop()

    def pdf(self, data: Any) -> bytes:
        html, header, footer = self._render(data)
        self.page.set_content(html, wait_until="load")  # "load": the @font-face font is in
        return self.page.pdf(**PDF_OPTIONS, header_template=header, footer_template=footer)

    def font_loaded(self) -> bool:
        """True when the page's @font-face face loaded (False would mean a fallback font)."""
        return bool(self.page.evaluate("[...document.fonts].every(f => f.status === 'loaded')"))


# --- measuring -----------------------------------------------------------------------------------


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system, with reaped children) of ``root`` and every live descendant, from
    /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid and child not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(times.get(pid, 0) for pid in tree) / tick


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _png(pdf: bytes, target: Path) -> Path:
    """The first page of ``pdf`` as ``target`` (.png), 100 dpi, by poppler's pdftoppm."""
    source = target.with_suffix(".pdf")
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(target.with_suffix("")),
        ],
        check=True,
    )
    return target


def measure(db_path: Path, sample: int = 40, rounds: int = 3, png_dir: Path | None = None) -> dict[str, Any]:
    """Ours against the peer on ``sample`` issued invoices of the data set at ``db_path``, ``rounds``
    times each, interleaved (see the module docstring). Returns the figures as a JSON-able dict."""
    from importlib.metadata import version

    from ops.billing.pdf import render_invoice_pdf

    datas = sample_invoices(Path(db_path), sample)
    font = configured_font()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="pdf-peer-") as tmp, Peer(font, Path(tmp)) as peer:
        # Warm: fonts registered, styles built, the template compiled, Chromium's page and font loaded.
        ours_first, peer_first = render_invoice_pdf(datas[0], ttf_path=font), peer.pdf(datas[0])
        font_loaded = peer.font_loaded()
        ours_ms: list[float] = []
        ours_cpu_ms: list[float] = []
        peer_ms: list[float] = []
        ours_pdfs: list[bytes] = []  # round 0's documents, for sizes and page counts
        peer_pdfs: list[bytes] = []
        me = os.getpid()
        tree_start, own_start, wall_start = _tree_cpu_seconds(me), time.process_time(), time.perf_counter()
        for round_ in range(rounds):
            for i, data in enumerate(datas):
                for side in ("ours", "peer") if (round_ + i) % 2 == 0 else ("peer", "ours"):
                    if side == "ours":
                        cpu, started = time.process_time(), time.perf_counter()
                        pdf = render_invoice_pdf(data, ttf_path=font)
                        ours_ms.append((time.perf_counter() - started) * 1000)
                        ours_cpu_ms.append((time.process_time() - cpu) * 1000)
                        if round_ == 0:
                            ours_pdfs.append(pdf)
                    else:
                        started = time.perf_counter()
                        pdf = peer.pdf(data)
                        peer_ms.append((time.perf_counter() - started) * 1000)
                        if round_ == 0:
                            peer_pdfs.append(pdf)
        # The whole loop's CPU over this process and its descendants, less our renders: the peer's share.
        tree_cpu = _tree_cpu_seconds(me) - tree_start
        ours_cpu_total = sum(ours_cpu_ms) / 1000
        own_cpu = time.process_time() - own_start
        loop_wall = time.perf_counter() - wall_start
        font_loaded = font_loaded and peer.font_loaded()
        pngs = {}
        if png_dir is not None:
            png_dir.mkdir(parents=True, exist_ok=True)
            pngs = {
                "ours": str(_png(ours_first, png_dir / "ours.png")),
                "peer": str(_png(peer_first, png_dir / "peer.png")),
            }
    renders = len(datas) * rounds
    ours_bytes, peer_bytes = [len(pdf) for pdf in ours_pdfs], [len(pdf) for pdf in peer_pdfs]
    pages_ours, pages_peer = [_pages(pdf) for pdf in ours_pdfs], [_pages(pdf) for pdf in peer_pdfs]
    peer_cpu_ms = (tree_cpu - ours_cpu_total) / renders * 1000
    result = {
        "invoices": len(datas),
        "rounds": rounds,
        "lines_mean": round(statistics.mean(len(d.lines) for d in datas), 1),
        "with_kpi_results": sum(1 for d in datas if d.kpi_results),
        "font": font or "STSong-Light",
        "peer_font_loaded": font_loaded,
        "ours_ms": round(statistics.median(ours_ms), 1),
        "ours_cpu_ms": round(statistics.median(ours_cpu_ms), 1),
        "peer_ms": round(statistics.median(peer_ms), 1),
        "peer_cpu_ms": round(peer_cpu_ms, 1),
        "peer_own_process_cpu_ms": round((own_cpu - ours_cpu_total) / renders * 1000, 1),
        "ours_bytes_median": int(statistics.median(ours_bytes)),
        "ours_bytes_mean": round(statistics.mean(ours_bytes)),
        "peer_bytes_median": int(statistics.median(peer_bytes)),
        "peer_bytes_mean": round(statistics.mean(peer_bytes)),
        "pages_ours": dict(sorted(_count(pages_ours).items())),
        "pages_peer": dict(sorted(_count(pages_peer).items())),
        "pages_equal": sum(a == b for a, b in zip(pages_ours, pages_peer, strict=True)),
        "loop_seconds": round(loop_wall, 1),
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "chromium": subprocess.run(
            [str(CHROMIUM), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "playwright": version("playwright"),
        "reportlab": version("reportlab"),
        "png": pngs,
    }
    result["ms_ratio"] = round(result["peer_ms"] / result["ours_ms"], 2)
    result["cpu_ratio"] = round(result["peer_cpu_ms"] / result["ours_cpu_ms"], 2)
    result["bytes_ratio"] = round(result["peer_bytes_median"] / result["ours_bytes_median"], 2)
    result["bytes_mean_ratio"] = round(result["peer_bytes_mean"] / result["ours_bytes_mean"], 2)
    # Ours with ReportLab's built-in CID font (STSong-Light, not embedded: the reader supplies the
    # glyphs), the product's setting when no PDF_FONT is configured. Chromium always embeds a font.
    cid_bytes = [len(render_invoice_pdf(data, ttf_path=None)) for data in datas]
    result["ours_cid_bytes_median"] = int(statistics.median(cid_bytes))
    result["cid_bytes_ratio"] = round(result["peer_bytes_median"] / result["ours_cid_bytes_median"], 2)
    return result


def _count(values: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="a benchmark data set (bench/dataset.py), read only")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--png-dir", type=Path, help="write ours.png and peer.png (first invoice, page 1)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    r = measure(args.db, args.sample, args.rounds, args.png_dir)
    if args.json:
        print(json.dumps(r, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{r['invoices']} invoices × {r['rounds']} rounds, {r['lines_mean']} lines on average, "
        f"font {Path(r['font']).name}; {r['chromium']}, Playwright {r['playwright']}\n"
        f"  ours: {r['ours_ms']} ms per PDF (CPU {r['ours_cpu_ms']} ms), "
        f"{r['ours_bytes_median'] / 1024:.1f} KiB median ({r['ours_bytes_mean'] / 1024:.1f} mean)\n"
        f"  peer: {r['peer_ms']} ms per PDF (CPU {r['peer_cpu_ms']} ms over all its processes), "
        f"{r['peer_bytes_median'] / 1024:.1f} KiB median ({r['peer_bytes_mean'] / 1024:.1f} mean)\n"
        f"  peer ÷ ours: {r['ms_ratio']}× the time, {r['cpu_ratio']}× the CPU, {r['bytes_ratio']}× the bytes "
        f"(target ≥ 3× each)\n"
        f"  pages ours {r['pages_ours']}, peer {r['pages_peer']}, equal on {r['pages_equal']} of "
        f"{r['invoices']}; peer font loaded: {r['peer_font_loaded']}\n"
        f"  load average {r['load_start']} → {r['load_end']}; PNGs: {r['png'] or '-'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
