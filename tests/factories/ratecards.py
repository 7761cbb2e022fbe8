"""The rate card every quote is priced from: the sample card the demo publishes as v1."""

from ops.ratecards.services import ensure_default_rate_card


def make_rate_card(db):
    card = ensure_default_rate_card()
    db.session.commit()
    return card
