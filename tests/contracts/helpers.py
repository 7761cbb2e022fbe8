"""Helpers for the contract tests: accepted quotes made directly (no quote pages involved)."""

from datetime import date, timedelta

from ops.contracts import services
from ops.quotes.models import Quote
from ops.quotes.pricing import calculate_quote
from ops.ratecards.rules import NeedsInput, build_terms, default_rate_card, result_to_json, terms_to_pricing
from ops.timeutil import utcnow
from tests.factories import TAX_IDS, make_client, make_rate_card

# 800 consults a day ÷ 200 per agent = 4 pre-sales day seats (no Erlang inputs).
NEEDS = NeedsInput(
    platform="tmall",
    scope="presales",
    shifts=("day",),
    avg_daily_consults=800,
    category="家居家纺",
    complexity=3,
    avg_order_value_fen=25_000,
    inquiry_conversion_bp=2_000,
)
START = date(2026, 12, 1)


def make_accepted_quote(
    db, client=None, model: str = "fixed_seat", number: str = "BJ-2026-0001", needs: NeedsInput = NEEDS
) -> Quote:
    """A committed accepted quote priced from the sample rate card.

    fixed_seat from NEEDS: 4 seats × ¥5,000.00 × 1.05 (complexity 3) = 4 × ¥5,250.00 = ¥21,000.00 a month.
    """
    card = make_rate_card(db)
    client = client or make_client(db, tax_id=TAX_IDS[0])
    terms, staffing = build_terms(needs, default_rate_card(), model)
    result = calculate_quote(terms_to_pricing(terms))
    quote = Quote(
        client_id=client.id,
        number=number,
        version=1,
        status="accepted",
        model=model,
        rate_card_id=card.id,
        terms=terms,
        lines=result_to_json(result),
        staffing=staffing,
        subtotal_fen=result.subtotal_fen,
        discount_fen=result.discount_fen,
        total_fen=result.total_fen,
        sent_at=utcnow() - timedelta(days=2),
        valid_until=START,
        decided_at=utcnow(),
    )
    db.session.add(quote)
    db.session.commit()
    return quote


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
