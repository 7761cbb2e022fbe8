"""The list pages run the same number of SQL queries whatever the number of rows they show.

Eager loading keeps a page's query count flat: a lazy load in a template would add a query per row.
bench/run.py checks the same pages at full size (500 clients, 1,000 contracts) against a tenth.
"""

from datetime import date

import pytest
from sqlalchemy import event

from ops.clients.models import Client
from tests.billing.helpers import issued_for, make_contract
from tests.conftest import PASSWORD
from tests.factories import make_client


def _add_rows(db, n: int, start: int, portal_client_id: int):
    """n clients, each with a contract (two agents on seats) and an issued invoice, and n more
    contracts and invoices of the portal's client (the rows its portal list shows)."""
    for i in range(start, start + n):
        portal_client = db.session.get(Client, portal_client_id)
        shop = make_client(db, name=f"测试旗舰店{i:02d}", legal_name=f"测试贸易有限公司{i:02d}", stage="live")
        issued_for(db, make_contract(db, shop), "2026-09", issued_on=date(2026, 10, 2))
        issued_for(db, make_contract(db, portal_client), "2026-09", issued_on=date(2026, 10, 2))


def _count_queries(db, client, path: str) -> int:
    client.get(path)  # the first request of a session may load what later ones reuse
    # The test's app context is shared with the requests: start from an empty session, as every
    # request does in production (else the logged-in user may come from the identity map).
    db.session.remove()
    seen = []
    listener = lambda *_args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, path
    return len(seen)


STAFF_PAGES = (
    "/",
    "/clients/",
    "/contracts/",
    "/billing/invoices",
    "/billing/invoices?period=2026-09&status=issued",  # the totals and the count of a filtered list
    "/onboarding/",
)


@pytest.fixture
def portal(app, db, make_user):
    owner = make_client(db, name="门户客户旗舰店", legal_name="门户客户有限公司", stage="live")
    user = make_user("client", client_id=owner.id)
    browser = app.test_client()
    assert browser.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return owner.id, browser


def test_list_pages_run_as_many_queries_for_15_rows_as_for_3(client, login_as, db, portal):
    owner_id, portal_browser = portal
    login_as("admin")
    _add_rows(db, 3, 0, owner_id)
    owner = db.session.get(Client, owner_id)
    first_invoice = issued_for(db, make_contract(db, owner), "2026-08", issued_on=date(2026, 9, 2))
    pages = (*STAFF_PAGES, f"/billing/invoices/{first_invoice.id}")
    small = {path: _count_queries(db, client, path) for path in pages}
    small["/portal/invoices"] = _count_queries(db, portal_browser, "/portal/invoices")

    _add_rows(db, 12, 3, owner_id)
    large = {path: _count_queries(db, client, path) for path in pages}
    large["/portal/invoices"] = _count_queries(db, portal_browser, "/portal/invoices")

    assert large == small
