"""bench/load.py's "rows lost": what the API acknowledged, compared with what the database holds.

The load check itself runs gunicorn for a minute (`make load`, CI's `bench/ci_checks.sh`); here its
comparison runs on rows written directly, on the test database (SQLite or PostgreSQL), so a lost,
doubled or altered write is known to be counted and a clean run known to count none.
"""

from datetime import date

import pytest

from bench._server import Instance
from bench.load import LoadResult, check_writes, table_counts
from ops.billing.services import record_payment
from ops.clients import services as client_services
from tests.billing.helpers import issued_for, make_contract


@pytest.fixture
def instance(app, tmp_path):
    """The check's view of the test database: sqlite3 read-only, or psycopg with the same queries."""
    return Instance(tmp_path / "instance", database_url=app.config["SQLALCHEMY_DATABASE_URI"])


def acknowledged(**fields) -> LoadResult:
    return LoadResult(samples=[], posted={}, batches=0, thread_failures=[], seconds=1.0, **fields)


def test_every_acknowledged_write_stored_once_counts_nothing_lost(db, instance):
    invoice = issued_for(db, make_contract(db, seats=1))  # 1 seat × ¥5,000.00 = 500,000 fen to pay
    db.session.commit()
    with instance.connect() as conn:
        before = table_counts(conn)
    client = client_services.create_client({"name": "压测客户 t-0-0"})
    contact = client_services.add_contact(client, {"name": "联系人 t-0-0"})
    payment = record_payment(invoice, 99, date(2026, 10, 20), "银行转账", "LOAD-t-0-0")
    db.session.commit()

    failures, stored = check_writes(
        instance,
        acknowledged(
            clients={"压测客户 t-0-0": client.id},
            contacts={"联系人 t-0-0": (contact.id, client.id)},
            payments={"LOAD-t-0-0": (payment.id, invoice.id, 99)},
        ),
        before,
    )

    assert failures == []
    assert {kind: (s.acknowledged, s.lost) for kind, s in stored.items()} == {
        "client": (1, 0),
        "contact": (1, 0),
        "payment": (1, 0),
    }


def test_a_missing_a_doubled_and_an_altered_write_each_count_as_lost(db, instance):
    invoice = issued_for(db, make_contract(db, seats=1))
    db.session.commit()
    with instance.connect() as conn:
        before = table_counts(conn)
    client = client_services.create_client({"name": "压测客户 t-0-0"})
    contact = client_services.add_contact(client, {"name": "联系人 t-0-0"})
    first = record_payment(invoice, 99, date(2026, 10, 20), "银行转账", "LOAD-t-0-0")
    record_payment(invoice, 99, date(2026, 10, 20), "银行转账", "LOAD-t-0-0")  # the same payment again
    db.session.commit()

    failures, stored = check_writes(
        instance,
        acknowledged(
            # answered 201 twice, stored once
            clients={"压测客户 t-0-0": client.id, "压测客户 t-0-1": client.id + 1},
            contacts={"联系人 t-0-0": (contact.id, client.id + 1)},  # stored under another client
            payments={"LOAD-t-0-0": (first.id, invoice.id, 99)},  # stored twice
        ),
        before,
    )

    assert (stored["client"].missing, stored["client"].lost) == (1, 1)
    assert (stored["contact"].wrong, stored["contact"].lost) == (1, 1)
    assert (stored["payment"].duplicated, stored["payment"].lost) == (1, 1)
    assert "1 acknowledged clients missing" in failures
    assert "1 acknowledged payments stored more than once" in failures
    assert f"payments has {before['payments'] + 2} rows, expected {before['payments']} + 1" in failures
    # paid_fen kept the sum of both (99 + 99 fen): the service stays consistent, only the check objects
    assert not [f for f in failures if "paid_fen" in f]
