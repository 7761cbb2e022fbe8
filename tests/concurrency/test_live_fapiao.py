"""One fapiao number typed on several invoices at the same moment (gunicorn, several workers): the
unique index lets exactly one through, the others get a clear refusal, never a server error."""

import sqlalchemy as sa

from ops.billing.models import Invoice
from tests.billing.helpers import make_billing_client
from tests.fapiao.helpers import exclusive_invoice
from tests.live import browsers, parallel

NUMBER = "26112000000000000777"


def test_parallel_same_fapiao_number_on_different_invoices_records_once(db, make_user, live_server):
    client = make_billing_client(db)
    ids = [exclusive_invoice(db, client).id for _ in range(6)]
    clients, tokens = browsers(live_server, make_user, "finance", "fp", 6, f"/billing/invoices/{ids[0]}")

    def record(i):
        answer = clients[i].post_form(
            f"/billing/fapiao/invoices/{ids[i]}",
            {"csrf_token": tokens[i], "number": NUMBER, "issued_on": "2026-10-02", "status": "issued"},
        )
        return answer.status

    statuses = parallel(6, record)
    assert statuses == [302] * 6, statuses  # each answered with a redirect and a flash, none failed
    holders = db.session.scalars(sa.select(Invoice.id).where(Invoice.fapiao_number == NUMBER)).all()
    assert len(holders) == 1 and holders[0] in ids
    assert live_server.log_problems() == []
