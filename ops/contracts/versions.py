"""Contract terms versioned by effective date: the base terms and the accepted amendments (补充协议).

Pure: no Flask, no database.

An accepted amendment replaces the contract's seat rows and monthly extras (its ``terms`` hold the
full ``seats`` and ``extras`` lists after the change) from its ``effective_on`` day (inclusive)
until the next accepted amendment's day. Everything else (model, commission, tiers, KPIs, dates)
stays as the contract froze it. ``terms_on`` gives the terms in force on a day, ``term_segments``
the consecutive date ranges of a period with the terms in force on each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from ops.contracts.terms import ContractTerms

# The keys an amendment changes.
AMENDED_KEYS = ("seats", "extras")

Version = tuple[date, dict[str, Any]]  # (effective_on, {"seats": [...], "extras": [...]})
Segment = tuple[date, date, ContractTerms]  # (first day, last day inclusive, terms in force)


def _merged(base: ContractTerms, amended: dict[str, Any]) -> ContractTerms:
    terms: dict[str, Any] = dict(base)
    for key in AMENDED_KEYS:
        if key in amended:
            terms[key] = list(amended[key])
    return terms  # type: ignore[return-value]


def _sorted(versions: Sequence[Version]) -> list[Version]:
    return sorted(versions, key=lambda v: v[0])


def terms_on(base: ContractTerms, versions: Sequence[Version], day: date) -> ContractTerms:
    """The terms in force on ``day``: the last version effective on or before it, else the base."""
    terms = base
    for effective_on, amended in _sorted(versions):
        if effective_on <= day:
            terms = _merged(base, amended)
    return terms


def term_segments(base: ContractTerms, versions: Sequence[Version], start: date, end: date) -> list[Segment]:
    """[(first, last, terms)] covering [start, end] (inclusive) in order, split at every effective
    date inside it; one segment when no version takes effect inside the range (empty when start > end)."""
    if start > end:
        return []
    cuts = sorted({v[0] for v in versions if start < v[0] <= end})
    segments: list[Segment] = []
    first = start
    for cut in [*cuts, end + timedelta(days=1)]:
        segments.append((first, cut - timedelta(days=1), terms_on(base, versions, first)))
        first = cut
    return segments
