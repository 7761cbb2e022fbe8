"""Demo usage: realistic daily figures for the clients with contracts, stored through the import service.

Deterministic (one seeded random.Random per client), so two demo loads give the same figures.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from ops.timeutil import today as business_today
from ops.usage.parse import UsageRow
from ops.usage.services import import_usage

# Relative volume by weekday (Monday first): shoppers chat more in the evening of weekends.
WEEKDAY_FACTOR = (1.00, 0.95, 0.95, 1.00, 1.05, 1.20, 1.25)
# Promotion days on Chinese platforms lift consults sharply.
PROMOTIONS = {(6, 18): 2.2, (11, 11): 3.0, (12, 12): 1.8, (11, 10): 1.8, (6, 17): 1.5}
PLATFORM_SHARE = {"tmall": 1.0, "taobao": 0.8, "jd": 0.7, "pdd": 0.9, "douyin": 0.6, "kuaishou": 0.4}


def _first_of_month(day: date, back: int) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def demo_rows(
    client_id: int,
    platforms: list[str],
    first: date,
    last: date,
    seed: str,
    bad_month: tuple[int, int] | None = None,
) -> list[UsageRow]:
    """Daily rows for one client from ``first`` to ``last`` (inclusive); ``bad_month`` misses its KPIs."""
    rng = random.Random(seed)
    base = rng.randint(350, 1200)  # daily consults on the main platform
    order_value_fen = rng.randint(120, 450) * 100  # 客单价
    conversion = rng.uniform(0.18, 0.30)  # 询单转化率
    rows = []
    for platform in platforms or ["tmall"]:
        share = PLATFORM_SHARE.get(platform, 0.6)
        for day in _days(first, last):
            lift = WEEKDAY_FACTOR[day.weekday()] * PROMOTIONS.get((day.month, day.day), 1.0)
            consults = max(0, int(base * share * lift * rng.uniform(0.85, 1.15)))
            valid = int(consults * rng.uniform(0.85, 0.95))
            day_conversion = conversion * rng.uniform(0.9, 1.1)
            orders = int(valid * day_conversion)
            gmv_fen = orders * order_value_fen * rng.randint(90, 110) // 100
            refunds_fen = gmv_fen * rng.randint(1, 8) // 100 if rng.random() < 0.6 else 0
            bad = bad_month == (day.year, day.month)
            rows.append(
                UsageRow(
                    row=len(rows) + 1,
                    client_id=client_id,
                    client_name=None,
                    day=day,
                    platform=platform,
                    consults=consults,
                    valid_consults=valid,
                    served_gmv_fen=gmv_fen,
                    refunds_fen=refunds_fen,
                    first_response_ms=rng.randint(34_000, 46_000) if bad else rng.randint(9_000, 24_000),
                    avg_response_ms=rng.randint(50_000, 75_000) if bad else rng.randint(25_000, 45_000),
                    reply_3min_bp=rng.randint(8_300, 8_900) if bad else rng.randint(9_250, 9_850),
                    inquiry_conversion_bp=int(day_conversion * 10_000),
                    satisfaction_bp=rng.randint(8_600, 9_100) if bad else rng.randint(9_200, 9_800),
                    dispute_refund_bp=rng.randint(20, 80),
                )
            )
    return rows


def load_usage_demo(clients, months: int = 3, today: date | None = None) -> int:
    """Usage for ``clients`` (those with contracts): the last ``months`` full months and this month to
    yesterday, on each client's shop platforms. The first client misses its KPIs in the last full
    month, so KPI deductions show on its invoice. Returns the number of rows stored; the caller commits.
    """
    today = today or business_today()
    first = _first_of_month(today, months)
    last = today - timedelta(days=1)
    if last < first:
        return 0
    previous = _first_of_month(today, 1)
    stored = 0
    for index, client in enumerate(clients):
        rows = demo_rows(
            client.id,
            list(client.platforms),
            first,
            last,
            seed=f"usage-demo-{client.name}",
            bad_month=(previous.year, previous.month) if index == 0 else None,
        )
        if rows:
            result = import_usage(rows, "cli", "演示数据")
            stored += result.inserted + result.updated
    return stored
