"""The PDF reprint of an issued invoice with its fapiao (重印副本).

The stored PDF is immutable (bytes + SHA-256 at issue, from the frozen ``pdf_data``), and a fapiao is
issued after it. A reprint renders the same frozen ``pdf_data`` again with a box of what was
recorded since (数电票号码, 开票日期, 发票状态), titled 重印副本; it is made on request and never
stored, so the original (and its checksum, its verification QR code) stays what the client received.
"""

from flask import current_app

from ops.billing.models import Invoice
from ops.billing.pdf import pdf_data_from_json, render_invoice_pdf
from ops.fapiao.rules import FAPIAO_STATUS_LABELS
from ops.timeutil import today


def reprint_facts(invoice: Invoice) -> tuple[tuple[str, str], ...]:
    """The facts printed in the reprint's box (Chinese, as documents are)."""
    if invoice.fapiao_number:
        facts = [
            ("数电票号码", invoice.fapiao_number),
            ("开票日期", invoice.fapiao_date.isoformat() if invoice.fapiao_date else "—"),
            ("发票状态", FAPIAO_STATUS_LABELS.get(invoice.fapiao_status or "", "—")),
        ]
    else:
        facts = [("数电票号码", "尚未开具")]
    if invoice.status == "void":
        facts.append(("账单状态", "已作废"))
    facts.append(("重印日期", today().isoformat()))
    return tuple(facts)


def reprint_pdf(invoice: Invoice) -> bytes:
    """The reprint of ``invoice`` (issued, with ``pdf_data``): the frozen document plus the fapiao box."""
    data = pdf_data_from_json(invoice.pdf_data)
    return render_invoice_pdf(
        data, ttf_path=current_app.config.get("PDF_FONT"), reprint=reprint_facts(invoice)
    )


def reprint_filename(invoice: Invoice) -> str:
    return f"{invoice.number}_重印副本.pdf"
