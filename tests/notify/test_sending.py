"""Sending: never twice, preferences respected, the recipient's language, the file backend and a real
SMTP server."""

import socket
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest

from ops.clients import services as clients
from ops.notify import services
from ops.notify.mail import EmlEmailBackend, mail, outbox_entries, read_outbox, smtp_settings
from ops.notify.preferences import set_user_choices
from ops.quotes import services as quotes
from tests.notify.helpers import add_contact, deliveries, dispatch, notified, sent_to
from tests.quotes.quote_factories import client_with_needs, make_quote


def _accepted_quote(db, make_user, **sales_fields):
    sales = make_user("sales", **sales_fields)
    client = client_with_needs(db)
    client.owner_id = sales.id
    quote = make_quote(db, client, by=sales)
    quotes.send_quote(quote, sales)
    db.session.commit()
    dispatch()
    quotes.accept_quote(quote, None)
    db.session.commit()
    return sales, quote


class Crash(BaseException):
    """The consumer dies (SIGKILL) between "sending" committed and the answer of the mail server."""


def test_a_delivery_left_sending_by_a_crash_is_never_resent_by_itself(
    app, db, make_user, outbox, monkeypatch
):
    sales, quote = _accepted_quote(db, make_user, email="sales@vendor.test")
    real_send = services.send_email

    def crash(address, message):
        raise Crash

    monkeypatch.setattr(services, "send_email", crash)
    with pytest.raises(Crash):
        dispatch()
    db.session.rollback()
    [email] = deliveries(kind="quote.accepted", channel="email")
    assert email.status == "sending" and email.attempts == 1

    monkeypatch.setattr(services, "send_email", real_send)  # the consumer restarts
    dispatch()
    dispatch()
    db.session.refresh(email)
    assert outbox == [] and email.status == "sending"  # unknown: maybe sent, so never again by itself
    assert len(notified(sales)) == 1  # the in-app one went out exactly once

    assert not services.is_unknown(email)  # a fresh "sending" is not yet 状态未知 ...
    email.updated_at = email.updated_at - services.UNKNOWN_AFTER - timedelta(seconds=1)
    db.session.commit()
    assert services.is_unknown(email)  # ... a stale one is, and an admin may resend it once
    admin = make_user("admin")
    assert services.resend_delivery(email.id, admin) == "sent"
    assert sent_to(outbox) == ["sales@vendor.test"]
    with pytest.raises(services.NotifyError):
        services.resend_delivery(email.id, admin)  # a sent one is never resent
    assert len(outbox) == 1


def test_dispatching_twice_writes_and_sends_each_delivery_once(app, db, make_user, outbox):
    sales, quote = _accepted_quote(db, make_user, email="sales@vendor.test")
    dispatch()
    dispatch()
    assert sent_to(outbox) == ["sales@vendor.test"]
    assert [d.key.split(":", 1)[1] for d in deliveries(kind="quote.accepted")] == [
        f"u{sales.id}:in_app",
        f"u{sales.id}:email",
    ]


def test_a_failed_send_is_marked_failed_with_the_error_and_resent_by_hand(
    app, db, make_user, outbox, monkeypatch
):
    sales, quote = _accepted_quote(db, make_user, email="sales@vendor.test")

    def refuse(address, message):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(services, "send_email", refuse)
    dispatch()
    [email] = deliveries(kind="quote.accepted", channel="email")
    assert email.status == "failed" and "mail server down" in email.error
    monkeypatch.undo()
    dispatch()
    assert outbox == []  # failed stays failed until someone resends it
    assert services.resend_delivery(email.id, make_user("admin")) == "sent"
    assert sent_to(outbox) == ["sales@vendor.test"]


def test_staff_preferences_turn_a_channel_off(app, db, make_user, outbox):
    sales = make_user("sales", email="sales@vendor.test")
    set_user_choices(sales, {("quote.accepted", "in_app")})  # e-mail off for this kind
    db.session.commit()
    client = client_with_needs(db)
    client.owner_id = sales.id
    quote = make_quote(db, client, by=sales)
    quotes.send_quote(quote, sales)
    quotes.accept_quote(quote, None)
    db.session.commit()

    dispatch()

    assert len(notified(sales)) == 1
    assert outbox == []
    assert [d.channel for d in deliveries(kind="quote.accepted")] == ["in_app"]


def test_a_contact_who_turned_an_email_off_does_not_get_it(app, db, make_user, outbox):
    sales = make_user("sales")
    client = client_with_needs(db)
    wang = add_contact(client, "王店长", "wang@shop.test")
    add_contact(client, "李运营", "li@shop.test")
    clients.update_contact(
        wang, {"name": "王店长", "email": "wang@shop.test", "emails": ["invoice.issued"]}, by=sales
    )
    db.session.commit()
    assert clients.contact_mail_kinds(wang) == ["invoice.issued"]
    quote = make_quote(db, client, by=sales)
    quotes.send_quote(quote, sales)
    db.session.commit()

    dispatch()

    assert sent_to(outbox) == ["li@shop.test"]


def test_an_english_speaking_recipient_gets_the_email_in_english(app, db, make_user, outbox):
    sales = make_user("sales")
    client = client_with_needs(db)
    add_contact(client, "Anna", "anna@shop.test", locale="en")
    add_contact(client, "王店长", "wang@shop.test")
    quote = make_quote(db, client, by=sales)
    quotes.send_quote(quote, sales)
    db.session.commit()

    dispatch()

    english = next(m for m in outbox if m.to == ["anna@shop.test"])
    chinese = next(m for m in outbox if m.to == ["wang@shop.test"])
    assert english.subject == f"Quote {quote.label} sent"
    assert "Please sign in to the client portal" in english.body
    assert chinese.subject == f"报价单 {quote.label} 已发送"


def test_a_staff_user_in_english_gets_in_app_notifications_in_english(app, db, make_user, outbox):
    sales, quote = _accepted_quote(db, make_user)
    sales.locale = "en"  # chosen with the language switch
    db.session.commit()
    dispatch()
    assert [n.title for n in notified(sales)] == [f"The client accepted quote {quote.label}"]


def test_the_file_backend_writes_a_readable_eml_with_a_chinese_subject(app, db, tmp_path):
    connection = mail.get_connection(backend=EmlEmailBackend, file_path=str(tmp_path))
    message = services.Message(
        "账单 INV-2026-00001 已开具",
        "北京晨光家居用品有限公司 您好：\n\n正文",
        "/portal/invoices/1",
        [("INV-2026-00001.pdf", b"%PDF-1.4 test", "application/pdf")],
    )
    from flask_mailman import EmailMessage

    email = EmailMessage(
        message.subject, message.body, "noreply@vendor.test", ["zhao@shop.test"], connection=connection
    )
    email.attach(*message.attachments[0])
    email.send()

    [path] = list(tmp_path.glob("*.eml"))
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert str(parsed["Subject"]) == "账单 INV-2026-00001 已开具"
    assert str(parsed["To"]) == "zhao@shop.test"
    assert "正文" in parsed.get_body(preferencelist=("plain",)).get_content()
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["INV-2026-00001.pdf"]

    outbox_dir, app.config["OUTBOX_DIR"] = app.config["OUTBOX_DIR"], str(tmp_path)
    try:
        [entry] = outbox_entries()
        assert (entry.to, entry.subject) == ("zhao@shop.test", "账单 INV-2026-00001 已开具")
        shown = read_outbox(entry.name)
        assert shown.attachments == ["INV-2026-00001.pdf"] and "正文" in shown.text
        assert read_outbox("../secret_key") is None
    finally:
        app.config["OUTBOX_DIR"] = outbox_dir


def test_smtp_url_settings():
    assert smtp_settings("smtps://ops%40vendor.test:p%3Ass@mail.vendor.test") == {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "mail.vendor.test",
        "MAIL_PORT": 465,
        "MAIL_USERNAME": "ops@vendor.test",
        "MAIL_PASSWORD": "p:ss",
        "MAIL_USE_SSL": True,
        "MAIL_USE_TLS": False,
        "MAIL_TIMEOUT": 30,
    }
    starttls = smtp_settings("smtp://u:p@mail.vendor.test:587?starttls=1")
    assert (starttls["MAIL_PORT"], starttls["MAIL_USE_TLS"], starttls["MAIL_USE_SSL"]) == (587, True, False)
    with pytest.raises(ValueError):
        smtp_settings("http://mail.vendor.test")


def test_an_email_goes_through_a_real_smtp_server(app, db, make_user, monkeypatch):
    from aiosmtpd.controller import Controller

    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
            received.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    with socket.socket() as probe:  # a free port on 127.0.0.1
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        state = app.extensions["mailman"]  # as OPS_SMTP_URL=smtp://127.0.0.1:<port> configures it
        for name, value in {"backend": "smtp", "server": "127.0.0.1", "port": port, "timeout": 10}.items():
            monkeypatch.setattr(state, name, value)
        sales, quote = _accepted_quote(db, make_user, email="sales@vendor.test")
        dispatch()
    finally:
        controller.stop()

    [(rcpt_tos, content)] = received
    assert rcpt_tos == ["sales@vendor.test"]
    parsed = BytesParser(policy=policy.default).parsebytes(content)
    assert str(parsed["Subject"]) == f"客户接受了报价 {quote.label}"
    assert str(parsed["From"]) == app.config["MAIL_FROM"]
    [email] = deliveries(kind="quote.accepted", channel="email")
    assert email.status == "sent" and email.sent_at is not None


def test_a_page_that_wrote_events_delivers_them_when_its_request_ends(app, client, login_as, db, outbox):
    """Immediate mode: the commit only raises a flag; the dispatch runs after the request (no explicit
    dispatch_events() here)."""
    sales = login_as("sales")
    customer = client_with_needs(db)
    add_contact(customer, "王店长", "wang@shop.test")
    quote = make_quote(db, customer, by=sales)

    response = client.post(f"/quotes/{quote.id}/send")

    assert response.status_code == 302
    assert sent_to(outbox) == ["wang@shop.test"]
    assert [d.status for d in deliveries(kind="quote.sent")] == ["sent"]


def test_a_commit_that_wrote_events_enqueues_one_dispatch_on_a_real_queue(app, db, monkeypatch):
    from ops.events.services import emit
    from ops.notify import dispatching

    enqueued = []
    monkeypatch.setattr(dispatching, "_immediate", lambda: False)
    monkeypatch.setattr(dispatching, "_enqueue", lambda: enqueued.append(1))
    customer = client_with_needs(db)  # commits without events
    assert enqueued == []

    emit("contract.expiring", customer, key="test:1", contract_id=0, ends_on="2026-12-31")
    db.session.commit()
    assert enqueued == [1]

    emit("contract.expiring", customer, key="test:2", contract_id=0, ends_on="2026-12-31")
    db.session.rollback()  # rolled back: nothing to deliver
    db.session.commit()
    assert enqueued == [1]
