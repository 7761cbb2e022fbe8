"""Helpers for the invoice tests: an active contract with agents on seats, billed and issued."""

from datetime import date, timedelta

import sqlalchemy as sa

from ops.billing import services
from ops.billing.models import Invoice
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.onboarding.models import Agent, Assignment
from tests.factories import TAX_IDS, make_client

VENDOR = dict(
    vendor_name="杭州云帆客服外包有限公司",
    vendor_tax_id="91330106MA2B2QXY3M",
    vendor_address="杭州市西湖区文三路 90 号",
    vendor_phone="0571-88886666",
    vendor_bank_name="招商银行杭州分行",
    vendor_bank_account="571908886666001",
)

_counter = {"n": 0}


def make_billing_client(
    db,
    name: str = "北京晨光家居旗舰店",
    legal_name: str = "北京晨光家居用品有限公司",
    tax_id: str = TAX_IDS[1],
) -> Client:
    return make_client(db, name=name, legal_name=legal_name, tax_id=tax_id, stage="live")


def make_contract(
    db,
    client: Client | None = None,
    *,
    seats: int = 2,
    rate_fen: int = 500_000,
    start_on: date = date(2026, 8, 1),
    go_live_on: date = date(2026, 8, 1),
    **fields,
) -> Contract:
    """An active fixed-seat contract billed monthly in arrears, 6 % VAT included, due on the 5th of the
    next month; ``seats`` agents on 售前白班 at ``rate_fen`` a month, live from ``go_live_on``."""
    client = client or make_billing_client(db)
    _counter["n"] += 1
    n = _counter["n"]
    values = dict(
        number=f"HT-2026-{n:04d}",
        client_id=client.id,
        status="active",
        title=f"{client.name} 客服外包服务合同",
        start_on=start_on,
        end_on=date(start_on.year + 1, start_on.month, start_on.day) - timedelta(days=1),
        model="fixed_seat",
        terms={
            "model": "fixed_seat",
            "seats": [{"scope": "presales", "shift": "day", "seats": seats, "monthly_rate_fen": rate_fen}],
            "extras": [],
        },
        billing_cycle="monthly",
        billing_timing="in_arrears",
        due_rule="day_of_next_month",
        due_value=5,
        tax_rate_bp=600,
        prices_include_tax=True,
        invoice_type="normal",
        breakin_months=0,
        client_legal_name=client.legal_name,
        client_tax_id=client.tax_id or "",
        client_address="北京市海淀区中关村大街 1 号",
        client_phone="010-66668888",
        client_bank_name="工商银行北京海淀支行",
        client_bank_account="0200004509001234567",
        **VENDOR,
    )
    values.update(fields)
    contract = Contract(**values)
    db.session.add(contract)
    db.session.flush()
    for i in range(seats):
        agent = Agent(name=f"客服{n}-{i + 1}", employee_no=f"E{n:03d}{i:03d}", status="live")
        db.session.add(agent)
        db.session.flush()
        db.session.add(
            Assignment(
                agent_id=agent.id,
                contract_id=contract.id,
                client_id=client.id,
                scope="presales",
                shift="day",
                go_live_on=go_live_on,
            )
        )
    db.session.commit()
    return contract


def draft_for(db, contract: Contract, period: str = "2026-09") -> Invoice:
    invoice, _outcome = services.refresh_draft(contract, period)
    db.session.commit()
    return invoice


def issued_for(db, contract: Contract, period: str = "2026-09", issued_on: date | None = None) -> Invoice:
    invoice = draft_for(db, contract, period)
    return services.issue_invoice(invoice.id, issued_on=issued_on)


def invoice_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))
