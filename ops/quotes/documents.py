"""The quote as a document: the PDF's values, the PDF, its file name.

The vendor's identity (name, address, phone) is the /admin/vendor profile, as on every PDF.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ops.contracts.services.vendor import vendor_identity
from ops.quotes import pricing
from ops.quotes.models import Quote
from ops.quotes.pdf import QuotePdfData, QuotePdfLine, render_quote_pdf
from ops.quotes.reading import needs_summary
from ops.timeutil import local
from ops.timeutil import today as business_today


def quote_pdf_data(
    quote: Quote, vendor_name: str, vendor_address: str = "", vendor_phone: str = ""
) -> QuotePdfData:
    """The plain values the quote PDF shows (no discount line: the totals block shows it)."""
    issued_on = local(quote.sent_at).date() if quote.sent_at else business_today()
    valid_until = quote.valid_until or issued_on + timedelta(days=quote.valid_days)
    lines = [
        QuotePdfLine(line["description"], line["explanation"], line["amount_fen"])
        for line in quote.lines
        if line["kind"] != "discount"
    ]
    return QuotePdfData(
        vendor_name=vendor_name,
        vendor_address=vendor_address,
        vendor_phone=vendor_phone,
        client_name=quote.client.name,
        client_legal_name=quote.client.legal_name or quote.client.name,
        quote_number=quote.number,
        version=quote.version,
        issued_on=issued_on,
        valid_until=valid_until,
        model_label=pricing.MODELS[quote.model],
        needs=needs_summary(quote.needs),
        staffing=quote.staffing or [],
        lines=lines,
        subtotal_fen=quote.subtotal_fen,
        discount_fen=quote.discount_fen,
        total_fen=quote.total_fen,
        notes=quote.notes or "",
        per_day_prices=tuple(quote.per_day_prices),
    )


def pdf_filename(quote: Quote) -> str:
    return f"{quote.number}-v{quote.version}.pdf"


def render_pdf(quote: Quote) -> bytes:
    """The quote's PDF (the vendor from its profile, the font from the app's configuration)."""
    vendor = vendor_identity()
    data = quote_pdf_data(quote, vendor.name, vendor.address, vendor.phone)
    return render_quote_pdf(data, ttf_path=current_app.config["PDF_FONT"])
