"""Usage for display: the upload template, seconds, a period's totals and a daily chart series.

Pure: no Flask, no database.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ops.usage.fields import CSV_TEMPLATE_HEADERS


def template_csv(headers: tuple[str, ...] = CSV_TEMPLATE_HEADERS) -> bytes:
    """The upload template: Chinese headers (or the English field names, which the import accepts too),
    UTF-8 with BOM so Excel opens it correctly."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(headers)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def format_seconds(ms: int | None) -> str:
    """Milliseconds as seconds with one decimal, rounded half-up: 12_345 -> "12.3"; None -> ""."""
    if ms is None:
        return ""
    return str((Decimal(ms) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class UsageSummary:
    """A period's totals; KPI figures are averages weighted by consults (days without a figure skipped)."""

    days: int
    consults: int
    valid_consults: int
    served_gmv_fen: int
    refunds_fen: int
    first_response_ms: int | None
    avg_response_ms: int | None
    reply_3min_bp: int | None
    inquiry_conversion_bp: int | None
    satisfaction_bp: int | None
    dispute_refund_bp: int | None


def _weighted(items, attr: str) -> int | None:
    total = weight = 0
    for item in items:
        value = getattr(item, attr)
        if value is not None and item.consults:
            total += value * item.consults
            weight += item.consults
    if not weight:
        return None
    return int((Decimal(total) / weight).to_integral_value(rounding=ROUND_HALF_UP))


def summarize(items) -> UsageSummary:
    """Totals of any objects with the UsageRow figure attributes (rows or stored records)."""
    items = list(items)
    return UsageSummary(
        days=len({item.day for item in items}),
        consults=sum(item.consults for item in items),
        valid_consults=sum(item.valid_consults for item in items),
        served_gmv_fen=sum(item.served_gmv_fen for item in items),
        refunds_fen=sum(item.refunds_fen for item in items),
        first_response_ms=_weighted(items, "first_response_ms"),
        avg_response_ms=_weighted(items, "avg_response_ms"),
        reply_3min_bp=_weighted(items, "reply_3min_bp"),
        inquiry_conversion_bp=_weighted(items, "inquiry_conversion_bp"),
        satisfaction_bp=_weighted(items, "satisfaction_bp"),
        dispute_refund_bp=_weighted(items, "dispute_refund_bp"),
    )


def daily_series(items, first: date, last: date) -> dict:
    """Consults and valid consults per day from ``first`` to ``last`` (inclusive), all platforms summed.

    Days without figures are 0, so a chart shows the gap instead of hiding it.
    """
    consults: dict[date, int] = {}
    valid: dict[date, int] = {}
    for item in items:
        consults[item.day] = consults.get(item.day, 0) + item.consults
        valid[item.day] = valid.get(item.day, 0) + item.valid_consults
    days = [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    return {
        "labels": [f"{d.month}/{d.day}" for d in days],
        "consults": [consults.get(d, 0) for d in days],
        "valid": [valid.get(d, 0) for d in days],
    }
