"""Staff contract pages: list, create, detail, editing, actions and who may do what."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.contracts import services
from ops.contracts.models import Contract
from ops.timeutil import today
from tests.conftest import login
from tests.contracts.helpers import make_accepted_quote, make_contract, sign_and_pay


def edit_data(contract, **overrides):
    data = {
        "title": contract.title,
        "start_on": "2026-12-01",
        "end_on": "2027-11-30",
        "auto_renew": "y",
        "seats-0-seats": "4",
        "seats-0-monthly_rate": "5,250.00",
        "commission_rate": "0",
        "monthly_minimum": "0",
        "extra_subaccount_month": "2",
        "holiday_person_day": "0",
        "temp_person_shift_day": "0",
        "billing_cycle": "quarterly",
        "billing_timing": "in_advance",
        "due_rule": "net_days",
        "due_value": "15",
        "late_fee": "0.05",
        "late_fee_grace_days": "5",
        "tax_rate": "6",
        "prices_include_tax": "y",
        "invoice_type": "normal",
        "deposit": "21,000.00",
        "deposit_usage": "last_invoice",
        "kpi_cap": "20",
        "breakin_months": "1",
        "client_legal_name": "北京晨光家居用品有限公司",
        "client_tax_id": "",
        "client_address": "北京市朝阳区",
        "client_phone": "",
        "client_bank_name": "",
        "client_bank_account": "",
        "vendor_name": "杭州云帆客服外包有限公司",
        "vendor_tax_id": "",
        "vendor_address": "",
        "vendor_phone": "",
        "vendor_bank_name": "",
        "vendor_bank_account": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_index_offers_accepted_quotes_and_creates_a_draft(client, login_as, db):
    login_as("sales")
    quote = make_accepted_quote(db)
    html = client.get("/contracts/").get_data(as_text=True)
    assert "已接受、尚未生成合同的报价" in html and "BJ-2026-0001" in html
    response = client.post(f"/contracts/from-quote/{quote.id}")
    assert response.status_code == 302
    contract = db.session.scalar(sa.select(Contract))
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}")
    html = client.get("/contracts/").get_data(as_text=True)
    assert "已接受、尚未生成合同的报价" not in html and "（草稿）" in html
    response = client.post(f"/contracts/from-quote/{quote.id}", follow_redirects=True)
    assert "该报价单已生成合同" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 1


def test_index_filters_and_search(client, login_as, db, contract):
    login_as("manager")
    services.submit_for_signature(contract)
    db.session.commit()
    assert "HT-2026-0001" in client.get("/contracts/?q=HT-2026").get_data(as_text=True)
    assert "HT-2026-0001" in client.get("/contracts/?q=晨光").get_data(as_text=True)
    assert "HT-2026-0001" not in client.get("/contracts/?q=不存在").get_data(as_text=True)
    assert "HT-2026-0001" in client.get(
        "/contracts/?status=pending_signature&model=fixed_seat&cycle=monthly"
    ).get_data(as_text=True)
    assert "HT-2026-0001" not in client.get("/contracts/?status=active").get_data(as_text=True)
    assert "HT-2026-0001" not in client.get("/contracts/?ending=30").get_data(as_text=True)


def test_detail_shows_the_terms_in_words(client, login_as, contract):
    login_as("trainer")
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    for text in (
        "北京晨光家居用品有限公司",
        "次月 5 日前",
        "每日 0.05%，宽限 5 天",
        "6%（含税）",
        "增值税普通发票（普票）",
        "¥5,250.00",
        "¥21,000.00",
        "人民币贰万壹仟元整",
        "首次响应时间不高于 30 秒；未达标扣当期服务费 5%",
        "由报价生成草稿",
    ):
        assert text in html, text
    for action in ("/edit", "/submit", "/kpis", "/clauses"):  # trainers only read
        assert f"/contracts/{contract.id}{action}" not in html


def test_edit_saves_terms_in_fen_and_basis_points(client, login_as, db, contract):
    login_as("sales")
    response = client.post(
        f"/contracts/{contract.id}/edit",
        data=edit_data(
            contract,
            **{"seats-0-seats": "5", "seats-0-monthly_rate": "5,000.50", "tax_rate": "3", "late_fee": "0.1"},
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(contract)
    assert contract.terms["seats"][0] == {
        "scope": "presales",
        "shift": "day",
        "seats": 5,
        "monthly_rate_fen": 500_050,
    }
    assert (contract.tax_rate_bp, contract.late_fee_bp_per_day, contract.billing_cycle) == (
        300,
        10,
        "quarterly",
    )
    # 2 extra sub-accounts at the card's ¥200.00 (no discount on this quote)
    assert contract.terms["extras"] == [
        {
            "code": "extra_subaccount_month",
            "label": "额外子账号",
            "unit": "个/月",
            "quantity": 2,
            "unit_price_fen": 20_000,
        }
    ]
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "开票后 15 天内" in html and "3%（含税）" in html


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"end_on": "2026-01-01"}, "合同结束日期必须晚于开始日期"),
        ({"deposit": "abc"}, "金额格式不正确"),
        ({"tax_rate": "6.123"}, "百分比最多两位小数"),
        ({"invoice_type": "special"}, "开具增值税专用发票需要客户的统一社会信用代码"),
        ({"client_tax_id": "91350100M000100Y44"}, "校验位不正确"),
        ({"due_rule": "day_of_next_month", "due_value": "31"}, "付款日必须在每月 1 日到 28 日之间"),
    ],
)
def test_bad_edits_show_chinese_errors_and_save_nothing(client, login_as, db, contract, overrides, message):
    login_as("manager")
    before = (contract.end_on, contract.deposit_fen, contract.tax_rate_bp, dict(contract.terms))
    response = client.post(f"/contracts/{contract.id}/edit", data=edit_data(contract, **overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert (contract.end_on, contract.deposit_fen, contract.tax_rate_bp, contract.terms) == before
    assert not db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "contract.updated"))


def test_kpis_add_from_preset_edit_and_remove(client, login_as, db, contract):
    login_as("sales")
    assert len(contract.kpis) == 2
    rows = {
        "rows-0-metric": "first_response_seconds",
        "rows-0-comparison": "lte",
        "rows-0-bands-0-threshold": "20",
        "rows-0-bands-0-deduction": "500",
        "rows-0-bands-1-threshold": "",
        "rows-0-bands-1-deduction": "",
        "rows-0-deduction_kind": "fixed",
        "rows-0-note": "",
        "rows-1-metric": "response_delay_rate",
        "rows-1-comparison": "lte",
        "rows-1-bands-0-threshold": "10",
        "rows-1-bands-0-deduction": "5",
        "rows-1-deduction_kind": "percent",
        "rows-1-remove": "y",
    }
    response = client.post(f"/contracts/{contract.id}/kpis", data={**rows, "preset": "conv15", "add": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    kpis = db.session.get(Contract, contract.id).kpis
    assert [
        (k.metric, k.deduction_kind, [(b.threshold, b.deduction_bp, b.deduction_fen) for b in k.bands])
        for k in kpis
    ] == [
        ("first_response_seconds", "fixed", [(20, 0, 50_000)]),
        ("inquiry_conversion", "percent", [(1500, 500, 0)]),
    ]
    html = client.get(f"/contracts/{contract.id}/kpis").get_data(as_text=True)
    assert "询单转化率" in html
    bad = {
        "rows-0-metric": "satisfaction",
        "rows-0-comparison": "gte",
        "rows-0-bands-0-threshold": "abc",
        "rows-0-bands-0-deduction": "5",
        "rows-0-deduction_kind": "percent",
        "save": "1",
    }
    response = client.post(f"/contracts/{contract.id}/kpis", data=bad)
    assert response.status_code == 200 and "百分比格式不正确" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.get(Contract, contract.id).kpis) == 2


def _delay_rows(*bands, remove_band=None):
    """The form of one response-delay clause with the given (threshold %, deduction %) bands."""
    data = {
        "rows-0-metric": "response_delay_rate",
        "rows-0-comparison": "lte",
        "rows-0-deduction_kind": "percent",
        "rows-0-note": "",
        "save": "1",
    }
    for i, (threshold, deduction) in enumerate(bands):
        data[f"rows-0-bands-{i}-threshold"] = threshold
        data[f"rows-0-bands-{i}-deduction"] = deduction
    if remove_band is not None:
        data[f"rows-0-bands-{remove_band}-remove"] = "y"
    return data


def test_kpi_bands_added_removed_and_checked(client, login_as, db, contract):
    login_as("sales")
    url = f"/contracts/{contract.id}/kpis"
    # The shipped default: the delay scale is ONE clause with two bands.
    html = client.get(url).get_data(as_text=True)
    assert 'name="rows-1-bands-1-threshold" type="text" value="20"' in html
    assert 'name="rows-1-bands-2-threshold" type="text" value=""' in html  # the blank row adds a band

    # Adding a third band in the blank row, then removing the second.
    response = client.post(url, data=_delay_rows(("10", "5"), ("20", "15"), ("30", "20")))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    (kpi,) = db.session.get(Contract, contract.id).kpis
    assert [(b.position, b.threshold, b.deduction_bp) for b in kpi.bands] == [
        (0, 1000, 500),
        (1, 2000, 1500),
        (2, 3000, 2000),
    ]
    response = client.post(url, data=_delay_rows(("10", "5"), ("20", "15"), ("30", "20"), remove_band=1))
    assert response.status_code == 302
    db.session.expire_all()
    (kpi,) = db.session.get(Contract, contract.id).kpis
    assert [(b.threshold, b.deduction_bp) for b in kpi.bands] == [(1000, 500), (3000, 2000)]

    # Lower is better: thresholds must go up band by band, and so must deductions.
    for bands, message in (
        ((("20", "5"), ("10", "15")), "第 2 档的目标值必须比第 1 档更高"),
        ((("10", "5"), ("10", "15")), "第 2 档的目标值必须比第 1 档更高"),
        ((("10", "15"), ("20", "5")), "第 2 档的扣款必须大于第 1 档"),
    ):
        response = client.post(url, data=_delay_rows(*bands))
        assert response.status_code == 200 and message in response.get_data(as_text=True)
    # Higher is better (a reply rate): thresholds go down.
    data = _delay_rows(("90", "5"), ("95", "15"))
    data["rows-0-metric"], data["rows-0-comparison"] = "reply_3min_rate", "gte"
    response = client.post(url, data=data)
    assert response.status_code == 200 and "第 2 档的目标值必须比第 1 档更低" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    (kpi,) = db.session.get(Contract, contract.id).kpis
    assert [(b.threshold, b.deduction_bp) for b in kpi.bands] == [(1000, 500), (3000, 2000)]


def test_clauses_picked_from_the_library_and_edited(client, login_as, db, contract):
    services.ensure_default_clauses()
    db.session.commit()
    login_as("sales")
    html = client.get(f"/contracts/{contract.id}/clauses").get_data(as_text=True)
    assert "信息安全与保密" in html
    ids = [t.id for t in services.clause_templates()][:2]
    response = client.post(f"/contracts/{contract.id}/clauses", data={"add_templates": [str(i) for i in ids]})
    assert response.status_code == 302
    db.session.expire_all()
    clauses = db.session.get(Contract, contract.id).clauses
    assert [c.title for c in clauses] == ["服务质量违约", "信息安全与保密"]
    response = client.post(
        f"/contracts/{contract.id}/clauses",
        data={
            "rows-0-template_id": str(ids[0]),
            "rows-0-title": "服务质量违约",
            "rows-0-body": "本合同专用文字",
            "rows-1-template_id": str(ids[1]),
            "rows-1-title": "x",
            "rows-1-body": "y",
            "rows-1-remove": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    clauses = db.session.get(Contract, contract.id).clauses
    assert [(c.title, c.body) for c in clauses] == [("服务质量违约", "本合同专用文字")]
    assert "信息安全与保密" in services.clause_templates()[1].title  # the library is untouched


def switch(client, user):
    client.post("/logout")
    assert login(client, user.username).status_code == 302


def test_the_whole_path_through_the_pages(client, login_as, make_user, db, contract):
    login_as("sales")
    assert client.post(f"/contracts/{contract.id}/submit").status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).number == "HT-2026-0001"
    # a second submit is refused with the reason
    html = client.post(f"/contracts/{contract.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "不能改为" in html
    manager = make_user("manager", username="boss")
    switch(client, manager)
    html = client.post(f"/contracts/{contract.id}/activate", data={}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "定金尚未到账" in html
    finance = make_user("finance", username="cash")
    switch(client, finance)
    response = client.post(
        f"/contracts/{contract.id}/deposit/receive",
        data={"amount": "21,000.00", "received_on": "2026-11-20", "reference": "招行 0001"},
    )
    assert response.status_code == 302
    assert client.post(f"/contracts/{contract.id}/edit", data=edit_data(contract)).status_code == 403
    switch(client, manager)
    html = client.post(f"/contracts/{contract.id}/activate", data={}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "请先上传双方盖章的合同扫描件" in html
    contract = db.session.get(Contract, contract.id)
    sign_and_pay(db, contract)
    response = client.post(f"/contracts/{contract.id}/activate", data={"signed_on": "2026-11-25"})
    assert response.status_code == 302
    html = client.post(
        f"/contracts/{contract.id}/terminate",
        data={"reason": "", "effective_on": "2026-12-31"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请填写终止原因" in html
    client.post(
        f"/contracts/{contract.id}/terminate", data={"reason": "客户违约", "effective_on": "2026-12-31"}
    )
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert (contract.status, contract.deposit_status, contract.terminated_on) == (
        "terminated",
        "received",
        date(2026, 12, 31),
    )
    client.post(
        f"/contracts/{contract.id}/deposit/settle",
        data={"outcome": "forfeited", "settled_on": "2026-12-31", "reference": "客户违约解除"},
    )
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).deposit_status == "forfeited"
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "终止合同" in html and "定金没收" in html


def test_return_to_draft_needs_a_reason(client, login_as, db, contract):
    login_as("sales")
    services.submit_for_signature(contract)
    db.session.commit()
    html = client.post(
        f"/contracts/{contract.id}/return", data={"reason": ""}, follow_redirects=True
    ).get_data(as_text=True)
    assert "请填写原因" in html
    client.post(f"/contracts/{contract.id}/return", data={"reason": "客户要改付款日"})
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "draft"


WRITES = [
    "/edit",
    "/kpis",
    "/clauses",
    "/submit",
    "/return",
    "/activate",
    "/terminate",
    "/deposit/receive",
    "/deposit/settle",
    "/signed",
]


def test_trainers_read_but_every_write_is_forbidden(client, login_as, db, contract):
    login_as("trainer")
    assert client.get("/contracts/").status_code == 200
    assert client.get(f"/contracts/{contract.id}").status_code == 200
    assert client.get(f"/contracts/{contract.id}/pdf").status_code == 200
    for suffix in WRITES:
        assert client.post(f"/contracts/{contract.id}{suffix}", data={}).status_code == 403, suffix
    assert client.get(f"/contracts/{contract.id}/edit").status_code == 403
    quote = make_accepted_quote(db, client=contract.client, number="BJ-2026-0002")
    assert client.post(f"/contracts/from-quote/{quote.id}").status_code == 403


def test_finance_records_the_deposit_but_cannot_edit_terms(client, login_as, db, contract):
    login_as("finance")
    for suffix in ("/edit", "/kpis", "/clauses", "/submit", "/activate", "/terminate", "/signed"):
        assert client.post(f"/contracts/{contract.id}{suffix}", data={}).status_code == 403, suffix
    response = client.post(
        f"/contracts/{contract.id}/deposit/receive",
        data={"amount": "21,000.00", "received_on": "2026-11-20", "reference": "BANK-9"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).deposit_status == "received"


def test_sales_cannot_activate_or_terminate(client, login_as, contract):
    login_as("sales")
    assert client.post(f"/contracts/{contract.id}/activate").status_code == 403
    assert client.post(f"/contracts/{contract.id}/terminate").status_code == 403


def test_client_users_cannot_reach_staff_pages(client, login_as, contract):
    login_as("client", client_id=contract.client_id)
    assert client.get("/contracts/").status_code == 403
    assert client.get(f"/contracts/{contract.id}").status_code == 403


def _active_ending_in(db, days, number, client=None):
    end = today() + timedelta(days=days)
    start = services.add_months(end + timedelta(days=1), -12)
    quote = make_accepted_quote(db, client=client, number=number)
    contract = make_contract(db, quote, start_on=start)
    assert contract.end_on == end
    sign_and_pay(db, contract, received_on=min(start, today()))
    services.activate(contract)
    db.session.commit()
    return contract


def test_renewals_list_contracts_ending_within_30_days_and_the_dashboard_shows_them(client, login_as, db):
    soon = _active_ending_in(db, 10, "BJ-2026-0001")
    later = _active_ending_in(db, 40, "BJ-2026-0002", client=soon.client)
    login_as("manager")
    html = client.get("/contracts/renewals").get_data(as_text=True)
    assert soon.number in html and later.number not in html
    assert "10 天" in html
    html = client.get("/").get_data(as_text=True)
    assert "即将到期的合同" in html and soon.number in html and later.number not in html
    html = client.get("/contracts/?ending=30").get_data(as_text=True)
    assert soon.number in html and later.number not in html


def test_a_refused_edit_lists_every_problem_above_the_form(client, login_as, db, contract):
    # Two service-level problems at once: each is its own list item, not one joined flash.
    login_as("manager")
    response = client.post(
        f"/contracts/{contract.id}/edit",
        data=edit_data(contract, end_on="2026-01-01", invoice_type="special"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未保存，请修改以下问题：" in html
    assert "<li>合同结束日期必须晚于开始日期" in html
    assert "<li>开具增值税专用发票需要客户的统一社会信用代码" in html
