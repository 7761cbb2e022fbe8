"""Moved to ``ops.ratecards.services`` (issue 12). This alias only keeps the demo builders,
``tests/factories.py`` and ``bench/dataset.py`` importing until they move to ``ops/demo/``;
delete it once nothing imports ``ops.quotes.ratecard_services``."""

from ops.ratecards.services import ensure_default_rate_card, load_ratecards_demo

__all__ = ["ensure_default_rate_card", "load_ratecards_demo"]
