"""Rate cards (价目表): the pure rules (``rules``), their services, forms and admin pages. The
``RateCard`` model stays in ``ops.quotes.models`` (quotes record the card they were priced on)."""
