"""Helpers for the clients tests: a query counter and form data."""

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def count_queries(engine):
    """Count the SQL statements run on ``engine`` inside the block: ``with count_queries(e) as n: ...; n[0]``."""
    counter = [0]

    def before_cursor_execute(*_args):
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def needs_form(**overrides) -> dict:
    """A complete, valid needs form post."""
    data = {
        "platform": "tmall",
        "scope": "presales",
        "shifts": ["day"],
        "avg_daily_consults": "800",
        "peak_daily_consults": "2000",
        "peak_hour_share": "12",
        "aht_seconds": "180",
        "concurrency": "3",
        "sl_target": "80",
        "sl_answer_seconds": "30",
        "avg_order_value": "259.00",
        "inquiry_conversion": "20",
        "category": "家居家纺",
        "complexity": "3",
        "sku_count": "120",
        "special_requirements": "",
    }
    data.update(overrides)
    return data
