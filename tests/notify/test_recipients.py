"""Per event kind: the right people hear of it, on the right channels (in-app for staff, e-mail for
staff with an address and for client contacts)."""

import io
from datetime import UTC, date

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from ops.billing import services as billing
from ops.contracts import services as contracts
from ops.events.services import emit
from ops.notify.models import Notification
from ops.quotes import services as quotes
from ops.training import services as training
from tests.billing.helpers import issued_for
from tests.billing.helpers import make_contract as make_billing_contract
from tests.contracts.helpers import make_contract
from tests.notify.helpers import add_contact, deliveries, dispatch, notified, sent_to
from tests.quotes.quote_factories import client_with_needs, make_quote
from tests.training.helpers import pdf_bytes


def _all_notifications(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification))


def test_quote_sent_emails_every_client_contact_with_an_address_and_the_portal_link(
    app, db, make_user, outbox
):
    sales = make_user("sales", email="sales@vendor.test")
    client = client_with_needs(db)
    client.owner_id = sales.id
    add_contact(client, "王店长", "wang@shop.test")
    add_contact(client, "李运营", "")  # no address: nothing to send
    quote = make_quote(db, client, by=sales)
    quotes.send_quote(quote, sales)
    db.session.commit()

    dispatch()

    assert sent_to(outbox) == ["wang@shop.test"]
    message = outbox[0]
    assert message.subject == f"报价单 {quote.label} 已发送"
    assert f"/portal/quotes/{quote.id}" in message.body
    assert _all_notifications(db) == 0  # staff are not told of their own sending


def test_quote_accepted_and_rejected_tell_the_sales_owner_in_app_and_by_email(app, db, make_user, outbox):
    sales = make_user("sales", email="sales@vendor.test")
    other_sales = make_user("sales", email="other@vendor.test")
    manager = make_user("manager", email="boss@vendor.test")
    client = client_with_needs(db)
    client.owner_id = sales.id
    accepted = make_quote(db, client, by=sales)
    quotes.send_quote(accepted, sales)
    db.session.commit()
    dispatch()
    outbox.clear()

    quotes.accept_quote(accepted, None, "同意")
    db.session.commit()
    dispatch()

    assert [n.title for n in notified(sales)] == [f"客户接受了报价 {accepted.label}"]
    assert notified(sales)[0].link == f"/quotes/{accepted.id}"
    assert sent_to(outbox) == ["sales@vendor.test"]
    assert "客户留言：同意" in outbox[0].body
    assert notified(other_sales) == [] and notified(manager) == []


def test_a_discount_waiting_for_approval_tells_every_manager_once(app, db, make_user, outbox):
    sales = make_user("sales")
    managers = [make_user("manager"), make_user("manager")]
    quote = make_quote(db, by=sales)

    quotes.update_quote(quote, {}, 2_000, 30, "", sales)  # 20 % > the card's 10 % threshold
    db.session.commit()
    quotes.update_quote(quote, {}, 2_500, 30, "", sales)  # still waiting: no second call for it
    db.session.commit()
    dispatch()

    for manager in managers:
        assert [n.title for n in notified(manager)] == [f"报价 {quote.label} 的折扣待您审批"]
    assert notified(sales) == []
    assert outbox == []  # the managers have no e-mail address: in-app only


def test_deposit_received_tells_the_finance_contact_and_the_sales_owner(app, db, make_user, outbox):
    sales = make_user("sales", email="sales@vendor.test")
    contract = make_contract(db)
    client = contract.client
    client.owner_id = sales.id
    add_contact(client, "王店长", "wang@shop.test")
    add_contact(client, "赵会计", "zhao@shop.test", finance=True)
    contracts.submit_for_signature(contract)
    contracts.receive_deposit(contract, 1_000_000, date(2026, 11, 20), "BANK-1")
    db.session.commit()

    dispatch()

    assert sorted(sent_to(outbox)) == ["sales@vendor.test", "zhao@shop.test"]
    to_client = next(m for m in outbox if m.to == ["zhao@shop.test"])
    assert "¥10,000.00" in to_client.body  # 1,000,000 fen
    assert [n.link for n in notified(sales)] == [f"/contracts/{contract.id}"]


def test_a_client_upload_tells_the_trainers_and_a_staff_upload_tells_nobody(app, db, make_user, outbox):
    trainers = [make_user("trainer"), make_user("trainer")]
    client_user = make_user("client")
    training.create_material(
        None, "faq", "通用话术", "", FileStorage(io.BytesIO(pdf_bytes()), "a.pdf"), trainers[0]
    )
    db.session.commit()
    material = training.create_material(
        client_user.client_id,
        "faq",
        "新品手册",
        "",
        FileStorage(io.BytesIO(pdf_bytes()), "b.pdf"),
        client_user,
    )
    db.session.commit()

    dispatch()

    for trainer in trainers:
        assert [(n.title, n.link) for n in notified(trainer)] == [
            ("客户上传了培训资料：新品手册", f"/training/materials/{material.id}")
        ]


def test_go_live_soon_tells_the_trainers_and_the_managers(app, db, make_user, outbox):
    trainer = make_user("trainer", email="t@vendor.test")
    manager = make_user("manager")
    sales = make_user("sales")
    contract = make_billing_contract(db, seats=1)
    assignment = contract_assignment(db, contract)
    emit(
        "assignment.golive_soon",
        assignment,
        client_id=contract.client_id,
        key=f"golive:{assignment.id}",
        assignment_id=assignment.id,
        go_live_on="2026-12-02",
    )
    db.session.commit()

    dispatch()

    assert [n.title for n in notified(trainer)] == [f"2026-12-02 上线：{assignment.agent.name}"]
    assert len(notified(manager)) == 1 and notified(sales) == []
    assert sent_to(outbox) == ["t@vendor.test"]


def test_go_live_soon_goes_to_the_trainer_who_trained_the_client_when_there_is_one(
    app, db, make_user, outbox
):
    from datetime import datetime, timedelta

    from ops.training.models import TrainingSession

    ran_it, other = make_user("trainer"), make_user("trainer")
    contract = make_billing_contract(db, seats=1)
    start = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    db.session.add(
        TrainingSession(
            client_id=contract.client_id,
            title="产品培训",
            trainer_id=ran_it.id,
            starts_at=start,
            ends_at=start + timedelta(hours=3),
        )
    )
    assignment = contract_assignment(db, contract)
    emit("assignment.golive_soon", assignment, assignment_id=assignment.id, go_live_on="2026-12-02")
    db.session.commit()

    dispatch()

    assert len(notified(ran_it)) == 1 and notified(other) == []


def contract_assignment(db, contract):
    from ops.onboarding.models import Assignment

    return db.session.scalar(sa.select(Assignment).where(Assignment.contract_id == contract.id))


def test_invoice_issued_emails_the_finance_contacts_with_the_pdf(app, db, make_user, outbox):
    contract = make_billing_contract(db)
    add_contact(contract.client, "王店长", "wang@shop.test")
    add_contact(contract.client, "赵会计", "zhao@shop.test", finance=True)

    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    dispatch()

    assert sent_to(outbox) == ["zhao@shop.test"]
    message = outbox[0]
    assert message.subject == f"账单 {invoice.number} 已开具"
    assert f"/portal/invoices/{invoice.id}" in message.body
    assert "¥10,000.00" in message.body  # 2 seats × ¥5,000.00, VAT included
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content == invoice.pdf and content.startswith(b"%PDF")


def test_invoice_email_waits_for_its_pdf_instead_of_going_without_it(app, db, make_user, outbox, monkeypatch):
    contract = make_billing_contract(db)
    add_contact(contract.client, "赵会计", "zhao@shop.test", finance=True)
    monkeypatch.setattr("ops.notify.messages.invoice_pdf_ready", lambda invoice: False)
    issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))

    dispatch()
    [delivery] = deliveries(kind="invoice.issued")
    assert outbox == [] and delivery.status == "pending" and delivery.next_attempt_at is not None

    monkeypatch.undo()
    delivery.next_attempt_at = None  # the retry time has come
    db.session.commit()
    dispatch()
    assert sent_to(outbox) == ["zhao@shop.test"] and outbox[0].attachments


def test_payment_received_sends_the_client_a_receipt(app, db, make_user, outbox):
    contract = make_billing_contract(db)
    add_contact(contract.client, "赵会计", "zhao@shop.test", finance=True)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    dispatch()
    outbox.clear()

    billing.record_payment(invoice, 400_000, date(2026, 10, 8), "银行转账", "TX-1")
    db.session.commit()
    dispatch()

    assert sent_to(outbox) == ["zhao@shop.test"]
    assert outbox[0].subject == f"收款回执：{invoice.number}"
    # ¥10,000.00 invoice, ¥4,000.00 paid: ¥6,000.00 still open
    assert "¥4,000.00" in outbox[0].body and "¥6,000.00" in outbox[0].body


def test_contract_expiring_tells_the_sales_owner_and_the_managers(app, db, make_user, outbox):
    sales = make_user("sales", email="sales@vendor.test")
    manager = make_user("manager", email="boss@vendor.test")
    finance = make_user("finance", email="money@vendor.test")
    contract = make_billing_contract(db)
    contract.client.owner_id = sales.id
    add_contact(contract.client, "王店长", "wang@shop.test")
    emit(
        "contract.expiring",
        contract,
        client_id=contract.client_id,
        key=f"expiring:{contract.id}",
        contract_id=contract.id,
        ends_on=contract.end_on.isoformat(),
    )
    db.session.commit()

    dispatch()

    assert sorted(sent_to(outbox)) == ["boss@vendor.test", "sales@vendor.test"]
    assert notified(sales)[0].title == f"合同 {contract.number} 将于 {contract.end_on.isoformat()} 到期"
    assert [n.title for n in notified(manager)] == [notified(sales)[0].title]
    assert notified(finance) == []


def _dunning(db, invoice, level: int, days: int, *, final: bool = False, suspension: bool = False):
    """The event as the dunning scan (ops/billing/services/dunning.py) writes it."""
    emit(
        "invoice.dunning",
        invoice,
        client_id=invoice.client_id,
        key=f"invoice.dunning:{invoice.id}:{level}",
        invoice_id=invoice.id,
        reminder_id=level,
        level=level,
        days=days,
        final=final,
        suspension_warning=final and suspension,
    )
    db.session.commit()


def test_dunning_reminders_go_to_the_finance_contacts_and_the_last_warns_of_suspension(app, db, outbox):
    contract = make_billing_contract(db)
    add_contact(contract.client, "赵会计", "zhao@shop.test", finance=True)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    dispatch()
    outbox.clear()

    _dunning(db, invoice, 2, 1)
    _dunning(db, invoice, 4, 15, final=True, suspension=True)
    dispatch()

    first, last = outbox
    assert first.to == last.to == ["zhao@shop.test"]
    assert first.subject == f"付款提醒：账单 {invoice.number}" and "已逾期 1 天" in first.body
    assert "¥10,000.00" in first.body  # nothing paid yet
    assert "最后一次提醒" not in first.body
    assert last.subject == f"最后提醒：账单 {invoice.number} 未付" and "暂停服务" in last.body


def test_a_final_reminder_warns_of_suspension_only_when_the_contract_allows_it(app, db, outbox):
    contract = make_billing_contract(db)
    add_contact(contract.client, "赵会计", "zhao@shop.test", finance=True)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    dispatch()
    outbox.clear()

    _dunning(db, invoice, 4, 15, final=True, suspension=False)
    dispatch()

    [last] = outbox
    assert "最后一次提醒" in last.body and "暂停服务" not in last.body


def test_a_reminder_for_an_invoice_paid_before_sending_is_skipped(app, db, outbox):
    contract = make_billing_contract(db)
    add_contact(contract.client, "赵会计", "zhao@shop.test", finance=True)
    invoice = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    dispatch()
    outbox.clear()
    _dunning(db, invoice, 2, 1)  # recorded by the scan ...
    billing.record_payment(invoice, invoice.total_fen, date(2026, 10, 8), "银行转账", "TX-1")  # ... then paid
    db.session.commit()

    dispatch()

    assert [m.subject for m in outbox] == [f"收款回执：{invoice.number}"]
    [reminder] = deliveries(kind="invoice.dunning")
    assert reminder.status == "skipped"
