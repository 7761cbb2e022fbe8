"""``flask billing run``: progress, a summary, and a second run that leaves issued invoices alone."""

import sqlalchemy as sa

from ops.billing.models import Invoice
from ops.timeutil import today
from tests.billing.helpers import make_billing_client, make_contract


def test_run_with_issue_prints_a_summary_and_a_second_run_changes_nothing(runner, db):
    make_contract(db)
    make_contract(db, make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M"))
    result = runner.invoke(args=["billing", "run", "--period", "2026-09", "--issue"])
    assert result.exit_code == 0, result.output
    assert "合同：2 份；新建 2，重新计算 0，未改动（已开具） 0，本期无需出账 0，开具 2" in result.output
    # 2 contracts × 2 seats × ¥5,000.00 = ¥20,000.00
    assert "合计：¥20,000.00" in result.output and "出错：0 份" in result.output
    shas = dict(db.session.execute(sa.select(Invoice.number, Invoice.pdf_sha256)).all())
    assert sorted(shas) == [f"INV-{today().year}-00001", f"INV-{today().year}-00002"]

    again = runner.invoke(args=["billing", "run", "--period", "2026-09", "--issue"])
    assert again.exit_code == 0, again.output
    assert "新建 0，重新计算 0，未改动（已开具） 2，本期无需出账 0，开具 0" in again.output
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Invoice.number, Invoice.pdf_sha256)).all()) == shas


def test_quarter_run_skips_monthly_contracts_and_errors_are_listed(runner, db):
    make_contract(db)
    result = runner.invoke(args=["billing", "run", "--period", "2026-Q3"])
    assert result.exit_code == 0, result.output
    assert "本期无需出账 1" in result.output
    broken = make_contract(
        db, make_billing_client(db, "上海优品数码", "上海优品科技有限公司", "91330106MA2B2QXY3M")
    )
    broken.terms = {"model": "fixed_seat", "seats": [], "extras": []}
    db.session.commit()
    result = runner.invoke(args=["billing", "run", "--period", "2026-09", "--client", str(broken.client_id)])
    assert "出错：1 份" in result.output and broken.number in result.output


def test_bad_period_is_refused(runner, db):
    result = runner.invoke(args=["billing", "run", "--period", "2026-13"])
    assert result.exit_code != 0 and "账期格式应为 2026-10 或 2026-Q4" in result.output
