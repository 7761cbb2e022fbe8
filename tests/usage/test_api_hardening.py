"""Crafted input to the usage API and the CSV validation: never a 500, always a clear answer.

Every status the API returns under /api/ is application/problem+json (404, 405, 413 and 500
included); a number beyond Python's int-from-string limit (4,300 digits) is a row error; deeply
nested JSON is a 400.
"""

import json
from datetime import date

import pytest

from ops.money import parse_percent, parse_yuan, to_fen
from ops.usage.parse import parse_usage_csv, validate_usage_records
from tests.factories import make_client
from tests.usage.test_api_usage import URL, assert_problem, make_token, post, row
from tests.usage.usage_helpers import usage_count

HUGE_DIGITS = "9" * 5000  # over Python's 4,300-digit limit for int("...")


def test_get_on_the_usage_endpoint_is_a_405_problem_with_allow(client, db):
    response = client.get(URL)
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_an_unknown_api_address_is_a_404_problem(client, db):
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert_problem(client.post("/api/v2/usage", data="{}"), 404)


def test_a_body_over_the_upload_limit_is_a_413_problem(app, client, db, monkeypatch):
    _token, secret = make_token(db)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = post(client, secret, {"rows": [{"note": "x" * 2000}]})
    assert_problem(response, 413)


def test_a_crash_in_an_api_view_is_a_500_problem_without_traceback(app, client, db, monkeypatch):
    def explode():
        raise RuntimeError("secret internals")

    monkeypatch.setitem(app.view_functions, "api.post_usage", explode)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.post(URL, data="{}", content_type="application/json")
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["detail"]


def test_html_pages_keep_their_html_error_pages(app, client, db, login_as):
    login_as("admin")
    response = client.get("/clients/999999")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_deeply_nested_json_is_a_400_problem(client, db):
    _token, secret = make_token(db)
    nested = '{"rows": ' + "[" * 200_000 + "]" * 200_000 + "}"
    body = assert_problem(post(client, secret, nested), 400)
    assert "嵌套" in body["detail"]
    assert usage_count(db) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consults", int(HUGE_DIGITS[:4000])),  # a JSON integer Python could still read
        ("consults", "HUGE"),  # a 5,000-digit JSON integer: json.loads alone would fail with ValueError
        ("consults", HUGE_DIGITS),  # the same digits as a string
        ("served_gmv_fen", "HUGE"),
        ("served_gmv_fen", HUGE_DIGITS),
        ("client_id", "HUGE"),
        ("client_id", HUGE_DIGITS),
        ("first_response_seconds", "1e999999"),
        ("first_response_seconds", "RAWEXP"),  # a JSON number 1e999999 (a Decimal)
        ("reply_3min_rate", HUGE_DIGITS),
    ],
)
def test_an_absurd_number_in_an_api_field_is_a_422_row_error(client, db, field, value):
    shop = make_client(db)
    _token, secret = make_token(db)
    second = {**row(shop.id, date="2026-10-02"), field: value}
    body = json.dumps({"rows": [row(shop.id), second]})
    body = body.replace('"HUGE"', HUGE_DIGITS).replace('"RAWEXP"', "1e999999")
    problem = assert_problem(post(client, secret, body), 422)
    assert [(e["row"], e["field"]) for e in problem["errors"]] == [(2, field)]
    assert usage_count(db) == 0


CSV_HEADER = "客户编号,日期,平台,咨询量,有效咨询量,服务销售额(元),首次响应时间(秒),3分钟回复率\n"


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        (f"7,2026-10-01,天猫,{HUGE_DIGITS},1,0,1,1", "咨询量"),
        (f"{HUGE_DIGITS},2026-10-01,天猫,1,1,0,1,1", "客户编号"),
        (f"7,2026-10-01,天猫,1,1,{HUGE_DIGITS},1,1", "服务销售额(元)"),
        (f"7,2026-10-01,天猫,1,1,0,{HUGE_DIGITS},1", "首次响应时间(秒)"),
        ("7,2026-10-01,天猫,1,1,0,1e999999,1", "首次响应时间(秒)"),
        (f"7,2026-10-01,天猫,1,1,0,1,{HUGE_DIGITS}", "3分钟回复率"),
    ],
)
def test_an_absurd_number_in_a_csv_cell_is_a_row_error(cells, column):
    rows, errors = parse_usage_csv(CSV_HEADER + cells + "\n", today=date(2026, 11, 26))
    assert rows == []
    assert [(e.row, e.column) for e in errors] == [(2, column)]
    assert all(
        "数值过大" in e.message or "过大" in e.message or "秒数" in e.message or "客户编号" in e.message
        for e in errors
    )


def test_records_with_absurd_numbers_are_row_errors_not_exceptions():
    rows, errors = validate_usage_records(
        [
            {
                "client_id": 1,
                "date": "2026-10-01",
                "platform": "jd",
                "consults": HUGE_DIGITS,
                "valid_consults": 1,
            }
        ],
        today=date(2026, 11, 26),
    )
    assert rows == [] and [(e.row, e.column, e.message) for e in errors] == [(1, "consults", "数值过大")]


@pytest.mark.parametrize("text", [HUGE_DIGITS, "1" + "0" * 15, "1,000,000,000,000,000.00"])
def test_parse_yuan_refuses_absurd_lengths_with_a_chinese_message(text):
    with pytest.raises(ValueError, match="金额过大"):
        parse_yuan(text)


def test_parse_yuan_still_takes_the_largest_sensible_amount():
    # 999,999,999,999,999.99 yuan = 99,999,999,999,999,999 fen (15 digits of yuan and 2 of fen)
    assert parse_yuan("999999999999999.99") == 99_999_999_999_999_999


@pytest.mark.parametrize("text", [HUGE_DIGITS, "1000000"])
def test_parse_percent_refuses_absurd_lengths(text):
    with pytest.raises(ValueError, match="百分比过大"):
        parse_percent(text)


@pytest.mark.parametrize("text", ["1e999999", HUGE_DIGITS])
def test_to_fen_refuses_absurd_exponents_with_value_error(text):
    with pytest.raises(ValueError, match="金额过大"):
        to_fen(text)
