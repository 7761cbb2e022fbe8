"""Dunning over a simulated 60 days with a clock the test controls: each level exactly once, none after
payment or a credit note settles the invoice, none for a paused client or a disputed invoice, none twice
when the scan runs twice a day or again after a crash between "recorded" and "sent"."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.models import DunningReminder, Invoice
from ops.billing.services import dunning
from ops.contracts.models import ContractClause
from tests.billing.helpers import issued_for, make_contract
from tests.event_rows import events_of

# September's invoice: 2 seats × ¥5,000.00 = ¥10,000.00 (1,000,000 fen), issued Oct 2, due Oct 5.
# Levels −3, +1, +7, +15 → Oct 2, Oct 6, Oct 12, Oct 20.
ISSUED_ON = date(2026, 10, 2)
LEVEL_DAYS = {1: date(2026, 10, 2), 2: date(2026, 10, 6), 3: date(2026, 10, 12), 4: date(2026, 10, 20)}
FIRST_DAY = date(2026, 9, 28)


@pytest.fixture
def clock(monkeypatch):
    day = {"on": FIRST_DAY}
    monkeypatch.setattr(dunning, "today", lambda: day["on"])
    return day


@pytest.fixture
def invoice(db):
    contract = make_contract(db)
    issued = issued_for(db, contract, "2026-09", issued_on=ISSUED_ON)
    assert (issued.due_on, issued.total_fen) == (date(2026, 10, 5), 1_000_000)
    return issued


def _simulate(invoice_id: int, clock, days: int = 60, *, on_day=None) -> dict[date, list[int]]:
    """Run the daily scan for ``days`` days from FIRST_DAY (``on_day(day)`` acts before each day's
    scan); returns the levels recorded for the invoice, by the day they were recorded."""
    recorded: dict[date, list[int]] = {}
    for n in range(days):
        clock["on"] = FIRST_DAY + timedelta(days=n)
        if on_day is not None:
            on_day(clock["on"])
        before = {r.level for r in dunning.reminders_of(invoice_id)}
        services.run_dunning()
        new = {r.level for r in dunning.reminders_of(invoice_id)} - before
        if new:
            recorded[clock["on"]] = sorted(new)
    return recorded


def _dunning_events(db, invoice_id: int) -> list[dict]:
    return [e.payload for e in events_of("invoice.dunning") if e.payload["invoice_id"] == invoice_id]


def test_each_level_is_recorded_exactly_once_on_its_day(db, clock, invoice):
    assert _simulate(invoice.id, clock) == {day: [level] for level, day in LEVEL_DAYS.items()}
    reminders = dunning.reminders_of(invoice.id)
    assert [(r.level, r.days, r.final, r.outstanding_fen) for r in reminders] == [
        (1, -3, False, 1_000_000),
        (2, 1, False, 1_000_000),
        (3, 7, False, 1_000_000),
        (4, 15, True, 1_000_000),
    ]
    # Each reminder row has its event, written in the same transaction, with the agreed payload.
    payloads = _dunning_events(db, invoice.id)
    assert [(p["level"], p["days"], p["reminder_id"]) for p in payloads] == [
        (r.level, r.days, r.id) for r in reminders
    ]
    assert all(r.event_id is not None for r in reminders)
    # No breach clause allows suspension in this contract: the final notice does not threaten it.
    assert payloads[-1]["final"] is True and payloads[-1]["suspension_warning"] is False
    # Every reminder is in the invoice's history.
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.object_type == "invoices", AuditEntry.object_id == invoice.id
        )
    ).all()
    assert actions.count("invoice.dunning_recorded") == 4


def test_the_final_notice_warns_of_suspension_when_the_contract_allows_it(db, clock, invoice):
    db.session.add(
        ContractClause(
            contract_id=invoice.contract_id,
            title="付款违约",
            body="甲方未按约定日期支付服务费的……逾期超过 15 日的，乙方有权暂停服务。",
        )
    )
    db.session.commit()
    clock["on"] = date(2026, 10, 25)  # only the last level is due (it supersedes the unsent ones)
    assert services.run_dunning() == 1
    (reminder,) = dunning.reminders_of(invoice.id)
    assert (reminder.level, reminder.final, reminder.suspension_warning) == (4, True, True)
    (payload,) = _dunning_events(db, invoice.id)
    assert payload["suspension_warning"] is True


def test_twice_a_day_and_a_rerun_after_a_crash_record_nothing_twice(db, clock, invoice):
    recorded = []
    for n in range(60):
        clock["on"] = FIRST_DAY + timedelta(days=n)
        recorded.append(services.run_dunning())
        recorded.append(services.run_dunning())  # a second consumer, or the scan re-run after a crash
    assert sum(recorded) == 4
    assert [r.level for r in dunning.reminders_of(invoice.id)] == [1, 2, 3, 4]
    assert len(_dunning_events(db, invoice.id)) == 4


def test_a_crash_after_recording_and_before_sending_does_not_record_again(db, clock, invoice, monkeypatch):
    other = issued_for(db, make_contract(db, client=invoice.client), "2026-09", issued_on=ISSUED_ON)
    first_id, other_id = invoice.id, other.id
    clock["on"] = LEVEL_DAYS[2]
    real = dunning.remind_invoice
    calls = []

    def crash_after_the_first(invoice_id, on=None):
        calls.append(invoice_id)
        if len(calls) == 2:
            raise SystemExit("killed")  # the consumer dies mid-scan
        return real(invoice_id, on)

    monkeypatch.setattr(dunning, "remind_invoice", crash_after_the_first)
    with pytest.raises(SystemExit):
        services.run_dunning()
    db.session.remove()  # the process is gone: nothing of it survives but what was committed
    # The first invoice's reminder and its event were committed (nothing sent: delivered_at is None).
    (first,) = dunning.reminders_of(first_id)
    assert (first.level, first.delivered_at) == (2, None)
    assert dunning.reminders_of(other_id) == []
    # Restarted, the scan runs again: the other invoice gets its reminder, the first none again.
    monkeypatch.setattr(dunning, "remind_invoice", real)
    assert services.run_dunning() == 1
    assert services.run_dunning() == 0
    assert [r.level for r in dunning.reminders_of(first_id)] == [2]
    assert [r.level for r in dunning.reminders_of(other_id)] == [2]
    assert len(_dunning_events(db, first_id)) == 1


def test_the_unique_key_refuses_a_second_row_for_a_level(db, clock, invoice):
    """The database backstop behind the lock: even a writer that skipped the check cannot add a level twice."""
    clock["on"] = LEVEL_DAYS[1]
    services.run_dunning()
    db.session.add(
        DunningReminder(invoice_id=invoice.id, level=1, days=-3, due_on=invoice.due_on, outstanding_fen=1)
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_none_after_payment(db, clock, invoice):
    def pay(day):
        if day == date(2026, 10, 9):
            services.record_payment(invoice, 1_000_000, day, "银行转账", "")
            db.session.commit()

    assert _simulate(invoice.id, clock, on_day=pay) == {LEVEL_DAYS[1]: [1], LEVEL_DAYS[2]: [2]}
    assert db.session.get(Invoice, invoice.id).status == "paid"


def test_a_partial_payment_keeps_reminding_for_what_is_left(db, clock, invoice):
    def pay(day):
        if day == date(2026, 10, 9):
            services.record_payment(invoice, 600_000, day, "银行转账", "")
            db.session.commit()

    _simulate(invoice.id, clock, on_day=pay)
    assert [(r.level, r.outstanding_fen) for r in dunning.reminders_of(invoice.id)] == [
        (1, 1_000_000),
        (2, 1_000_000),
        (3, 400_000),  # 1,000,000 − 600,000
        (4, 400_000),
    ]


def test_none_after_a_credit_note_settles_the_invoice(db, clock, invoice, monkeypatch):
    from ops.billing.services import payments

    def credit(day):
        if day == date(2026, 10, 9):
            monkeypatch.setattr(payments, "today", lambda: day)
            services.create_credit_note(invoice, 1_000_000, "服务未按约定开展，全额冲销")

    assert _simulate(invoice.id, clock, on_day=credit) == {LEVEL_DAYS[1]: [1], LEVEL_DAYS[2]: [2]}
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.status, invoice.balance_fen) == ("paid", 0)


def test_none_for_a_paused_client_and_the_right_level_after_resuming(db, clock, invoice):
    def toggle(day):
        if day == date(2026, 10, 4):
            services.pause_dunning(invoice.client)
            db.session.commit()
        if day == date(2026, 10, 15):
            services.resume_dunning(invoice.client)
            db.session.commit()

    # Level 1 before the pause; 2 and 3 fell in the pause; on resuming (Oct 15) level 3 is the one due
    # (it supersedes level 2, never sent) — then level 4 on its day.
    assert _simulate(invoice.id, clock, on_day=toggle) == {
        LEVEL_DAYS[1]: [1],
        date(2026, 10, 15): [3],
        LEVEL_DAYS[4]: [4],
    }


def test_none_for_a_paused_client_at_all(db, clock, invoice):
    services.pause_dunning(invoice.client)
    db.session.commit()
    assert _simulate(invoice.id, clock) == {}


def test_none_for_a_disputed_invoice(db, clock, invoice):
    services.mark_disputed(invoice)
    db.session.commit()
    assert _simulate(invoice.id, clock) == {}
    assert _dunning_events(db, invoice.id) == []


def test_no_reminder_for_drafts_void_or_invoices_without_a_balance(db, clock):
    from tests.billing.helpers import draft_for

    contract = make_contract(db)
    draft = draft_for(db, contract, "2026-09")
    clock["on"] = date(2026, 12, 1)
    assert services.run_dunning() == 0
    assert dunning.reminders_of(draft.id) == []


def test_delivery_marks_a_reminder_sent_once(db, clock, invoice):
    clock["on"] = LEVEL_DAYS[1]
    services.run_dunning()
    (reminder,) = dunning.reminders_of(invoice.id)
    assert services.mark_reminder_delivered(reminder.id) is True
    db.session.commit()
    assert services.mark_reminder_delivered(reminder.id) is False  # a redelivery changes nothing
    db.session.commit()
    db.session.expire_all()
    assert dunning.reminders_of(invoice.id)[0].delivered_at is not None


def test_the_cli_records_the_reminders_due_today(db, clock, invoice, runner):
    clock["on"] = LEVEL_DAYS[3]
    assert runner.invoke(args=["billing", "dunning"]).output.strip() == "已记录催款提醒：1 条"
    assert runner.invoke(args=["billing", "dunning"]).output.strip() == "已记录催款提醒：0 条"
    assert [r.level for r in dunning.reminders_of(invoice.id)] == [3]
