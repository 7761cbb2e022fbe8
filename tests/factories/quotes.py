"""Accepted quotes made directly (no quote pages involved), with the demo's quote builder."""

from datetime import date, timedelta

from ops.demo.contracts import accepted_quote
from ops.quotes.models import Quote
from ops.ratecards.rules import NeedsInput, default_rate_card
from ops.timeutil import utcnow
from tests.factories.clients import TAX_IDS, make_client
from tests.factories.ratecards import make_rate_card

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


def make_accepted_quote(
    db,
    client=None,
    model: str = "fixed_seat",
    number: str = "BJ-2026-0001",
    needs: NeedsInput = NEEDS,
    valid_until: date = date(2026, 12, 1),
) -> Quote:
    """A committed accepted quote priced from the sample rate card's defaults.

    fixed_seat from NEEDS: 4 seats × ¥5,000.00 × 1.05 (complexity 3) = 4 × ¥5,250.00 = ¥21,000.00 a month.
    """
    card = make_rate_card(db)
    client = client or make_client(db, tax_id=TAX_IDS[0])
    quote = accepted_quote(
        client,
        model,
        needs,
        card,
        data=default_rate_card(),
        number=number,
        valid_until=valid_until,
        sent_at=utcnow() - timedelta(days=2),
        decided_at=utcnow(),
    )
    db.session.commit()
    return quote
