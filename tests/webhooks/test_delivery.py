"""Deliveries against a local receiver: signed as the spec says, retried with back-off on a
controlled clock, logged, resent, keyed once per (event, subscription), checked again at send time,
and a subscription failing for days disabled with its owner told."""

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ops.audit.models import AuditEntry
from ops.billing import services as billing
from ops.events.models import Event
from ops.events.services import emit
from ops.notify.models import Notification
from ops.notify.services import claim_events
from ops.timeutil import utcnow
from ops.webhooks import delivery, sender, services
from ops.webhooks.models import WebhookDelivery, WebhookSubscription
from ops.webhooks.tasks import retry_webhooks
from tests.billing.helpers import issued_for, make_contract
from tests.live import parallel
from tests.webhooks.helpers import deliveries, dispatch, reload, subscribe
from tests.webhooks.receiver import Receiver


def _issue(db):
    """One seat at ¥10,600.00 a month, 6 % VAT included, September served whole: the invoice is
    ¥10,600.00 = 1,060,000 fen, of which tax 1,060,000 − 1,060,000 / 1.06 = 60,000 fen."""
    contract = make_contract(db, seats=1, rate_fen=1_060_000)
    return issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 1))


def test_an_issued_invoice_reaches_the_receiver_signed_with_a_snapshot(db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        _subscription, secret = subscribe(admin, receiver.url, ["invoice.issued"])
        invoice = _issue(db)
        dispatch()

    [got] = receiver.received
    message = Webhook(secret).verify(got.body, got.headers)  # the spec's reference verifier
    assert got.path == "/hooks/ops" and got.headers["content-type"] == "application/json"
    assert message["type"] == "invoice.issued" and message["timestamp"].startswith("20")
    data = message["data"]
    assert data["invoice"]["number"] == invoice.number and data["invoice"]["status"] == "issued"
    assert (data["invoice"]["total_fen"], data["invoice"]["tax_fen"], data["invoice"]["net_fen"]) == (
        1_060_000,
        60_000,
        1_000_000,
    )
    assert data["invoice"]["balance_fen"] == 1_060_000 and data["invoice"]["period"] == "2026-09"
    assert data["client"] == {"id": invoice.client_id, "name": invoice.client.name}
    [row] = deliveries()
    assert got.headers["webhook-id"] == row.msg_id
    assert (row.status, row.attempts, row.response_code, row.error) == ("succeeded", 1, 200, "")


def test_an_unsubscribed_event_type_and_a_disabled_subscription_get_nothing(db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        subscribe(admin, receiver.url, ["invoice.paid"])
        off, _secret = subscribe(admin, receiver.url, ["invoice.issued"])
        off.enabled, off.disabled_reason = False, "维护中"
        db.session.commit()
        _issue(db)
        dispatch()
    assert receiver.received == [] and deliveries() == []


def test_failures_are_retried_with_back_off_on_the_schedule_then_succeed(db, make_user):
    admin = make_user("admin")
    with Receiver(500, 503, 200) as receiver:
        subscription, secret = subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()  # attempt 1: HTTP 500
        [row] = deliveries()
        assert (row.status, row.attempts, row.response_code, row.error) == ("failed", 1, 500, "HTTP 500")
        first = row.last_attempt_at
        assert row.next_attempt_at == first + timedelta(minutes=1)  # after 1 failure: 1 minute
        assert reload(subscription).failing_since == first

        assert delivery.send_due(first + timedelta(seconds=59)) == 0  # not yet
        assert len(receiver.received) == 1

        second = first + timedelta(minutes=1)
        assert delivery.send_due(second) == 1  # attempt 2: HTTP 503
        db.session.refresh(row)
        assert (row.status, row.attempts, row.response_code) == ("failed", 2, 503)
        assert row.next_attempt_at == second + timedelta(minutes=5)  # after 2 failures: 5 minutes

        assert delivery.send_due(second + timedelta(minutes=4)) == 0
        third = second + timedelta(minutes=5)
        assert delivery.send_due(third) == 1  # attempt 3: HTTP 200
        db.session.refresh(row)
        assert (row.status, row.attempts, row.response_code, row.error) == ("succeeded", 3, 200, "")
        assert row.next_attempt_at is None and row.delivered_at == third
        assert reload(subscription).failing_since is None  # a success stops the failure clock
        assert delivery.send_due(third + timedelta(hours=20)) == 0  # nothing more to send

    ids = {r.headers["webhook-id"] for r in receiver.received}
    bodies = {r.body for r in receiver.received}
    assert len(receiver.received) == 3 and ids == {row.msg_id} and len(bodies) == 1  # one message
    for got in receiver.received:
        Webhook(secret).verify(got.body, got.headers)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(db, make_user):
    admin = make_user("admin")
    with Receiver(302) as receiver:
        subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()
    [row] = deliveries()
    assert (row.status, row.response_code) == ("failed", 302) and "redirect" in row.error
    assert [r.path for r in receiver.received] == ["/hooks/ops"]  # /elsewhere never asked


def test_a_network_error_is_a_failure_with_its_message(db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        url = receiver.url
    subscribe(admin, url, ["invoice.issued"])  # the receiver is gone: connection refused
    _issue(db)
    dispatch()
    [row] = deliveries()
    assert row.status == "failed" and row.response_code is None and "Connection" in row.error


def test_the_address_is_checked_again_when_sending(db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        subscription, _secret = subscribe(admin, receiver.url, ["invoice.issued"])
        # Saved while allowed; the admin flag is turned off since (or DNS now answers a private address).
        db.session.execute(sa.update(WebhookSubscription).values(allow_private=False))
        db.session.commit()
        _issue(db)
        dispatch()
    [row] = deliveries()
    assert receiver.received == []
    assert row.status == "failed" and "127.0.0.1" in row.error and "只允许公网地址" in row.error


def test_one_row_per_event_and_subscription_even_when_dispatched_twice(db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        subscription, _secret = subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()
        dispatch()
        [event] = db.session.scalars(sa.select(Event).where(Event.kind == "invoice.issued")).all()
        assert delivery.fan_out(event) == []  # a second fan-out of the same event writes nothing
        assert len(receiver.received) == 1

    [row] = deliveries()
    db.session.add(
        WebhookDelivery(
            subscription_id=subscription.id,
            event_id=event.id,
            event_type="invoice.issued",
            msg_id="msg_second",
            body="{}",
            status="pending",
            attempts=0,
        )
    )
    with pytest.raises(IntegrityError):  # the UNIQUE (event, subscription) backs the rule
        db.session.commit()
    db.session.rollback()


def test_two_workers_sending_the_same_row_send_it_once(db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        subscribe(admin, receiver.url, ["invoice.paid"])
        invoice = _issue(db)
        billing.record_payment(invoice, 1_060_000, date(2026, 10, 9), "银行转账", "B1")
        db.session.commit()
        [event] = db.session.scalars(sa.select(Event).where(Event.kind == "invoice.paid")).all()
        claim_events()  # the row is written; nothing sent yet
        [row] = deliveries()
        assert delivery.send_delivery(row.id) == "succeeded"
        assert delivery.send_delivery(row.id) == "succeeded"  # a duplicated task: the claim refuses it
    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0].body)["data"]["invoice"]["status"] == "paid"


def test_resend_is_a_new_attempt_of_the_same_message_and_audited(db, make_user, client, login_as):
    admin = login_as("admin")
    with Receiver(500, 200) as receiver:
        _subscription, secret = subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()
        [row] = deliveries()
        assert row.status == "failed"

        log = client.get("/admin/webhooks/deliveries?status=failed").get_data(as_text=True)
        assert "HTTP 500" in log and "失败，等待重试" in log and "测试接收端" in log
        assert "没有投递记录" in client.get("/admin/webhooks/deliveries?status=succeeded").get_data(
            as_text=True
        )

        response = client.post(
            f"/admin/webhooks/deliveries/{row.id}/resend", data={"next": "/admin/webhooks/deliveries"}
        )
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/admin/webhooks/deliveries"
        )

    db.session.refresh(row)
    assert (row.status, row.attempts, row.response_code) == ("succeeded", 2, 200)
    assert [r.headers["webhook-id"] for r in receiver.received] == [row.msg_id, row.msg_id]
    Webhook(secret).verify(receiver.received[1].body, receiver.received[1].headers)
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "webhook.delivery_resent"))
    assert audit.object_id == row.id and audit.before == {"status": "failed", "attempts": 1}
    detail = client.get(f"/admin/webhooks/deliveries/{row.id}").get_data(as_text=True)
    assert row.msg_id in detail and "invoice.issued" in detail and "成功" in detail


def test_resend_refuses_a_row_being_sent(db, make_user):
    admin = make_user("admin")
    subscription, _secret = subscribe(admin, "http://127.0.0.1:9/x", ["invoice.issued"])
    row = WebhookDelivery(
        subscription_id=subscription.id,
        event_type="invoice.issued",
        msg_id="msg_x",
        body="{}",
        status="sending",
    )
    db.session.add(row)
    db.session.commit()
    with pytest.raises(delivery.WebhookError, match="正在发送中"):
        delivery.resend_delivery(row.id, by=admin)


def test_a_subscription_failing_for_three_days_is_disabled_and_its_owner_told(db, make_user, outbox):
    admin = make_user("admin", email="ops-admin@vendor.test")
    with Receiver(500) as receiver:
        subscription, _secret = subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()
        start = reload(subscription).failing_since
        assert start is not None

        assert delivery.disable_failing(start + timedelta(days=3) - timedelta(minutes=1)) == 0
        assert reload(subscription).enabled
        later = start + timedelta(days=3, minutes=1)
        assert delivery.send_due(later) == 1  # still failing at day 3
        assert delivery.disable_failing(later) == 1
        assert delivery.disable_failing(later) == 0  # once

        subscription = reload(subscription)
        assert not subscription.enabled and "自动停用" in subscription.disabled_reason
        assert delivery.send_due(later + timedelta(days=1)) == 0  # a disabled subscription is not sent to
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "webhook.auto_disabled")
            )
            == 1
        )
        dispatch()  # the webhook.disabled event: in-app and e-mail to the owner

    [note] = db.session.scalars(sa.select(Notification).where(Notification.user_id == admin.id)).all()
    assert note.kind == "webhook.disabled" and receiver.url in note.title
    assert note.link == f"/admin/webhooks/{subscription.id}"
    assert [m.to for m in outbox] == [["ops-admin@vendor.test"]] and receiver.url in outbox[0].subject


def test_a_success_in_between_restarts_the_failure_clock(db, make_user):
    admin = make_user("admin")
    with Receiver(500, 200) as receiver:
        subscription, _secret = subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()  # fails
        start = reload(subscription).failing_since
        delivery.send_due(start + timedelta(minutes=1))  # succeeds
        assert reload(subscription).failing_since is None
    assert delivery.disable_failing(start + timedelta(days=4)) == 0
    assert reload(subscription).enabled and len(receiver.received) == 2


def test_an_event_whose_object_is_gone_sends_nothing(db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        subscribe(admin, receiver.url, ["invoice.voided"])
        emit("invoice.voided", None, invoice_id=987654)
        db.session.commit()
        dispatch()
    assert receiver.received == [] and deliveries() == []
    assert db.session.scalar(sa.select(Event.dispatched_at)) is not None  # taken, not retried forever


def test_send_a_test_event(db, client, login_as):
    admin = login_as("admin")
    with Receiver(204) as receiver:
        subscription, secret = subscribe(admin, receiver.url, ["invoice.paid"])
        response = client.post(f"/admin/webhooks/{subscription.id}/test", follow_redirects=True)
    assert "已发送，接收端返回成功" in response.get_data(as_text=True)
    [got] = receiver.received
    message = Webhook(secret).verify(got.body, got.headers)
    assert message["type"] == "webhook.test" and message["data"]["subscription"]["id"] == subscription.id
    [row] = deliveries()
    assert (row.event_id, row.status, row.response_code) == (None, "succeeded", 204)


def test_the_periodic_scan_uses_the_clock_now(db, make_user):
    admin = make_user("admin")
    with Receiver(500) as receiver:
        subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()
        row = deliveries()[0]
        assert row.next_attempt_at > utcnow()
        retry_webhooks.call_local()  # the minutely task: nothing due yet
    assert len(receiver.received) == 1


def test_six_workers_sending_the_same_row_at_once_send_it_once(app, db, make_user):
    admin = make_user("admin")
    with Receiver(200) as receiver:
        subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        claim_events()
        [row] = deliveries()
        db.session.remove()

        def send(i):
            with app.app_context():
                try:
                    return delivery.send_delivery(row.id)
                finally:
                    db.session.remove()

        outcomes = parallel(6, send)
    assert len(receiver.received) == 1  # the compare-and-set claim: one worker sends
    assert all(o in ("sending", "succeeded") for o in outcomes), outcomes
    assert db.session.get(WebhookDelivery, row.id).attempts == 1


def test_an_attempt_enqueued_twice_does_not_send_before_its_time(db, make_user):
    admin = make_user("admin")
    with Receiver(500) as receiver:
        subscribe(admin, receiver.url, ["invoice.issued"])
        _issue(db)
        dispatch()  # attempt 1 fails; the next one is due a minute later
        [row] = deliveries()
        due = row.next_attempt_at
        assert delivery.send_delivery(row.id, due - timedelta(seconds=1)) == "failed"  # a stray task
        assert len(receiver.received) == 1
        assert delivery.send_delivery(row.id, due) == "failed"  # its time: attempt 2
        assert len(receiver.received) == 2


def test_a_subscription_deleted_while_its_delivery_is_sent_leaves_nothing_behind(db, make_user, monkeypatch):
    admin = make_user("admin")
    subscription, _secret = subscribe(admin, "http://127.0.0.1:9/x", ["invoice.issued"])
    _issue(db)
    claim_events()
    [row] = deliveries()
    row_id, subscription_id = row.id, subscription.id

    def deleted_meanwhile(*args, **kwargs):
        db.session.execute(sa.delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id))
        db.session.commit()
        return sender.Outcome(500, "HTTP 500")

    monkeypatch.setattr(delivery.sender, "post", deleted_meanwhile)
    assert delivery.send_delivery(row_id) == "gone"
    assert deliveries() == []


def test_after_a_rotation_the_old_secret_also_signs_for_24_hours(db, make_user):
    admin = make_user("admin")
    with Receiver(500, 500, 500) as receiver:
        subscription, old = subscribe(admin, receiver.url, ["invoice.issued"])
        new = services.rotate_secret(subscription, by=admin)
        db.session.commit()
        until = reload(subscription).previous_secret_until
        _issue(db)
        dispatch()  # within the overlap: both signatures
        [row] = deliveries()
        delivery.send_due(until - timedelta(minutes=1))  # still inside it
        delivery.send_due(until + timedelta(minutes=4))  # attempt 3, the overlap over: the new secret alone
    first, second, third = receiver.received
    for got in (first, second):
        Webhook(old).verify(got.body, got.headers)
        Webhook(new).verify(got.body, got.headers)
    Webhook(new).verify(third.body, third.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(third.body, third.headers)
    assert row.msg_id == third.headers["webhook-id"]
