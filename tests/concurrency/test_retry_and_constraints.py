"""A billing run retries a contract that lost a lock race; the database backs the check-then-write rules."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from ops.billing import services
from ops.billing.models import Invoice
from ops.billing.services import drafts, runs
from ops.contracts.models import Contract
from ops.contracts.services import ContractError, create_from_quote
from ops.transactions import is_retryable
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.contracts.helpers import make_accepted_quote


class FakeDriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate


def _lost_race(sqlstate="40P01", message="deadlock detected"):
    return OperationalError("UPDATE invoices …", {}, FakeDriverError(message, sqlstate))


def test_deadlocks_serialization_failures_and_a_locked_sqlite_file_are_retryable():
    assert is_retryable(_lost_race("40P01"))
    assert is_retryable(_lost_race("40001", "could not serialize access"))
    assert is_retryable(_lost_race(None, "database is locked"))
    assert not is_retryable(_lost_race("23505", "duplicate key value"))
    assert not is_retryable(ValueError("database is locked"))


def test_a_run_retries_the_contract_that_lost_a_lock_race(db, monkeypatch):
    shop = make_billing_client(db)
    first, second = make_contract(db, shop, seats=1), make_contract(db, shop, seats=1)
    real = services.refresh_draft
    failures = {first.id: 2}  # the first contract loses twice, then goes through

    def flaky(contract, period_code, by=None):
        if failures.get(contract.id):
            failures[contract.id] -= 1
            raise _lost_race()
        return real(contract, period_code, by=by)

    monkeypatch.setattr(drafts, "refresh_draft", flaky)  # what the run's locked step calls
    summary = services.run_billing("2026-09", issue=True)
    assert summary.errors == []
    assert (summary.created, summary.issued) == (2, 2)
    numbers = db.session.execute(sa.select(Invoice.contract_id, Invoice.status)).all()
    assert sorted(numbers) == [(first.id, "issued"), (second.id, "issued")]


def test_a_contract_that_keeps_losing_is_listed_and_the_run_goes_on(db, monkeypatch):
    shop = make_billing_client(db)
    stuck, fine = make_contract(db, shop, seats=1), make_contract(db, shop, seats=1)
    stuck_number, stuck_id = stuck.number, stuck.id
    real = services.issue_invoice

    def always_locked(invoice_id, **kwargs):
        if db.session.get(Invoice, invoice_id).contract_id == stuck_id:
            raise _lost_race("40001", "could not serialize access")
        return real(invoice_id, **kwargs)

    monkeypatch.setattr(runs, "issue_invoice", always_locked)  # what the run calls
    summary = services.run_billing("2026-09", issue=True)
    assert [number for number, _ in summary.errors] == [stuck_number]
    statuses = dict(db.session.execute(sa.select(Invoice.contract_id, Invoice.status)).all())
    assert statuses == {stuck_id: "draft", fine.id: "issued"}  # the draft is kept; the next run issues it


def test_one_live_contract_per_quote_is_a_database_rule(db):
    quote = make_accepted_quote(db)
    contract = create_from_quote(quote, None, start_on=date(2026, 12, 1))
    db.session.commit()
    with pytest.raises(ContractError, match="该报价单已生成合同"):
        create_from_quote(quote, None)
    db.session.rollback()
    # Written past the service, the second contract is refused by the unique partial index.
    values = {
        c.name: getattr(contract, c.name)
        for c in Contract.__table__.columns
        if c.name not in ("id", "number")
    }
    with pytest.raises(IntegrityError):
        db.session.execute(sa.insert(Contract.__table__).values(**values))
    db.session.rollback()
    # A terminated contract frees its quote for a new one.
    db.session.execute(sa.update(Contract.__table__).values(status="terminated"))
    db.session.commit()
    create_from_quote(quote, None, start_on=date(2027, 1, 1))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 2


def test_paid_fen_cannot_go_negative_or_above_the_total(db):
    invoice = issued_for(db, make_contract(db, seats=1))  # ¥5,000.00
    for paid in (-1, 500_001):
        with pytest.raises(IntegrityError):
            db.session.execute(
                sa.update(Invoice.__table__).where(Invoice.id == invoice.id).values(paid_fen=paid)
            )
            db.session.flush()
        db.session.rollback()
