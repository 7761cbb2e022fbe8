"""``flask quotes expire``."""

from datetime import timedelta

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.quotes.cli import quotes_cli
from ops.timeutil import today
from tests.quotes.quote_factories import client_with_needs, make_quote, send


def test_expire_twice_changes_each_quote_once(runner, db):
    day = today()
    old = send(db, make_quote(db), today=day - timedelta(days=40))
    fresh = send(db, make_quote(db, client=client_with_needs(db, name="杭州小熊母婴")), today=day)
    on = (day + timedelta(days=1)).isoformat()
    result = runner.invoke(quotes_cli, ["expire", "--today", on])
    assert result.exit_code == 0, result.output
    assert "已将 1 份报价标记为已过期" in result.output
    result = runner.invoke(quotes_cli, ["expire", "--today", on])
    assert "已将 0 份报价标记为已过期" in result.output
    db.session.expire_all()
    assert old.status == "expired" and fresh.status == "sent"
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "quote.expired")).all()
    assert [(e.object_id, e.actor) for e in entries] == [(old.id, "system")]


def test_expire_defaults_to_today(runner, db):
    send(db, make_quote(db), today=today() - timedelta(days=31))
    result = runner.invoke(quotes_cli, ["expire"])
    assert "已将 1 份报价标记为已过期" in result.output
