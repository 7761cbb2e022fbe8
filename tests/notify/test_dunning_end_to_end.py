"""The dunning scan and the delivery together: the scan records a level, the delivery e-mails the
client's finance contact once and marks the reminder 已发送; a reminder recorded before a payment
is not sent after it."""

from datetime import date

import pytest

from ops.billing import services
from ops.billing.services import dunning
from tests.billing.helpers import issued_for, make_contract
from tests.notify.helpers import add_contact, deliveries, dispatch, sent_to


@pytest.fixture
def invoice(db):
    # September: 2 seats × ¥5,000.00 = ¥10,000.00, issued Oct 2, due Oct 5 (levels −3, +1, +7, +15).
    contract = make_contract(db)
    issued = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    assert (issued.due_on, issued.total_fen) == (date(2026, 10, 5), 1_000_000)
    add_contact(issued.client, "钱会计", "qian@example.com", finance=True)
    return issued


def test_a_recorded_reminder_is_mailed_once_and_marked_sent(db, outbox, monkeypatch, invoice):
    monkeypatch.setattr(dunning, "today", lambda: date(2026, 10, 6))  # +1 day: level 2
    services.run_dunning()
    dispatch()
    dispatch()  # a second run sends nothing more
    reminders = [m for m in outbox if m.subject.startswith("付款提醒")]  # (the invoice's own e-mail aside)
    assert sent_to(reminders) == ["qian@example.com"]
    assert "¥10,000.00" in reminders[0].body and "逾期 1 天" in reminders[0].body
    (reminder,) = [r for r in dunning.reminders_of(invoice.id) if r.level == 2]
    db.session.refresh(reminder)
    assert reminder.delivered_at is not None


def test_a_reminder_recorded_before_the_payment_is_skipped_after_it(db, outbox, monkeypatch, invoice):
    monkeypatch.setattr(dunning, "today", lambda: date(2026, 10, 6))
    services.run_dunning()  # recorded, not yet delivered
    services.record_payment(invoice, 1_000_000, date(2026, 10, 6), "bank", "", by=None)
    db.session.commit()
    dispatch()
    assert [m for m in outbox if m.subject.startswith("付款提醒")] == []
    assert {d.status for d in deliveries(kind="invoice.dunning")} == {"skipped"}
