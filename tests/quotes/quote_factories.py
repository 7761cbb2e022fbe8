"""Helpers for the quote tests: clients whose needs make the arithmetic easy to do by hand."""

from ops.quotes import services
from tests.factories import make_client, make_needs, make_rate_card

# No Erlang inputs: staffing falls back to "consults per agent per day" (800 ÷ 200 = 4 seats).
RULE_NEEDS = dict(
    peak_hour_share_bp=None, aht_seconds=None, concurrency=None, sl_target_bp=None, sl_answer_seconds=None
)


def client_with_needs(db, name: str = "北京晨光家居旗舰店", **needs):
    client = make_client(db, name=name, legal_name=needs.pop("legal_name", "北京晨光家居用品有限公司"))
    make_needs(db, client, **(RULE_NEEDS | needs))
    return client


def make_quote(db, client=None, model: str = "fixed_seat", by=None):
    """A committed draft quote priced from the sample rate card."""
    make_rate_card(db)
    client = client or client_with_needs(db)
    quote = services.create_quote(client, model, by)
    db.session.commit()
    return quote


def send(db, quote, by=None, **kwargs):
    services.send_quote(quote, by, **kwargs)
    db.session.commit()
    return quote
