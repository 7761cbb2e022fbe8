"""The demo usage data: deterministic, realistic, one client with a bad KPI month."""

from datetime import date

import sqlalchemy as sa

from ops.demo.usage import load_usage_demo
from ops.usage.models import UsageDaily
from ops.usage.summary import summarize
from tests.factories import make_client


def _load(db):
    first = make_client(db, name="晨光", shops=[("tmall", "晨光天猫店"), ("jd", "晨光京东店")])
    second = make_client(db, name="南极人", shops=[("pdd", "南极人拼多多店")])
    count = load_usage_demo([first, second], today=date(2026, 11, 26))
    db.session.commit()
    return first, second, count


def _month(db, client, year, month):
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1)
    return db.session.scalars(
        sa.select(UsageDaily).where(
            UsageDaily.client_id == client.id, UsageDaily.day >= first, UsageDaily.day < last
        )
    ).all()


def test_demo_covers_three_full_months_and_this_month_to_date(db):
    first, second, count = _load(db)
    # Aug 31 + Sep 30 + Oct 31 + Nov 1..25 = 117 days; 2 platforms + 1 platform = 3 series -> 351 rows
    assert count == 351
    days = db.session.execute(sa.select(sa.func.min(UsageDaily.day), sa.func.max(UsageDaily.day))).one()
    assert days == (date(2026, 8, 1), date(2026, 11, 25))
    for r in db.session.scalars(sa.select(UsageDaily)):
        assert 0 < r.valid_consults <= r.consults and r.served_gmv_fen >= r.refunds_fen >= 0


def test_one_client_misses_its_kpis_in_the_last_full_month(db):
    first, second, _count = _load(db)
    bad = summarize(_month(db, first, 2026, 10))
    good = summarize(_month(db, first, 2026, 9))
    other = summarize(_month(db, second, 2026, 10))
    assert bad.first_response_ms > 30_000 and bad.reply_3min_bp < 9000
    assert good.first_response_ms <= 30_000 and good.reply_3min_bp >= 9000
    assert other.first_response_ms <= 30_000 and other.reply_3min_bp >= 9000


def test_demo_is_deterministic(db):
    first, second, _count = _load(db)
    snapshot = db.session.execute(
        sa.select(
            UsageDaily.day, UsageDaily.platform, UsageDaily.consults, UsageDaily.served_gmv_fen
        ).order_by(UsageDaily.id)
    ).all()
    db.session.execute(sa.delete(UsageDaily))
    assert load_usage_demo([first, second], today=date(2026, 11, 26)) == len(snapshot)
    again = db.session.execute(
        sa.select(
            UsageDaily.day, UsageDaily.platform, UsageDaily.consults, UsageDaily.served_gmv_fen
        ).order_by(UsageDaily.id)
    ).all()
    assert again == snapshot
