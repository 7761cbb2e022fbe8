"""Helpers for the contract tests: contracts from accepted quotes (tests/factories/quotes.py)."""

from datetime import date

from ops.contracts import services
from tests.factories.quotes import make_accepted_quote

START = date(2026, 12, 1)


def make_contract(db, quote=None, *, start_on: date = START, months: int = 12, **quote_kwargs):
    """A committed draft contract from an accepted quote."""
    quote = quote or make_accepted_quote(db, **quote_kwargs)
    contract = services.create_from_quote(quote, None, start_on=start_on, months=months)
    db.session.commit()
    return contract


def minimal_pdf(text: str = "signed") -> bytes:
    """A small, valid PDF made with ReportLab."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def sign_and_pay(db, contract, *, received_on: date | None = None):
    """pending_signature with the deposit received and a signed copy stored (committed)."""
    import io

    from werkzeug.datastructures import FileStorage

    if contract.status == "draft":
        services.submit_for_signature(contract)
    if contract.deposit_status == "due":
        services.receive_deposit(
            contract, contract.deposit_fen, received_on or date(2026, 11, 20), "BANK-001"
        )
    services.upload_signed_copy(contract, FileStorage(io.BytesIO(minimal_pdf()), filename="signed.pdf"))
    db.session.commit()
    return contract
