"""Moved to ``ops.ratecards.rules`` (issue 12). This alias only keeps the demo builders,
``tests/factories.py`` and ``bench/dataset.py`` importing until they move to ``ops/demo/``;
delete it once nothing imports ``ops.quotes.ratecard``."""

from ops.ratecards.rules import NeedsInput, build_terms, result_to_json, terms_to_pricing

__all__ = ["NeedsInput", "build_terms", "result_to_json", "terms_to_pricing"]
