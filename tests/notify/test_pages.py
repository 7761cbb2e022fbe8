"""The notification centre's pages: the bell, the list, opening, mark all read, preferences; the
admin's 发件箱."""

import re

import sqlalchemy as sa

from ops.notify.mail import FILE_BACKEND
from ops.notify.models import Delivery, Notification, NotificationPreference
from tests.notify.helpers import add_contact, deliveries, dispatch
from tests.quotes.quote_factories import client_with_needs, make_quote


def _notify(db, user, n: int, *, read: int = 0) -> list[Notification]:
    rows = [
        Notification(
            user_id=user.id,
            kind="quote.accepted",
            title=f"客户接受了报价 BJ-2026-{i:04d} v1",
            link=f"/quotes/{i}",
        )
        for i in range(1, n + 1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    for row in rows[:read]:
        row.read_at = row.created_at
    db.session.commit()
    return rows


def _bell(html: str) -> str:
    match = re.search(r'id="notification-bell"[^>]*>(.*?)</a>', html, re.S)
    assert match, "no bell in the navbar"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_bell_shows_the_unread_count(client, login_as, db):
    sales = login_as("sales")
    assert _bell(client.get("/").get_data(as_text=True)) == "通知"
    _notify(db, sales, 3, read=1)
    assert _bell(client.get("/").get_data(as_text=True)) == "通知 2"


def test_client_users_have_no_bell_and_no_notification_pages(client, login_as):
    login_as("client")
    assert 'id="notification-bell"' not in client.get("/portal/").get_data(as_text=True)
    assert client.get("/notifications/").status_code == 403


def test_the_list_filters_unread_and_opening_one_marks_it_read_and_follows_its_link(client, login_as, db):
    sales = login_as("sales")
    first, second = _notify(db, sales, 2)
    other = _notify(db, login_as_other(db), 1)[0]

    page = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert first.title in page and second.title in page

    response = client.post(f"/notifications/{first.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/quotes/1"
    db.session.refresh(first)
    assert first.read_at is not None
    assert first.title not in client.get("/notifications/?unread=1").get_data(as_text=True)
    assert client.post(f"/notifications/{other.id}/open").status_code == 404  # someone else's


def login_as_other(db):
    from ops.auth import services

    user = services.create_user(
        username="other_sales", display_name="别人", role="sales", password="correct-horse-1"
    )
    db.session.commit()
    return user


def test_mark_all_read(client, login_as, db):
    sales = login_as("sales")
    _notify(db, sales, 3)
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "已将 3 条通知标为已读。" in response.get_data(as_text=True)
    unread = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.read_at.is_(None))
    )
    assert unread == 0


def test_preferences_page_saves_the_choices(client, login_as, db):
    sales = login_as("sales")
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert page.count('type="checkbox"') == 2 * 7 and page.count("checked") == 2 * 7  # all on by default

    everything_but_one = [
        f"{kind}|{channel}"
        for kind in (
            "quote.accepted",
            "quote.rejected",
            "quote.approval_needed",
            "deposit.received",
            "material.uploaded",
            "assignment.golive_soon",
            "contract.expiring",
        )
        for channel in ("in_app", "email")
        if (kind, channel) != ("contract.expiring", "email")
    ]
    response = client.post("/notifications/preferences", data={"chosen": everything_but_one})
    assert response.status_code == 302
    off = db.session.execute(
        sa.select(NotificationPreference.kind, NotificationPreference.channel).where(
            NotificationPreference.user_id == sales.id, NotificationPreference.enabled.is_(False)
        )
    ).all()
    assert off == [("contract.expiring", "email")]
    assert client.get("/notifications/preferences").get_data(as_text=True).count("checked") == 2 * 7 - 1


def test_the_contact_form_sets_language_finance_and_the_emails_received(client, login_as, db):
    login_as("sales")
    customer = client_with_needs(db)
    contact = add_contact(customer, "王店长", "wang@shop.test")
    url = f"/clients/{customer.id}/contacts/{contact.id}/edit"
    assert client.get(url).get_data(as_text=True).count('name="emails"') == 5
    response = client.post(
        url,
        data={
            "name": "王店长",
            "email": "wang@shop.test",
            "is_finance": "y",
            "locale": "en",
            "emails": ["invoice.issued"],
        },
    )
    assert response.status_code == 302
    db.session.refresh(contact)
    assert (contact.is_finance, contact.locale) == (True, "en")
    off = set(
        db.session.scalars(
            sa.select(NotificationPreference.kind).where(NotificationPreference.contact_id == contact.id)
        )
    )
    assert off == {"quote.sent", "deposit.received", "payment.received", "invoice.dunning"}


def test_the_outbox_lists_the_eml_files_and_the_deliveries_and_resends_a_failed_one(
    app, client, login_as, db, tmp_path, make_user
):
    login_as("admin")
    sales = make_user("sales", email="sales@vendor.test")
    customer = client_with_needs(db)
    customer.owner_id = sales.id
    add_contact(customer, "王店长", "wang@shop.test")
    quote = make_quote(db, customer, by=sales)
    backend = app.extensions["mailman"].backend
    outbox_dir = app.config["OUTBOX_DIR"]
    app.config.update(MAIL_BACKEND=FILE_BACKEND, OUTBOX_DIR=str(tmp_path))
    app.extensions["mailman"].backend, app.extensions["mailman"].file_path = FILE_BACKEND, str(tmp_path)
    try:
        from ops.quotes import services as quotes

        quotes.send_quote(quote, sales)
        db.session.commit()
        dispatch()
        [eml] = list(tmp_path.glob("*.eml"))
        page = client.get("/admin/outbox/").get_data(as_text=True)
        assert "wang@shop.test" in page and f"报价单 {quote.label} 已发送" in page
        shown = client.get(f"/admin/outbox/mail/{eml.name}").get_data(as_text=True)
        assert f"/portal/quotes/{quote.id}" in shown
        assert client.get("/admin/outbox/mail/..%2Fsecret_key").status_code == 404
    finally:
        app.config.update(MAIL_BACKEND="locmem", OUTBOX_DIR=outbox_dir)
        app.extensions["mailman"].backend = backend

    [delivery] = deliveries(kind="quote.sent")
    delivery.status, delivery.error = "failed", "SMTPServerDisconnected: gone"
    db.session.commit()
    page = client.get("/admin/outbox/?status=failed").get_data(as_text=True)
    assert "SMTPServerDisconnected: gone" in page and f"/admin/outbox/deliveries/{delivery.id}/resend" in page
    response = client.post(f"/admin/outbox/deliveries/{delivery.id}/resend", follow_redirects=True)
    assert "已重新发送。" in response.get_data(as_text=True)
    assert db.session.get(Delivery, delivery.id).status == "sent"


def test_only_admins_open_the_outbox(client, login_as):
    login_as("manager")
    assert client.get("/admin/outbox/").status_code == 403
