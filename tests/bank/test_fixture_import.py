"""The realistic fixture: two banks' exports (UTF-8 with BOM and GB18030), 220+ rows, matched against
the seeded invoices. What every row should become is written in fixtures/expected.csv by the script
that made the files (by construction, never by the matcher)."""

import csv
from collections import defaultdict

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.bank import services
from ops.bank.models import BankStatement, BankTransaction
from ops.billing.models import Allocation, Invoice, Payment
from ops.billing.services import credit_balance_fen
from tests.bank.helpers import FIXTURES, make_formats, seed_fixture

FILES = ("cmb_2026-10.csv", "icbc_2026-11.csv")


def expected_rows() -> list[dict]:
    with (FIXTURES / "expected.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def parts_of(text: str) -> dict[str, int]:
    return {p.split(":")[0]: int(p.split(":")[1]) for p in text.split(";") if p}


def counts(db) -> dict:
    tables = (BankStatement, BankTransaction, Payment, Allocation, AuditEntry)
    return {t.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in tables}


def import_both(db, formats, user) -> list:
    results = []
    for bank_format, name in zip(formats, FILES, strict=True):
        results.append(services.import_statement(bank_format, name, (FIXTURES / name).read_bytes(), by=user))
        db.session.commit()
    return results


def test_fixture_matches_as_constructed_and_reimport_changes_nothing(db, make_user):
    finance = make_user("finance")
    clients, invoices = seed_fixture(db)
    formats = make_formats(db, by=finance)
    expected = expected_rows()
    assert len(expected) >= 200
    assert (FIXTURES / FILES[0]).read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    with pytest.raises(UnicodeDecodeError):
        (FIXTURES / FILES[1]).read_bytes().decode("utf-8")  # GB18030

    first, second = import_both(db, formats, finance)

    assert (first.encoding, second.encoding) == ("UTF-8", "GB18030")
    incoming = [r for r in expected if r["kind"] != "outgoing"]
    assert first.incoming + second.incoming == len(incoming)
    assert first.outgoing + second.outgoing == len(expected) - len(incoming)
    by_place = {
        (t.statement.filename, t.line): t
        for t in db.session.scalars(
            sa.select(BankTransaction).options(sa.orm.joinedload(BankTransaction.statement))
        )
    }
    assert len(by_place) == len(incoming)
    paid: dict[str, int] = defaultdict(int)
    credit: dict[str, int] = defaultdict(int)
    wrong = []
    for row in incoming:
        transaction = by_place[(row["file"], int(row["line"]))]
        assert transaction.amount_fen == int(row["amount_fen"])
        payments = db.session.scalars(
            sa.select(Payment).where(Payment.bank_transaction_id == transaction.id)
        ).all()
        got = {db.session.get(Invoice, p.invoice_id).number: p.amount_fen for p in payments}
        if row["kind"] == "unmatched":
            if transaction.status != "unmatched" or got:
                wrong.append((row, transaction.status, got))
            continue
        want = parts_of(row["parts"])
        if transaction.status not in ("matched", "partial") or got != want:
            wrong.append((row, transaction.status, got))
            continue
        assert transaction.client_id == clients[row["client"]].id
        assert transaction.credit_fen == int(row["credit_fen"])
        for number, fen in want.items():
            paid[number] += fen
        credit[row["client"]] += int(row["credit_fen"])
    assert wrong == []  # nothing matched wrongly, nothing expected left unmatched
    matched = sum(1 for r in incoming if r["kind"] == "matched")
    assert first.matched + second.matched == matched
    assert matched / len(incoming) >= 0.9

    def balances():
        db.session.expire_all()
        return (
            {n: db.session.get(Invoice, i.id).balance_fen for n, i in invoices.items()},
            {k: credit_balance_fen(c.id) for k, c in clients.items()},
        )

    invoice_balances, credit_balances = balances()
    # Every invoice: its total less what the companion file says was paid to it, to the fen.
    assert invoice_balances == {n: i.total_fen - paid[n] for n, i in invoices.items()}
    assert credit_balances == {k: credit[k] for k in clients}
    assert sum(credit.values()) > 0  # the overpayments are there
    assert all(
        db.session.get(Invoice, i.id).status == ("paid" if invoice_balances[n] == 0 else "issued")
        for n, i in invoices.items()
    )

    before = counts(db)
    again = import_both(db, formats, finance)
    assert [r.statement for r in again] == [None, None]
    assert [r.new for r in again] == [0, 0]
    assert [r.duplicates for r in again] == [first.incoming, second.incoming]
    assert counts(db) == before
    assert balances() == (invoice_balances, credit_balances)
