"""Small factories for tests: plain functions that create committed rows.

Where a factory makes what the demo also makes (the sample needs, the sample rate card, an accepted quote), it starts
from the demo's builders in ``ops.demo`` so the two do not drift apart.
"""

from tests.factories.clients import TAX_IDS, make_client, make_needs
from tests.factories.quotes import make_accepted_quote
from tests.factories.ratecards import make_rate_card

__all__ = ["TAX_IDS", "make_accepted_quote", "make_client", "make_needs", "make_rate_card"]
