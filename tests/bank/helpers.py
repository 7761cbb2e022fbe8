"""Helpers for the bank-statement tests: the two banks' formats and the fixture's seeded invoices."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ops.bank import services
from ops.bank.engine.statement import Layout
from ops.bank.models import BankFormat, BankPayerAccount
from ops.billing.models import Invoice
from ops.clients.models import Client
from tests.billing.helpers import make_contract
from tests.factories import make_client

FIXTURES = Path(__file__).parent / "fixtures"

CMB = Layout(
    date_column="交易日期",
    date_format="%Y-%m-%d",
    credit_column="收入金额",
    debit_column="支出金额",
    payer_name_column="对方户名",
    payer_account_column="对方账号",
    reference_column="摘要",
    serial_column="流水号",
)
ICBC = Layout(
    date_column="日期",
    date_format="%Y%m%d",
    amount_column="金额",
    payer_name_column="对方单位",
    payer_account_column="对方账号",
    reference_column="用途",
)


def make_formats(db, by=None) -> tuple[BankFormat, BankFormat]:
    cmb = services.create_format("招商银行网银导出", CMB, by=by)
    icbc = services.create_format("工商银行账户明细", ICBC, by=by)
    db.session.commit()
    return cmb, icbc


def make_open_invoice(
    db, client: Client, number: str, total_fen: int, issued_on: date, period: str, contract=None
) -> Invoice:
    """An issued invoice of ``total_fen`` with nothing paid (the row as issuing leaves it)."""
    contract = contract or make_contract(db, client, seats=1)
    invoice = Invoice(
        contract_id=contract.id,
        client_id=client.id,
        period=period,
        period_start=date.fromisoformat(period + "-01") if len(period) == 7 else issued_on,
        period_end=issued_on,
        number=number,
        status="issued",
        issued_on=issued_on,
        due_on=issued_on,
        subtotal_fen=total_fen,
        net_fen=total_fen,
        total_fen=total_fen,
    )
    db.session.add(invoice)
    db.session.commit()
    return invoice


def seed_fixture(db) -> tuple[dict[str, Client], dict[str, Invoice]]:
    """The fixture's clients, their known payer accounts and their open invoices (seed.json)."""
    seed = json.loads((FIXTURES / "seed.json").read_text(encoding="utf-8"))
    clients: dict[str, Client] = {}
    contracts = {}
    for row in seed["clients"]:
        client = make_client(db, name=row["name"], legal_name=row["legal_name"], stage="live")
        clients[row["key"]] = client
        contracts[row["key"]] = make_contract(db, client, seats=1)
        for account in row["known_accounts"]:
            db.session.add(BankPayerAccount(account=account, client_id=client.id))
    db.session.commit()
    invoices = {}
    for row in seed["invoices"]:
        invoices[row["number"]] = make_open_invoice(
            db,
            clients[row["client"]],
            row["number"],
            row["total_fen"],
            date.fromisoformat(row["issued_on"]),
            row["period"],
            contract=contracts[row["client"]],
        )
    return clients, invoices
