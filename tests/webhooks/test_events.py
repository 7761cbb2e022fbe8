"""Every webhook event type is emitted by the service that makes the change, in its transaction."""

import json
from datetime import date, timedelta

import sqlalchemy as sa

from ops.billing import services as billing
from ops.contracts import services as contracts
from ops.events.models import Event
from ops.notify.services import claim_events
from ops.onboarding import services as onboarding
from ops.quotes import services as quotes
from ops.timeutil import today
from ops.webhooks import delivery
from ops.webhooks.rules import EVENT_TYPES
from tests.billing.helpers import issued_for, make_billing_client
from tests.billing.helpers import make_contract as make_billed_contract
from tests.contracts.helpers import make_contract as make_draft_contract
from tests.contracts.helpers import sign_and_pay
from tests.event_rows import events_of
from tests.onboarding.helpers import complete_checklist, make_assignment
from tests.quotes.quote_factories import make_quote
from tests.webhooks.helpers import subscribe


def _invoice(db, total_fen: int, client=None):
    """One seat at ``total_fen`` a month, tax included, September served whole: the invoice total."""
    contract = make_billed_contract(db, client, seats=1, rate_fen=total_fen)
    return issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))


def test_quote_sent_and_accepted(db, make_user):
    sales = make_user("sales")
    quote = make_quote(db, by=sales)
    quotes.send_quote(quote, sales)
    db.session.commit()
    quotes.accept_quote(quote, None)
    db.session.commit()
    assert [e.payload["quote_id"] for e in events_of("quote.sent")] == [quote.id]
    assert [e.payload["quote_id"] for e in events_of("quote.accepted")] == [quote.id]


def test_contract_activated(db):
    contract = make_draft_contract(db)
    sign_and_pay(db, contract)
    assert events_of("contract.activated") == []
    contracts.activate(contract)
    db.session.commit()
    [event] = events_of("contract.activated")
    assert event.payload == {"contract_id": contract.id} and event.client_id == contract.client_id


def test_assignment_live_when_the_assignment_goes_live(db, make_user):
    trainer, manager = make_user("trainer"), make_user("manager")
    assignment = make_assignment(db, planned=today(), by=trainer)
    complete_checklist(db, assignment, trainer, manager)
    assert events_of("assignment.live") == []
    onboarding.go_live(assignment, by=manager, on=today() - timedelta(days=1))
    db.session.commit()
    [event] = events_of("assignment.live")
    assert event.payload == {"assignment_id": assignment.id} and event.client_id == assignment.client_id


def test_invoice_issued_then_paid_only_when_the_last_fen_is_paid(db):
    invoice = _invoice(db, 1_060_000)  # ¥10,600.00
    assert [e.payload["invoice_id"] for e in events_of("invoice.issued")] == [invoice.id]
    billing.record_payment(invoice, 60_000, date(2026, 10, 5), "银行转账", "B1")  # ¥600.00: ¥10,000.00 left
    db.session.commit()
    assert events_of("invoice.paid") == []
    billing.record_payment(invoice, 1_000_000, date(2026, 10, 9), "银行转账", "B2")  # the rest
    db.session.commit()
    [event] = events_of("invoice.paid")
    assert event.payload == {"invoice_id": invoice.id} and invoice.status == "paid"


def test_invoice_voided(db):
    invoice = _invoice(db, 1_060_000)
    billing.void_invoice(invoice, "金额有误")
    db.session.commit()
    assert [e.payload["invoice_id"] for e in events_of("invoice.voided")] == [invoice.id]


def test_credit_note_issued_and_the_invoice_it_settles_paid(db):
    invoice = _invoice(db, 1_060_000)
    billing.record_payment(invoice, 1_000_000, date(2026, 10, 5), "银行转账", "B1")  # ¥600.00 left
    db.session.commit()
    billing.create_credit_note(invoice, 60_000, "协商减免")  # credits exactly the ¥600.00 outstanding
    [note] = invoice.credit_notes
    [issued] = events_of("credit_note.issued")
    assert issued.payload == {"credit_note_id": note.id, "invoice_id": invoice.id}
    [paid] = events_of("invoice.paid")
    assert paid.payload == {"invoice_id": invoice.id}


def test_a_credit_note_that_leaves_a_balance_does_not_pay_the_invoice(db):
    invoice = _invoice(db, 1_060_000)
    billing.create_credit_note(invoice, 60_000, "协商减免")  # ¥10,000.00 still to pay
    assert len(events_of("credit_note.issued")) == 1 and events_of("invoice.paid") == []


def test_applying_the_credit_balance_that_settles_an_invoice_pays_it(db):
    client = make_billing_client(db)
    first = _invoice(db, 1_060_000, client=client)
    billing.record_payment(first, 1_060_000, date(2026, 10, 5), "银行转账", "B1")
    db.session.commit()
    billing.create_credit_note(first, 530_000, "服务中止")  # ¥5,300.00 paid beyond: credit balance
    second = _invoice(db, 530_000, client=client)  # ¥5,300.00
    assert [e.payload["invoice_id"] for e in events_of("invoice.paid")] == [first.id]
    assert billing.apply_credit_balance(second) == 530_000  # min(5,300.00, 5,300.00)
    db.session.commit()
    assert [e.payload["invoice_id"] for e in events_of("invoice.paid")] == [first.id, second.id]


def test_every_event_type_becomes_a_delivery_with_its_snapshot(db, make_user):
    """The whole pipeline through one subscriber of every type: one row per event, a snapshot each."""
    admin, sales, trainer, manager = (make_user(r) for r in ("admin", "sales", "trainer", "manager"))
    subscription, _secret = subscribe(admin, "http://127.0.0.1:9/never-listening")
    quote = make_quote(db, by=sales)
    quotes.send_quote(quote, sales)
    quotes.accept_quote(quote, None)
    contract = make_draft_contract(db, number="BJ-2026-0099")  # beside the quote made above
    sign_and_pay(db, contract)
    contracts.activate(contract)
    assignment = make_assignment(db, planned=today(), by=trainer)
    complete_checklist(db, assignment, trainer, manager)
    onboarding.go_live(assignment, by=manager, on=today())
    db.session.commit()
    billed = make_billing_client(db, name="杭州云帆测试店", tax_id="91330106MA2B2QXY3M")
    paid = _invoice(db, 1_060_000, client=billed)
    billing.record_payment(paid, 1_060_000, date(2026, 10, 5), "银行转账", "B1")
    voided = _invoice(db, 212_000, client=billed)
    billing.void_invoice(voided, "重复开具")
    credited = _invoice(db, 318_000, client=billed)
    billing.create_credit_note(credited, 18_000, "协商减免")
    db.session.commit()

    claim_events()  # the dispatch's claim writes the rows (nothing is sent here)
    rows = db.session.scalars(
        sa.select(delivery.WebhookDelivery).where(delivery.WebhookDelivery.subscription_id == subscription.id)
    ).all()
    assert {r.event_type for r in rows} == set(EVENT_TYPES)
    kinds = db.session.scalars(sa.select(Event.kind).where(Event.kind.in_(EVENT_TYPES))).all()
    assert len(rows) == len(kinds)  # one row per event
    bodies = {r.event_type: json.loads(r.body) for r in rows if r.event_type != "invoice.issued"}
    assert bodies["quote.accepted"]["data"]["quote"]["status"] == "accepted"
    assert bodies["contract.activated"]["data"]["contract"]["status"] == "active"
    assert bodies["assignment.live"]["data"]["assignment"]["go_live_on"] == today().isoformat()
    assert "credential" not in json.dumps(bodies["assignment.live"])
    assert bodies["invoice.paid"]["data"]["invoice"]["paid_fen"] == 1_060_000
    assert bodies["invoice.voided"]["data"]["invoice"]["void_reason"] == "重复开具"
    # ¥180.00 credited of ¥3,180.00 (6 % included): tax = 18,000 − 18,000 / 1.06 = 1,018.87… → 1,019 fen
    note = bodies["credit_note.issued"]["data"]["credit_note"]
    assert (note["total_fen"], note["tax_fen"], note["net_fen"]) == (18_000, 1_019, 16_981)
