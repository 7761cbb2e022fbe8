"""Dated extras on the contract page: finance or a trainer records them, the run bills them once."""

from datetime import date

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.billing import services
from ops.billing.models import ContractExtraEntry
from tests.billing.helpers import draft_for, issued_for, make_contract

NATIONAL_DAY = {
    "code": "holiday_person_day",
    "label": "国庆节假日补贴",
    "start_on": "2026-10-01",
    "end_on": "2026-10-07",
    "headcount": "2",
    "shifts_per_day": "",
    "unit_price": "200",
    "note": "国庆值班",
}


def _contract(db, **fields):
    # Two agents on 售前白班 at ¥5,000.00 a month, August to December 2026, monthly in arrears.
    return make_contract(db, end_on=date(2026, 12, 31), **fields)


def _extras(invoice):
    return [line for line in invoice.lines if line.kind == "extra"]


def _entries(db):
    return db.session.scalars(sa.select(ContractExtraEntry)).all()


@pytest.mark.parametrize("role", ["finance", "trainer"])
def test_recorded_in_the_browser_form_and_billed_once_in_october(client, login_as, db, role):
    contract = _contract(db)
    login_as(role)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "按日附加费 / 临时人员" in page and f"/contracts/{contract.id}/dated-extras" in page

    response = client.post(f"/contracts/{contract.id}/dated-extras", data=NATIONAL_DAY)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/contracts/{contract.id}")
    [entry] = _entries(db)
    assert (entry.headcount, entry.unit, entry.unit_price_fen, entry.source) == (
        2,
        "person_day",
        20_000,
        "manual",
    )
    assert db.session.scalar(
        sa.select(AuditEntry.action).where(AuditEntry.action == "contract.extra_entry_added")
    )
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "国庆节假日补贴" in page and "¥2,800.00" in page  # 2 × 7 × ¥200.00 on the list

    october = draft_for(db, contract, "2026-10")
    [line] = _extras(october)
    # 2 agents × 7 days × ¥200.00 = ¥2,800.00, beside two full months of seats 2 × ¥5,000.00 = ¥10,000.00
    assert line.amount_fen == 280_000
    assert line.description == "国庆节假日补贴 2026-10-01～10-07：2 人 × 7 天 × ¥200.00"
    assert october.subtotal_fen == 1_280_000
    for period in ("2026-08", "2026-09", "2026-11"):
        assert _extras(draft_for(db, contract, period)) == []


def test_promotion_staff_per_shift_and_default_price_from_the_terms(client, login_as, db):
    contract = _contract(db)
    contract.terms = {
        **contract.terms,
        "discount_bp": 1_000,  # 10 % off the rate card's ¥300.00 → ¥270.00
        "extras_catalogue": {
            "temp_person_shift_day": {"label": "临时/大促客服", "unit": "人·班·天", "unit_price_fen": 30_000}
        },
    }
    db.session.commit()
    login_as("finance")
    data = {
        "code": "temp_person_shift_day",
        "label": "双十一大促临时客服",
        "start_on": "2026-11-10",
        "end_on": "2026-11-12",
        "headcount": "3",
        "shifts_per_day": "2",
        "unit_price": "",
    }
    assert client.post(f"/contracts/{contract.id}/dated-extras", data=data).status_code == 302
    [line] = _extras(draft_for(db, contract, "2026-11"))
    # 3 agents × 2 shifts × 3 days (Nov 10–12) = 18 × ¥270.00 = ¥4,860.00
    assert line.amount_fen == 486_000
    assert line.unit == "人·班·天"


@pytest.mark.parametrize("role", ["client", "sales"])
def test_other_roles_cannot_reach_the_form(client, login_as, db, role):
    contract = _contract(db)
    login_as(role, client_id=contract.client_id) if role == "client" else login_as(role)
    assert client.get(f"/contracts/{contract.id}/dated-extras").status_code == 403
    assert client.post(f"/contracts/{contract.id}/dated-extras", data=NATIONAL_DAY).status_code == 403
    assert _entries(db) == []


def test_sales_sees_the_list_without_the_form(client, login_as, db):
    contract = _contract(db)
    login_as("sales")
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "按日附加费 / 临时人员" in page and "dated-extras" in page
    assert f'action="/contracts/{contract.id}/dated-extras"' not in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"end_on": "2026-09-30"}, "结束日期不能早于开始日期"),
        ({"headcount": ""}, "请填写人数"),
        ({"headcount": "0"}, "人数须在 1 到"),
        ({"start_on": "2027-01-01", "end_on": "2027-01-02"}, "日期须在合同服务期内"),
        ({"unit_price": "-1"}, ""),
    ],
)
def test_bad_input_answers_with_the_form_and_its_error(client, login_as, db, changes, message):
    contract = _contract(db)
    login_as("finance")
    response = client.post(f"/contracts/{contract.id}/dated-extras", data={**NATIONAL_DAY, **changes})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "登记按日附加费" in page and message in page and "invalid-feedback" in page
    assert _entries(db) == []


def test_no_agreed_price_and_none_typed_is_refused(client, login_as, db):
    contract = _contract(db)
    login_as("finance")
    response = client.post(f"/contracts/{contract.id}/dated-extras", data={**NATIONAL_DAY, "unit_price": ""})
    assert response.status_code == 200 and "请填写单价" in response.get_data(as_text=True)
    assert _entries(db) == []


def test_days_on_an_issued_invoice_can_neither_be_added_nor_deleted(client, login_as, db):
    contract = _contract(db)
    user = login_as("finance")
    entry = services.extras.add_entry(
        contract,
        code="holiday_person_day",
        start_on=date(2026, 9, 28),
        end_on=date(2026, 10, 3),
        headcount=1,
        unit_price_fen=20_000,
        by=user,
    )
    db.session.commit()
    issued = issued_for(db, contract, "2026-09", issued_on=date(2026, 10, 2))
    # September bills Sep 28–30: 3 days × 1 person × ¥200.00 = ¥600.00
    assert [line.amount_fen for line in _extras(issued)] == [60_000]
    response = client.post(f"/contracts/{contract.id}/dated-extras/{entry.id}/delete")
    assert response.status_code == 302
    assert len(_entries(db)) == 1  # refused: September is on an issued invoice
    response = client.post(
        f"/contracts/{contract.id}/dated-extras", data={**NATIONAL_DAY, "start_on": "2026-09-30"}
    )
    assert response.status_code == 200 and "已开具的账单" in response.get_data(as_text=True)

    later = services.extras.add_entry(
        contract,
        code="holiday_person_day",
        start_on=date(2026, 10, 1),
        end_on=date(2026, 10, 7),
        headcount=2,
        unit_price_fen=20_000,
        by=user,
    )
    db.session.commit()
    assert client.post(f"/contracts/{contract.id}/dated-extras/{later.id}/delete").status_code == 302
    assert [e.id for e in _entries(db)] == [entry.id]
    assert db.session.scalar(
        sa.select(AuditEntry.action).where(AuditEntry.action == "contract.extra_entry_deleted")
    )
    # October bills the rest of the first entry: Oct 1–3 = 3 days × ¥200.00 = ¥600.00
    assert [line.amount_fen for line in _extras(draft_for(db, contract, "2026-10"))] == [60_000]


def test_contract_form_offers_only_monthly_extras_and_keeps_old_holiday_extras(app):
    from ops.contracts.forms import ContractForm
    from ops.contracts.services import revised_terms

    assert ContractForm.EXTRA_CODES == ("extra_subaccount_month",)
    old = {
        "code": "holiday_person_day",
        "label": "节假日补贴",
        "unit": "人·天",
        "quantity": 4,
        "unit_price_fen": 20_000,
    }
    terms = {"seats": [], "extras": [old], "extras_catalogue": {}}
    revised = revised_terms(terms, [], 0, 0, {"extra_subaccount_month": 0})
    assert revised["extras"] == [old]  # agreed before dated extras existed: still billed as agreed
