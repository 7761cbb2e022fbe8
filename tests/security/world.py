"""A world with one object of every type: the demo data set plus what the security tests need.

Client A is the demo's portal client (the one with the longest-running active contract: a sent
quote, an active contract with a signed copy, an issued invoice with a credit note, materials,
sessions and agents on seats). Client B is another demo client, topped up here so that it, too,
has one object of every type a portal URL names. One user per role logs in; the client user
belongs to A.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from ops.auth import services as auth_services
from ops.auth.models import User
from ops.auth.tokens import create_token
from ops.billing import services as billing_services
from ops.billing.models import ContractExtraEntry, CreditNote, Invoice, InvoiceLine
from ops.clients import services as client_services
from ops.clients.models import Client, PlanItem
from ops.contracts.models import ClauseTemplate, Contract, ContractAmendment
from ops.demo import load_demo
from ops.extensions import db
from ops.onboarding.models import Assignment, ChecklistItem, ChecklistTemplateItem, PlatformRule
from ops.quotes.models import Quote, RateCard
from ops.timeutil import utcnow
from ops.training import services as training_services
from ops.training.models import Material, TrainingSession
from tests.conftest import PASSWORD
from tests.training.helpers import pdf_bytes, upload

ROLES = ("anonymous", "admin", "manager", "sales", "trainer", "finance", "client")
STAFF = ("admin", "manager", "sales", "trainer", "finance")


@dataclass
class ClientObjects:
    """The ids of one client's objects that a URL can name (portal-visible where the portal shows them)."""

    client_id: int
    name: str
    quote_id: int
    quote_number: str
    contract_id: int
    contract_number: str
    invoice_id: int
    invoice_number: str
    credit_note_id: int
    material_id: int
    session_id: int
    assignment_id: int
    agent_id: int
    checklist_item_id: int
    plan_item_id: int
    amendment_id: int


@dataclass
class World:
    a: ClientObjects
    b: ClientObjects
    usernames: dict[str, str]  # role -> username (the client user belongs to A)
    ids: dict[str, int] = field(default_factory=dict)  # everything else a URL names


def wipe_tables(app) -> None:
    """Empty every table (what tests/conftest.py does after each test)."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
                )
            else:
                conn.execute(sa.text("UPDATE users SET client_id = NULL"))
                for t in tables:
                    conn.execute(sa.text(f'DELETE FROM "{t}"'))


def _first(stmt):
    value = db.session.scalars(stmt.limit(1)).first()
    assert value is not None, str(stmt)
    return value


def _portal_objects(client: Client, admin: User, trainer: User) -> ClientObjects:
    """The client's portal-visible objects, creating a material, a session and a credit note if missing."""
    quote = _first(
        sa.select(Quote)
        .where(Quote.client_id == client.id, Quote.status.in_(("sent", "accepted", "rejected")))
        .order_by(Quote.id)
    )
    contract = _first(
        sa.select(Contract)
        .where(
            Contract.client_id == client.id, Contract.status == "active", Contract.signed_file.is_not(None)
        )
        .order_by(Contract.id)
    )
    invoice = _first(
        sa.select(Invoice)
        .where(Invoice.client_id == client.id, Invoice.status.in_(("issued", "paid")))
        .order_by(Invoice.id)
    )
    note = db.session.scalars(
        sa.select(CreditNote).join(Invoice).where(Invoice.client_id == client.id)
    ).first()
    if note is None:
        note = billing_services.create_credit_note(invoice, 100, "安全测试：冲销 1 元", by=admin)
    material = db.session.scalars(sa.select(Material).where(Material.client_id == client.id)).first()
    if material is None:
        material = training_services.create_material(
            client.id, "faq", f"{client.name} 常见问题", "", upload("faq.pdf", pdf_bytes("FAQ")), admin
        )
    session = db.session.scalars(
        sa.select(TrainingSession).where(TrainingSession.client_id == client.id)
    ).first()
    if session is None:
        start = utcnow() + timedelta(days=3)
        session = training_services.schedule_session(
            training_services.SessionInput(
                title=f"{client.name} 岗前培训",
                mode="online",
                trainer_id=trainer.id,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                client_id=client.id,
                meeting_link="https://meeting.example.cn/123",
            ),
            trainer,
        )
    assignment = _first(
        sa.select(Assignment).where(Assignment.client_id == client.id).order_by(Assignment.id)
    )
    item = _first(
        sa.select(ChecklistItem)
        .where(ChecklistItem.assignment_id == assignment.id)
        .order_by(ChecklistItem.id)
    )
    plan_item = _first(sa.select(PlanItem).where(PlanItem.client_id == client.id).order_by(PlanItem.id))
    db.session.flush()
    return ClientObjects(
        client_id=client.id,
        name=client.name,
        quote_id=quote.id,
        quote_number=quote.number,
        contract_id=contract.id,
        contract_number=contract.number,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        credit_note_id=note.id,
        material_id=material.id,
        session_id=session.id,
        assignment_id=assignment.id,
        agent_id=assignment.agent_id,
        checklist_item_id=item.id,
        plan_item_id=plan_item.id,
        amendment_id=_sent_amendment(contract).id,
    )


def _sent_amendment(contract: Contract) -> ContractAmendment:
    """An amendment of the contract sent to the client, keeping its seats and extras as they are."""
    seq = 1 + (
        db.session.scalar(
            sa.select(sa.func.max(ContractAmendment.seq)).where(ContractAmendment.contract_id == contract.id)
        )
        or 0
    )
    amendment = ContractAmendment(
        contract_id=contract.id,
        seq=seq,
        number=f"{contract.number}-B{seq}",
        effective_on=contract.end_on,
        terms={"seats": contract.terms.get("seats", []), "extras": contract.terms.get("extras", [])},
        reason="安全测试",
        status="sent",
        sent_at=utcnow(),
        decision_note="",
    )
    db.session.add(amendment)
    db.session.flush()
    return amendment


def build_world() -> World:
    """Load the demo, then add the users and objects the security tests name. Commits."""
    load_demo()
    db.session.commit()
    admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
    trainer = db.session.scalar(sa.select(User).where(User.username == "trainer"))
    home_id = db.session.scalar(sa.select(User.client_id).where(User.username == "client"))
    client_a = db.session.get(Client, home_id)
    # B: another client with an active, signed contract and issued invoices (the demo has one).
    client_b = _first(
        sa.select(Client)
        .join(Contract, Contract.client_id == Client.id)
        .join(Invoice, Invoice.client_id == Client.id)
        .join(Assignment, Assignment.client_id == Client.id)
        .where(Client.id != client_a.id, Contract.status == "active", Contract.signed_file.is_not(None))
        .order_by(Client.id)
    )
    a = _portal_objects(client_a, admin, trainer)
    b = _portal_objects(client_b, admin, trainer)

    usernames = {}
    for role in ROLES[1:]:
        username = f"sec_{role}"
        auth_services.create_user(
            username=username,
            display_name=f"安全测试 {role}",
            role=role,
            password=PASSWORD,
            must_change_password=False,
            client_id=client_a.id if role == "client" else None,
        )
        usernames[role] = username

    ids = {}
    # Per role a contact and a shop of A, so that one role's successful removal leaves the next role's
    # target in place (an empty POST to a removal route is a confirmed removal while CSRF is off).
    for role in ROLES:
        contact = client_services.add_contact(
            client_a, {"name": f"联系人{role}", "phone": "13800138000"}, by=admin
        )
        shop = client_services.add_shop(client_a, "jd", f"{client_a.name} 京东店 {role}", by=admin)
        db.session.flush()
        ids[f"contact_id:{role}"] = contact.id
        ids[f"shop_id:{role}"] = shop.id
    token, _secret = create_token("安全测试令牌", client_a.id, by=admin)
    db.session.flush()
    ids["token_id"] = token.id
    ids["user_id"] = db.session.scalar(sa.select(User.id).where(User.username == "sales2"))
    ids["card_id"] = db.session.scalar(sa.select(sa.func.min(RateCard.id)))
    ids["template_id"] = db.session.scalar(sa.select(sa.func.min(ClauseTemplate.id)))
    # The first platform rule and checklist template item are the targets of the edit routes; each role
    # deletes one of the next ones, so a deletion never takes another request's target away.
    for key, model in (("rule_id", PlatformRule), ("template_item_id", ChecklistTemplateItem)):
        first, *others = db.session.scalars(sa.select(model.id).order_by(model.id)).all()
        ids[key] = first
        for role, object_id in zip(ROLES, others, strict=False):
            ids[f"{key}:{role}"] = object_id
    # Per role a dated extra of A's contract: the delete route's target.
    contract_a = db.session.get(Contract, a.contract_id)
    for role in ROLES:
        entry = ContractExtraEntry(
            contract_id=contract_a.id,
            label=f"节假日补贴 {role}",
            start_on=contract_a.end_on,
            end_on=contract_a.end_on,
            headcount=1,
            shifts_per_day=1,
            unit="person_day",
            unit_price_fen=20_000,
        )
        db.session.add(entry)
        db.session.flush()
        ids[f"entry_id:{role}"] = entry.id
    ids["line_id"] = db.session.scalar(
        sa.select(sa.func.min(InvoiceLine.id)).where(InvoiceLine.invoice_id == a.invoice_id)
    )
    # A finished finance job (a kind of the tests' own): admin, manager and finance see it, others 404.
    from ops.tasks import jobs
    from ops.tasks.models import Job

    jobs.register_kind(
        "test.world",
        label="World job",
        roles=("admin", "manager", "finance"),
        items=list,
        run_item=lambda j, k: None,
    )
    job = Job(kind="test.world", params={"period": "2026-10"}, status="done", done=1, total=1, message="")
    db.session.add(job)
    db.session.flush()
    ids["job_id"] = job.id
    _bank(ids)
    db.session.commit()
    _notifications(ids, usernames, admin)
    _webhooks(ids, admin)
    return World(a=a, b=b, usernames=usernames, ids=ids)


def _bank(ids: dict) -> None:
    """A bank format, an imported statement and one unmatched transfer (the bank pages' targets)."""
    from datetime import date

    from ops.bank.models import BankFormat, BankStatement, BankTransaction

    bank_format = BankFormat(
        name="安全测试银行",
        date_column="日期",
        date_format="%Y-%m-%d",
        amount_column="金额",
        payer_name_column="对方户名",
        payer_account_column="对方账号",
        reference_column="摘要",
    )
    db.session.add(bank_format)
    db.session.flush()
    statement = BankStatement(
        format_id=bank_format.id, filename="安全测试.csv", encoding="UTF-8", sha256="0" * 64
    )
    db.session.add(statement)
    db.session.flush()
    transaction = BankTransaction(
        statement_id=statement.id,
        dedupe_key="security:1",
        line=2,
        booked_on=date(2026, 11, 2),
        amount_fen=10_000,
        payer_name="安全测试付款方",
        status="unmatched",
        suggestions=[],
    )
    db.session.add(transaction)
    db.session.flush()
    ids["statement_id"] = statement.id
    ids["transaction_id"] = transaction.id


def _notifications(ids: dict, usernames: dict, admin: User) -> None:
    """The demo's events delivered (deliveries, in-app notifications), a notification per staff role
    (opened by that role's user: someone else's is 404) and an English e-mail in the outbox folder."""
    from flask import current_app
    from flask_mailman import EmailMessage

    from ops.notify.mail import EmlEmailBackend, mail, outbox_entries
    from ops.notify.models import Delivery, Notification
    from ops.notify.services import dispatch_events

    dispatch_events()
    for role in ROLES:
        username = usernames.get(role, "admin") if role != "client" else "admin"
        user = db.session.scalar(sa.select(User).where(User.username == username))
        notification = Notification(
            user_id=user.id, kind="quote.accepted", title=f"客户接受了报价 {role}", link="/quotes/"
        )
        db.session.add(notification)
        db.session.flush()
        ids[f"notification_id:{role}"] = notification.id
    ids["delivery_id"] = db.session.scalar(sa.select(sa.func.min(Delivery.id))) or 1
    db.session.commit()
    connection = mail.get_connection(backend=EmlEmailBackend, file_path=current_app.config["OUTBOX_DIR"])
    EmailMessage(
        "Quote sent",
        "Dear client,\n\nWe have sent you a quote.",
        "noreply@vendor.test",
        ["client@shop.test"],
        connection=connection,
    ).send()
    ids["eml_name"] = outbox_entries()[0].name


def _webhooks(ids: dict, admin: User) -> None:
    """A subscription (to a port nobody listens on) with a failed delivery, and one per role to delete."""
    from ops.webhooks import services as webhooks
    from ops.webhooks.models import WebhookDelivery

    url = "http://127.0.0.1:9/world"
    subscription, _secret = webhooks.create_subscription(
        url, ["invoice.issued"], allow_private=True, by=admin
    )
    for role in ROLES:
        other, _secret = webhooks.create_subscription(url, ["invoice.paid"], allow_private=True, by=admin)
        ids[f"subscription_id:{role}"] = other.id
    ids["subscription_id"] = subscription.id
    delivery = WebhookDelivery(
        subscription_id=subscription.id,
        event_type="invoice.issued",
        msg_id="msg_world",
        body="{}",
        status="failed",
        attempts=1,
        error="HTTP 500",
    )
    db.session.add(delivery)
    db.session.flush()
    ids["webhook_delivery_id"] = delivery.id
    db.session.commit()
