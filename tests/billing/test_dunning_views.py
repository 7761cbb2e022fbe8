"""Finance's dunning switches: 标记争议/取消争议 on the invoice page, 暂停催款/恢复催款 on the client's account page."""

from datetime import date

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing.models import Invoice
from ops.clients.models import Client
from tests.billing.helpers import draft_for, issued_for, make_contract


def _actions(db, object_type: str, object_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)
        )
    )


def test_finance_marks_an_invoice_disputed_and_clears_it(client, login_as, db):
    invoice = issued_for(db, make_contract(db), "2026-09", issued_on=date(2026, 10, 2))
    login_as("finance")
    page = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "标记争议" in page and "争议中" not in page
    html = client.post(f"/billing/invoices/{invoice.id}/dispute", follow_redirects=True).get_data(
        as_text=True
    )
    assert "已标记争议，该账单暂停催款。" in html and "争议中" in html and "取消争议" in html
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).disputed_at is not None
    # Twice: refused with a message, nothing changed.
    html = client.post(f"/billing/invoices/{invoice.id}/dispute", follow_redirects=True).get_data(
        as_text=True
    )
    assert "该账单已标记为争议。" in html
    html = client.post(f"/billing/invoices/{invoice.id}/dispute/clear", follow_redirects=True).get_data(
        as_text=True
    )
    assert "已取消争议，该账单恢复催款。" in html
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).disputed_at is None
    assert _actions(db, "invoices", invoice.id)[-2:] == ["invoice.disputed", "invoice.dispute_cleared"]


def test_a_draft_cannot_be_disputed(client, login_as, db):
    draft = draft_for(db, make_contract(db), "2026-09")
    login_as("finance")
    html = client.post(f"/billing/invoices/{draft.id}/dispute", follow_redirects=True).get_data(as_text=True)
    assert "只有已开具、未结清的账单可以标记争议。" in html
    db.session.expire_all()
    assert db.session.get(Invoice, draft.id).disputed_at is None


def test_finance_pauses_and_resumes_a_clients_reminders(client, login_as, db):
    contract = make_contract(db)
    login_as("finance")
    url = f"/billing/clients/{contract.client_id}/account"
    assert "暂停催款" in client.get(url).get_data(as_text=True)
    html = client.post(
        f"/billing/clients/{contract.client_id}/dunning/pause", follow_redirects=True
    ).get_data(as_text=True)
    assert "已暂停该客户的催款提醒。" in html and "恢复催款" in html
    db.session.expire_all()
    assert db.session.get(Client, contract.client_id).dunning_paused_at is not None
    html = client.post(
        f"/billing/clients/{contract.client_id}/dunning/pause", follow_redirects=True
    ).get_data(as_text=True)
    assert "该客户的催款已暂停。" in html
    client.post(f"/billing/clients/{contract.client_id}/dunning/resume")
    db.session.expire_all()
    assert db.session.get(Client, contract.client_id).dunning_paused_at is None
    assert _actions(db, "clients", contract.client_id)[-2:] == [
        "client.dunning_paused",
        "client.dunning_resumed",
    ]


def test_sales_cannot_pause_reminders(client, login_as, db):
    contract = make_contract(db)
    login_as("sales")
    assert client.post(f"/billing/clients/{contract.client_id}/dunning/pause").status_code == 403
    db.session.expire_all()
    assert db.session.get(Client, contract.client_id).dunning_paused_at is None


def test_the_invoice_page_lists_its_reminders(client, login_as, db, monkeypatch):
    from ops.billing import services
    from ops.billing.services import dunning
    from tests.event_rows import events_of

    invoice = issued_for(db, make_contract(db), "2026-09", issued_on=date(2026, 10, 2))
    monkeypatch.setattr(dunning, "today", lambda: date(2026, 10, 7))  # level 2 (+1 day) is due
    assert services.run_dunning() == 1
    (event,) = events_of("invoice.dunning")
    assert (event.key, event.subject_type, event.subject_id, event.client_id) == (
        f"invoice.dunning:{invoice.id}:2",
        "invoices",
        invoice.id,
        invoice.client_id,
    )
    login_as("finance")
    html = client.get(f"/billing/invoices/{invoice.id}").get_data(as_text=True)
    assert "第 2 级 · 到期日 +1 天" in html and "待发送" in html and "¥10,000.00" in html
    assert "催款提醒" in html  # also the history's label for the recorded reminder
