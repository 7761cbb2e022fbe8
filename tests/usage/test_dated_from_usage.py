"""Holiday allowance and promotion staff arriving with the daily usage (CSV and API).

A row with 节假日补贴人数 / 大促临时客服人数 makes a one-day dated extra entry on the client's contract
active that day; a re-import of the day replaces it; a bad row anywhere imports nothing.
"""

import io
from datetime import date

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing.models import ContractExtraEntry
from ops.billing.services.extras import add_entry
from ops.usage.models import UsageDaily
from ops.usage.services import UsageImportError, import_usage_file
from tests.billing.helpers import draft_for, make_contract
from tests.usage.test_api_usage import make_token, post, row
from tests.usage.usage_helpers import upload, usage_count

CATALOGUE = {
    "holiday_person_day": {"label": "节假日补贴", "unit": "人·天", "unit_price_fen": 20_000},
    "temp_person_shift_day": {"label": "临时/大促客服", "unit": "人·班·天", "unit_price_fen": 30_000},
}
HEADER = "客户名称,日期,平台,咨询量,有效咨询量,节假日补贴人数,大促临时客服人数,大促临时客服班次\n"


def _contract(db, **fields):
    # Two agents at ¥5,000.00 a month, August to December 2026, monthly in arrears; the rate card's
    # holiday ¥200.00 / person-day and promotion staff ¥300.00 / person-shift-day frozen, no discount.
    contract = make_contract(db, end_on=date(2026, 12, 31), **fields)
    contract.terms = {**contract.terms, "extras_catalogue": CATALOGUE, "discount_bp": 0}
    db.session.commit()
    return contract


def _entries(db):
    return db.session.scalars(sa.select(ContractExtraEntry).order_by(ContractExtraEntry.start_on)).all()


def _csv(name, *rows):
    return (HEADER + "".join(f"{name},{r}\n" for r in rows)).encode()


def _extras(db, contract, period):
    return sorted(line.amount_fen for line in draft_for(db, contract, period).lines if line.kind == "extra")


def test_csv_rows_make_one_day_entries_and_the_run_bills_them_once(client, login_as, db):
    contract = _contract(db)
    name = contract.client.name
    login_as("finance")
    data = _csv(
        name,
        "2026-10-01,天猫,120,100,2,,",
        "2026-10-02,天猫,130,110,2,3,2",
        "2026-10-03,天猫,90,80,,,",  # no dated figures: nothing recorded
    )
    response = upload(client, data, follow_redirects=True)
    assert "导入完成：新增 3 行" in response.get_data(as_text=True)
    assert "按日附加费登记 3 条" in response.get_data(as_text=True)
    assert usage_count(db) == 3
    got = [
        (e.code, e.start_on, e.end_on, e.headcount, e.shifts_per_day, e.unit_price_fen, e.source)
        for e in _entries(db)
    ]
    assert got == [
        ("holiday_person_day", date(2026, 10, 1), date(2026, 10, 1), 2, 1, 20_000, "usage_import"),
        ("holiday_person_day", date(2026, 10, 2), date(2026, 10, 2), 2, 1, 20_000, "usage_import"),
        ("temp_person_shift_day", date(2026, 10, 2), date(2026, 10, 2), 3, 2, 30_000, "usage_import"),
    ]
    # Holiday 2 × 1 day × ¥200.00 = ¥400.00 twice; promotion 3 × 2 shifts × 1 day × ¥300.00 = ¥1,800.00.
    assert _extras(db, contract, "2026-10") == [40_000, 40_000, 180_000]
    assert _extras(db, contract, "2026-09") == [] and _extras(db, contract, "2026-11") == []


def test_reimport_replaces_the_day_instead_of_adding_and_zero_removes_it(db):
    contract = _contract(db)
    name = contract.client.name
    manual = add_entry(
        contract, code="holiday_person_day", start_on=date(2026, 10, 1), end_on=date(2026, 10, 1), headcount=1
    )
    db.session.commit()
    import_usage_file(_csv(name, "2026-10-01,天猫,120,100,2,,"), "a.csv")
    db.session.commit()
    result = import_usage_file(_csv(name, "2026-10-01,天猫,120,100,5,,"), "a.csv")
    db.session.commit()
    assert result.dated_entries == 1
    imported = [e for e in _entries(db) if e.source == "usage_import"]
    assert [(e.start_on, e.headcount) for e in imported] == [(date(2026, 10, 1), 5)]
    assert db.session.get(ContractExtraEntry, manual.id) is not None  # a manual entry is never touched
    # The same file again changes nothing.
    again = import_usage_file(_csv(name, "2026-10-01,天猫,120,100,5,,"), "a.csv")
    db.session.commit()
    assert again.dated_entries == 0 and len(_entries(db)) == 2
    # Manual 1 × ¥200.00 + imported 5 × ¥200.00 = ¥200.00 and ¥1,000.00.
    assert _extras(db, contract, "2026-10") == [20_000, 100_000]
    import_usage_file(_csv(name, "2026-10-01,天猫,120,100,0,,"), "a.csv")
    db.session.commit()
    assert [e.source for e in _entries(db)] == ["manual"]


def test_a_bad_row_anywhere_imports_nothing(db):
    contract = _contract(db)
    name = contract.client.name
    with pytest.raises(UsageImportError) as caught:
        import_usage_file(
            _csv(
                name,
                "2026-10-01,天猫,120,100,2,,",
                "2026-10-02,天猫,120,100,-1,,",  # a negative headcount
                "2026-10-03,天猫,120,100,,,2",  # shifts without promotion staff
                "2026-07-31,天猫,120,100,1,,",  # before the contract starts
            ),
            "bad.csv",
        )
    db.session.rollback()
    messages = {(e.row, e.column): e.message for e in caught.value.errors}
    assert "0 到 10,000" in messages[(3, "节假日补贴人数")]
    assert "没有填写大促临时客服人数" in messages[(4, "大促临时客服班次")]
    assert "没有生效的合同" in messages[(5, "节假日补贴人数")]
    assert usage_count(db) == 0 and _entries(db) == []


def test_an_issued_invoice_over_the_day_refuses_the_whole_file(db):
    from tests.billing.helpers import issued_for

    contract = _contract(db)
    issued_for(db, contract, "2026-09")
    with pytest.raises(UsageImportError) as caught:
        import_usage_file(
            _csv(contract.client.name, "2026-10-01,天猫,120,100,1,,", "2026-09-30,天猫,120,100,1,,"), "x.csv"
        )
    db.session.rollback()
    [error] = caught.value.errors
    assert error.row == 3 and "已开具的账单" in error.message
    assert usage_count(db) == 0 and _entries(db) == []


def test_two_contracts_on_the_day_are_refused(db):
    contract = _contract(db)
    _contract(db, client=contract.client)
    with pytest.raises(UsageImportError, match="错误") as caught:
        import_usage_file(_csv(contract.client.name, "2026-10-01,天猫,120,100,1,,"), "x.csv")
    db.session.rollback()
    assert "多份生效的合同" in caught.value.errors[0].message
    assert usage_count(db) == 0


def test_the_old_header_still_imports_without_entries(db):
    contract = _contract(db)
    text = f"客户名称,日期,平台,咨询量,有效咨询量\n{contract.client.name},2026-10-01,天猫,120,100\n"
    result = import_usage_file(io.BytesIO(text.encode()), "old.csv")
    db.session.commit()
    assert result.inserted == 1 and _entries(db) == []


def test_api_rows_make_entries_and_replace_them(client, db):
    contract = _contract(db)
    _token, secret = make_token(db)
    body = {"rows": [row(contract.client_id, holiday_headcount=3, promo_headcount=2, promo_shifts=1)]}
    response = post(client, secret, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"inserted": 1, "updated": 0, "unchanged": 0}
    got = [(e.code, e.headcount, e.shifts_per_day, e.source) for e in _entries(db)]
    assert sorted(got) == [("holiday_person_day", 3, 1, "api"), ("temp_person_shift_day", 2, 1, "api")]
    actors = db.session.scalars(
        sa.select(AuditEntry.actor).where(AuditEntry.action == "contract.extra_entry_added")
    ).all()
    assert actors == ["API 令牌 ERP 推送", "API 令牌 ERP 推送"]
    response = post(client, secret, {"rows": [row(contract.client_id, holiday_headcount=1)]})
    assert response.status_code == 200
    got = sorted((e.code, e.headcount) for e in _entries(db))
    # The promotion figure was not sent again: that entry stays; the holiday one is replaced.
    assert got == [("holiday_person_day", 1), ("temp_person_shift_day", 2)]
    # Holiday 1 × ¥200.00 = ¥200.00; promotion 2 × 1 shift × ¥300.00 = ¥600.00 (2026-10-01).
    assert _extras(db, contract, "2026-10") == [20_000, 60_000]


def test_api_bad_figure_imports_nothing(client, db):
    contract = _contract(db)
    _token, secret = make_token(db)
    body = {
        "rows": [
            row(contract.client_id),
            row(contract.client_id, date="2026-10-02", promo_shifts=4, promo_headcount=1),
        ]
    }
    response = post(client, secret, body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "promo_shifts" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsageDaily)) == 0 and _entries(db) == []


def test_template_download_lists_the_optional_columns(client, login_as):
    login_as("finance")
    text = client.get("/usage/template.csv").data.decode("utf-8-sig")
    assert text.splitlines()[0].endswith("节假日补贴人数,大促临时客服人数,大促临时客服班次")


def test_cli_import_records_the_days_and_says_so(runner, db, tmp_path):
    contract = _contract(db)
    path = tmp_path / "oct.csv"
    path.write_bytes(_csv(contract.client.name, "2026-10-01,天猫,120,100,,4,3").decode().encode("gb18030"))
    result = runner.invoke(args=["usage", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "按日附加费登记 1 条" in result.output
    [entry] = _entries(db)
    # 4 promotion staff × 3 shifts × 1 day × ¥300.00 = ¥3,600.00
    assert (entry.headcount, entry.shifts_per_day, entry.source) == (4, 3, "usage_import")
    assert _extras(db, contract, "2026-10") == [360_000]


def test_a_client_scoped_token_cannot_send_dated_figures(client, db):
    contract = _contract(db)
    _token, secret = make_token(db, contract.client_id)
    response = post(client, secret, {"rows": [row(contract.client_id, holiday_headcount=0)]})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "客户令牌不能提交节假日补贴人数" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsageDaily)) == 0
    assert post(client, secret, {"rows": [row(contract.client_id)]}).status_code == 200
