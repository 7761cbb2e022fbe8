"""Staff quote pages: list, create, detail, edit, actions, PDF, and who may do what."""

import io
import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from ops.quotes import services
from ops.quotes.models import Quote
from tests.quotes.quote_factories import client_with_needs, make_quote, send


def test_sales_creates_a_quote(client, login_as, db):
    login_as("sales")
    customer = client_with_needs(db)
    html = client.get(f"/quotes/new?client_id={customer.id}").get_data(as_text=True)
    assert "专人专席" in html and "底薪+提成" in html and "按咨询量" in html and customer.name in html
    response = client.post("/quotes/new", data={"client_id": customer.id, "model": "fixed_seat"})
    assert response.status_code == 302
    quote = db.session.scalar(sa.select(Quote))
    assert response.headers["Location"].endswith(f"/quotes/{quote.id}")
    assert quote.total_fen == 2_100_000


def test_create_page_explains_when_no_client_has_needs(client, login_as, db):
    login_as("sales")
    html = client.get("/quotes/new").get_data(as_text=True)
    assert "请先在客户页录入需求" in html


def test_create_with_an_unknown_model_rerenders(client, login_as, db):
    login_as("sales")
    customer = client_with_needs(db)
    response = client.post("/quotes/new", data={"client_id": customer.id, "model": "cheap"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Quote)) == 0


def test_detail_shows_staffing_breakdown_total_and_upper(client, login_as, db):
    login_as("sales")
    quote = make_quote(db)
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "日均咨询 800 次 ÷ 每人每天 200 次 = 4 人" in html
    assert "4 个售前白班席位 × ¥5,000.00 × 复杂度 1.05 = ¥21,000.00" in html
    assert "人民币贰万壹仟元整" in html  # ¥21,000.00
    assert "示例默认价目" in html and "v1" in html
    assert "发送给客户" in html and "编辑" in html


def test_list_filters_and_search(client, login_as, db):
    login_as("finance")
    first = make_quote(db)
    second = make_quote(db, client=client_with_needs(db, name="上海优品数码"), model="per_consult")
    send(db, second)
    html = client.get("/quotes/").get_data(as_text=True)
    assert first.number in html and second.number in html and "¥21,000.00" in html
    html = client.get("/quotes/?status=sent").get_data(as_text=True)
    assert second.number in html and first.number not in html
    html = client.get("/quotes/?q=优品").get_data(as_text=True)
    assert second.number in html and first.number not in html
    html = client.get("/quotes/?model=fixed_seat").get_data(as_text=True)
    assert first.number in html and second.number not in html
    html = client.get(f"/quotes/?client_id={first.client_id}").get_data(as_text=True)
    assert first.number in html and second.number not in html


def test_edit_recomputes_on_save(client, login_as, db):
    login_as("sales")
    quote = make_quote(db)
    html = client.get(f"/quotes/{quote.id}/edit").get_data(as_text=True)
    assert 'value="5,000.00"' in html
    response = client.post(
        f"/quotes/{quote.id}/edit",
        data={
            "seats-0-seats": "5",
            "seats-0-monthly_rate": "5,000",
            "extra_subaccount_month": "0",
            "holiday_person_day": "0",
            "temp_person_shift_day": "0",
            "discount": "5",
            "valid_days": "30",
            "notes": "含税",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(quote)
    # 5 × ¥5,000 × 1.05 = ¥26,250; 5% off (¥1,312.50) = ¥24,937.50.
    assert quote.total_fen == 2_493_750 and quote.discount_bp == 500


def test_edit_with_bad_input_changes_nothing(client, login_as, db):
    login_as("sales")
    quote = make_quote(db)
    response = client.post(
        f"/quotes/{quote.id}/edit",
        data={
            "seats-0-seats": "-1",
            "seats-0-monthly_rate": "abc",
            "extra_subaccount_month": "0",
            "holiday_person_day": "0",
            "temp_person_shift_day": "0",
            "discount": "5.123",
            "valid_days": "0",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        "金额格式不正确" in html and "百分比最多两位小数" in html and "有效天数必须在 1 到 365 之间" in html
    )
    assert "席位数必须在 0 到 10000 之间" in html
    db.session.refresh(quote)
    assert quote.total_fen == 2_100_000


def test_send_approve_and_revise_through_the_pages(client, login_as, make_user, db):
    from tests.conftest import login

    login_as("sales")
    quote = make_quote(db)
    services.update_quote(quote, {}, 1_500, 30, "", None)
    db.session.commit()
    html = client.post(f"/quotes/{quote.id}/send", follow_redirects=True).get_data(as_text=True)
    assert "需经理审批" in html
    assert client.post(f"/quotes/{quote.id}/approve-discount").status_code == 403
    manager = make_user("manager")
    client.post("/logout")
    login(client, manager.username)
    client.post(f"/quotes/{quote.id}/approve-discount")
    client.post(f"/quotes/{quote.id}/send")
    db.session.refresh(quote)
    assert quote.status == "sent"
    response = client.post(f"/quotes/{quote.id}/revise")
    revision = db.session.scalar(sa.select(Quote).where(Quote.version == 2))
    assert response.headers["Location"].endswith(f"/quotes/{revision.id}/edit")
    db.session.refresh(quote)
    assert quote.status == "superseded"
    html = client.get(f"/quotes/{revision.id}").get_data(as_text=True)
    assert "v1" in html and "已被新版本取代" in html


def test_staff_records_the_clients_answer(client, login_as, db):
    login_as("sales")
    quote = send(db, make_quote(db))
    html = client.post(f"/quotes/{quote.id}/reject", data={"comment": ""}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "请填写拒绝原因" in html
    client.post(f"/quotes/{quote.id}/accept", data={"comment": "电话确认接受"})
    db.session.refresh(quote)
    assert quote.status == "accepted" and quote.decision_comment == "电话确认接受"


def test_pdf_download_has_the_client_name_and_upper_total(client, login_as, db):
    login_as("sales")
    quote = make_quote(db)
    response = client.get(f"/quotes/{quote.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"{quote.number}-v1.pdf" in response.headers["Content-Disposition"]
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    assert "北京晨光家居旗舰店" in text
    assert "人民币贰万壹仟元整" in text  # ¥21,000.00


@pytest.mark.parametrize("role", ["admin", "manager", "sales"])
def test_writers_manage_quotes(client, login_as, db, role):
    login_as(role)
    quote = make_quote(db)
    assert client.get("/quotes/").status_code == 200
    assert client.get(f"/quotes/{quote.id}/edit").status_code == 200
    assert client.post(f"/quotes/{quote.id}/send").status_code == 302
    db.session.refresh(quote)
    assert quote.status == "sent"


def test_finance_reads_but_cannot_write(client, login_as, db):
    login_as("finance")
    quote = make_quote(db)
    for url in ("/quotes/", f"/quotes/{quote.id}", f"/quotes/{quote.id}/pdf"):
        assert client.get(url).status_code == 200, url
    assert client.get("/quotes/new").status_code == 403
    assert client.get(f"/quotes/{quote.id}/edit").status_code == 403
    for action in ("send", "approve-discount", "accept", "reject", "revise", "edit"):
        assert client.post(f"/quotes/{quote.id}/{action}").status_code == 403, action
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "发送给客户" not in html
    db.session.refresh(quote)
    assert quote.status == "draft"


def test_trainer_and_client_users_are_refused(client, login_as, db):
    quote = make_quote(db)
    login_as("trainer")
    assert client.get("/quotes/").status_code == 403
    assert client.get(f"/quotes/{quote.id}").status_code == 403
    client.post("/logout")
    login_as("client", client_id=quote.client_id)
    assert client.get("/quotes/").status_code == 403
    assert client.get(f"/quotes/{quote.id}").status_code == 403
