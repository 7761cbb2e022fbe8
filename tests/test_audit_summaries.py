"""A history entry the code writes is kept in Chinese and shown in the reader's language."""

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.audit.services import record, summary_text
from ops.i18n import _l
from tests.quotes.quote_factories import make_quote, send


def test_a_code_written_summary_keeps_its_msgid_and_chinese_text(app, db):
    with app.test_request_context():
        entry = record(
            "demo.thing",
            object_type="x",
            object_id=1,
            summary=_l("合同 %(number)s 生效", number="HT-2026-0001"),
        )
        db.session.commit()
        assert entry.summary == "合同 HT-2026-0001 生效"  # as kept in the log (the canonical language)
        assert (entry.summary_msgid, entry.summary_params) == (
            "合同 %(number)s 生效",
            {"number": "HT-2026-0001"},
        )
        # A summary a person typed stays as typed, in any language.
        typed = record("demo.thing", object_type="x", object_id=2, summary="客户来电要求改期")
        assert summary_text(typed) == "客户来电要求改期" and typed.summary_msgid is None


def test_the_quote_history_reads_in_english_for_an_english_reader(client, login_as, db):
    quote = send(db, make_quote(db))
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "quote.sent"))
    assert entry.summary_msgid == "%(quote)s 有效期至 %(date)s"
    login_as("manager")
    chinese = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert f"{quote.label} 有效期至 {quote.valid_until.isoformat()}" in chinese
    client.post("/language", data={"lang": "en", "next": "/"})
    english = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert f"{quote.label} valid until {quote.valid_until.isoformat()}" in english
    assert "有效期至" not in english
