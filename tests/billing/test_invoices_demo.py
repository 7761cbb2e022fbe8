"""The billing demo: issued, paid, partly paid, overdue, void, credited and draft invoices."""

from datetime import date

import pytest
import sqlalchemy as sa

from ops.billing import services
from ops.billing.models import CreditNote, Invoice
from ops.demo.billing import load_billing_demo
from tests.billing.helpers import make_billing_client, make_contract


@pytest.mark.slow
def test_demo_bills_the_closed_months(db, make_user):
    make_contract(db)
    make_contract(db, make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M"))
    make_contract(db, make_billing_client(db, "广州花间美妆", "广州花间化妆品有限公司", None))
    finance = make_user("finance")
    result = load_billing_demo({"finance": finance}, today=date(2026, 11, 26))
    # six from the runs, plus the corrected re-issue of the voided one
    assert result["已开具账单"] == 7 and result["待开具草稿"] == 3 and result["出账错误"] == 0
    invoices = db.session.scalars(sa.select(Invoice).order_by(Invoice.id)).all()
    by_status = {}
    for invoice in invoices:
        by_status.setdefault(invoice.status, []).append(invoice)
    assert len(by_status["draft"]) == 3 and {i.period for i in by_status["draft"]} == {"2026-10"}
    assert len(by_status["void"]) == 1 and by_status["void"][0].void_reason
    assert len(by_status["paid"]) == 4  # three, and the re-issue of the voided one
    void = by_status["void"][0]
    assert void.replaced_by is not None and void.replaced_by.status == "paid"
    assert void.replaced_by.period == void.period and void.replaced_by.number > void.number
    open_ones = by_status["issued"]
    assert len(open_ones) == 2 and all(services.is_overdue(i, on=date(2026, 11, 26)) for i in open_ones)
    assert any(0 < i.paid_fen < i.total_fen for i in open_ones)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditNote)) == 1
    # issued in order of their periods: August's invoices take the first numbers
    issued = sorted((i for i in invoices if i.number), key=lambda i: i.number)
    assert [i.period for i in issued] == ["2026-08"] * 3 + ["2026-09"] * 3 + [void.period]
