"""A billing run's step for one contract runs the same number of SQL statements whatever the
contract holds: KPIs and their bands, agents on seats, usage days. (A lazy load per KPI made the
step grow with the contract; the run bills a thousand contracts.)"""

from datetime import date

from sqlalchemy import event

from ops.auth.models import User
from ops.billing import services
from ops.contracts.models import ContractKpi, ContractKpiBand
from ops.usage.models import UsageDaily
from tests.billing.helpers import make_billing_client, make_contract
from tests.factories import TAX_IDS


def _kpis(n: int) -> list[ContractKpi]:
    return [
        ContractKpi(
            position=i,
            metric="first_response_seconds",
            comparison="lte",
            deduction_kind="percent",
            bands=[
                ContractKpiBand(position=0, threshold=30 + i, deduction_bp=500),
                ContractKpiBand(position=1, threshold=60 + i, deduction_bp=1000),
            ],
        )
        for i in range(n)
    ]


def _statements(db, contract_id: int, user_id: int) -> int:
    db.session.remove()  # a fresh session, as the run's process starts each contract's step
    by = db.session.get(User, user_id)
    seen = []
    listener = lambda *_args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = services.bill_contract(contract_id, "2026-09", issue=True, by=by)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert result.outcome == "created" and result.issued, result
    return len(seen)


def small_client(db):
    return make_billing_client(
        db, name="杭州小禾母婴旗舰店", legal_name="杭州小禾母婴用品有限公司", tax_id=TAX_IDS[3]
    )


def test_the_step_runs_as_many_statements_for_a_large_contract_as_for_a_small_one(db, make_user):
    finance = make_user("finance")
    first = make_contract(db, seats=1)  # the year's first number and what is read once are paid for here
    small = make_contract(db, small_client(db), seats=1, kpi_cap_bp=2000)
    small.kpis = _kpis(1)
    other = make_billing_client(
        db, name="上海明远数码旗舰店", legal_name="上海明远数码有限公司", tax_id=TAX_IDS[2]
    )
    large = make_contract(db, other, seats=6, kpi_cap_bp=2000)
    large.kpis = _kpis(4)
    for day in range(1, 31):  # a month of usage for the large one's client, none for the small one's
        db.session.add(
            UsageDaily(client_id=large.client_id, day=date(2026, 9, day), platform="tmall", consults=100)
        )
    db.session.commit()
    small_id, large_id, finance_id = small.id, large.id, finance.id
    _statements(db, first.id, finance_id)
    assert _statements(db, small_id, finance_id) == _statements(db, large_id, finance_id)
