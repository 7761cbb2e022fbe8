"""The pure CSV/record validation in ops.usage.parse (and ops.usage.summary): no app, no database."""

from datetime import date

import pytest

from ops.usage import parse as parse_module
from ops.usage.parse import UsageDecodeError, decode_csv, parse_usage_csv, validate_usage_records
from ops.usage.summary import daily_series, format_seconds, summarize, template_csv

TODAY = date(2026, 11, 26)
ZH_HEADER = (
    "客户编号,客户名称,日期,平台,咨询量,有效咨询量,服务销售额(元),退款金额(元),首次响应时间(秒),"
    "平均响应时间(秒),3分钟回复率,询单转化率,满意度,纠纷退款率\n"
)
EN_HEADER = (
    "client_id,date,platform,consults,valid_consults,served_gmv,refunds,first_response_seconds,"
    "avg_response_seconds,reply_3min_rate,inquiry_conversion,satisfaction,dispute_refund_rate\n"
)


def parse(text):
    return parse_usage_csv(text, today=TODAY)


def test_chinese_headers_and_formats_are_converted_to_fen_ms_and_bp():
    rows, errors = parse(
        ZH_HEADER + '7,晨光家居,2026/10/01,天猫,1280,1150,"12,345.67",1200,12.5,35,92.5%,23.45,96,0.3%\n'
    )
    assert errors == []
    (row,) = rows
    assert row.row == 2 and row.client_id == 7 and row.client_name == "晨光家居"
    assert row.day == date(2026, 10, 1) and row.platform == "tmall"
    assert (row.consults, row.valid_consults) == (1280, 1150)
    # 12,345.67 yuan = 1,234,567 fen; 1200 yuan = 120,000 fen
    assert (row.served_gmv_fen, row.refunds_fen) == (1_234_567, 120_000)
    # 12.5 s = 12,500 ms; 35 s = 35,000 ms
    assert (row.first_response_ms, row.avg_response_ms) == (12_500, 35_000)
    # 92.5 % = 9250 bp; 23.45 % = 2345 bp; 96 % = 9600 bp; 0.3 % = 30 bp
    assert (row.reply_3min_bp, row.inquiry_conversion_bp, row.satisfaction_bp, row.dispute_refund_bp) == (
        9250,
        2345,
        9600,
        30,
    )


def test_english_headers_and_platform_codes():
    rows, errors = parse(
        EN_HEADER + "3,2026-10-02,jd,10,9,0.5,,1.2345,,100,,,\n3,2026-10-02,douyin,0,0,,,,,,,,\n"
    )
    assert errors == []
    assert [r.platform for r in rows] == ["jd", "douyin"]
    # 0.5 yuan = 50 fen; 1.2345 s rounds half-up to 1,235 ms (1,234.5 ms)
    assert (
        rows[0].served_gmv_fen == 50 and rows[0].first_response_ms == 1235 and rows[0].reply_3min_bp == 10_000
    )
    assert rows[1].served_gmv_fen == 0 and rows[1].first_response_ms is None


def test_every_bad_cell_is_reported_with_spreadsheet_row_and_column():
    text = (
        "客户名称,日期,平台,咨询量,有效咨询量,服务销售额,3分钟回复率\n"
        "晨光,2026-10-01,天猫,100,90,10.00,90%\n"
        "晨光,2026-13-01,亚马逊,-1,5,1.234,101%\n"
        ",2026-10-03,天猫,100,120,,\n"
    )
    rows, errors = parse(text)
    assert [r.row for r in rows] == [2]
    found = {(e.row, e.column) for e in errors}
    assert found == {
        (3, "日期"),
        (3, "平台"),
        (3, "咨询量"),
        (3, "服务销售额"),
        (3, "3分钟回复率"),
        (4, "客户名称"),
        (4, "有效咨询量"),
    }
    messages = {(e.row, e.column): e.message for e in errors}
    assert "最多两位小数" in messages[(3, "服务销售额")]
    assert "0% 到 100%" in messages[(3, "3分钟回复率")]
    assert messages[(4, "有效咨询量")] == "有效咨询量不能大于咨询量"


def test_required_values_and_future_dates():
    rows, errors = parse("客户编号,日期,平台,咨询量,有效咨询量\n1,2026-11-27,tmall,,1\n")
    assert rows == []
    assert {(e.column, e.message) for e in errors} == {
        ("日期", "日期不能晚于今天"),
        ("咨询量", "必填，不能为空"),
    }


def test_duplicate_key_in_one_file_names_both_rows():
    text = "客户名称,日期,平台,咨询量,有效咨询量\n晨光,2026-10-01,天猫,1,1\n晨光,2026/10/1,tmall,2,2\n"
    rows, errors = parse(text)
    assert len(rows) == 1
    (error,) = errors
    assert error.row == 3 and "第 2 行" in error.message


def test_missing_and_unknown_columns_are_header_errors():
    rows, errors = parse("客户名称,日期,咨询数量,有效咨询量\n晨光,2026-10-01,1,1\n")
    assert rows == []
    assert {(e.row, e.column) for e in errors} == {(1, "咨询数量"), (1, "平台"), (1, "咨询量")}


def test_blank_lines_are_skipped_but_counted():
    rows, errors = parse("客户编号,日期,平台,咨询量,有效咨询量\n\n,,,,\n1,2026-10-01,tmall,1,1\n")
    assert errors == [] and rows[0].row == 4


def test_decode_utf8_bom_and_gb18030():
    text = "客户名称,日期\n晨光家居,2026-10-01\n"
    assert decode_csv(("\ufeff" + text).encode("utf-8")) == text
    assert decode_csv(text.encode("utf-8")) == text
    assert decode_csv(text.encode("gb18030")) == text
    with pytest.raises(UsageDecodeError):
        decode_csv(b"")
    with pytest.raises(UsageDecodeError):
        decode_csv(b"\xff\xfe\x00a\x00b")


def test_records_use_the_same_validation_with_fen_and_numbers():
    from decimal import Decimal

    rows, errors = validate_usage_records(
        [
            {
                "client_id": 1,
                "date": "2026-10-01",
                "platform": "tmall",
                "consults": 120,
                "valid_consults": 100,
                "served_gmv_fen": 1_234_500,
                "refunds_fen": 0,
                "first_response_seconds": Decimal("12.5"),
                "reply_3min_rate": Decimal("92.5"),
            },
            {
                "client_id": 1,
                "date": "2026-10-02",
                "platform": "tmall",
                "consults": 1.5,
                "valid_consults": True,
                "served_gmv_fen": -1,
            },
        ],
        today=TODAY,
    )
    assert len(rows) == 1
    assert (
        rows[0].served_gmv_fen == 1_234_500
        and rows[0].first_response_ms == 12_500
        and rows[0].reply_3min_bp == 9250
    )
    assert {(e.row, e.column) for e in errors} == {
        (2, "consults"),
        (2, "valid_consults"),
        (2, "served_gmv_fen"),
    }


def test_template_is_utf8_with_bom_and_parses_as_a_header():
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    text = decode_csv(data)
    assert text.startswith("客户编号,客户名称,日期,平台")
    assert parse(text) == ([], [])


def test_summary_weights_kpis_by_consults_and_formats_seconds():
    a = validate_usage_records(
        [
            {
                "client_id": 1,
                "date": "2026-10-01",
                "platform": "tmall",
                "consults": 300,
                "valid_consults": 270,
                "served_gmv": "100.00",
                "first_response_seconds": "10",
                "reply_3min_rate": "90",
            },
            {
                "client_id": 1,
                "date": "2026-10-02",
                "platform": "tmall",
                "consults": 100,
                "valid_consults": 90,
                "served_gmv": "50.50",
                "first_response_seconds": "30",
                "reply_3min_rate": "100",
            },
            {"client_id": 1, "date": "2026-10-02", "platform": "jd", "consults": 0, "valid_consults": 0},
        ],
        today=TODAY,
    )[0]
    s = summarize(a)
    assert (s.days, s.consults, s.valid_consults, s.served_gmv_fen) == (2, 400, 360, 15_050)
    # (10,000 ms × 300 + 30,000 ms × 100) / 400 = 15,000 ms; (9000 × 300 + 10000 × 100) / 400 = 9250 bp
    assert s.first_response_ms == 15_000 and s.reply_3min_bp == 9250 and s.satisfaction_bp is None
    assert (
        format_seconds(12_345) == "12.3" and format_seconds(12_350) == "12.4" and format_seconds(None) == ""
    )
    series = daily_series(a, date(2026, 10, 1), date(2026, 10, 3))
    assert series == {"labels": ["10/1", "10/2", "10/3"], "consults": [300, 100, 0], "valid": [270, 90, 0]}


def test_rows_made_of_cells_seen_before_are_still_checked_against_each_other(monkeypatch):
    # Rows 2-4 are valid and new; every cell of rows 5-9 repeats a text a valid row already had, so
    # they are built from the remembered values, and the checks between cells must still find what
    # validate_row finds. Row 10 has one cell more than the header (empty): the long way, same row.
    text = (
        "客户编号,客户名称,日期,平台,咨询量,有效咨询量,首次响应时间(秒),大促临时客服人数,大促临时客服班次\n"
        "7,晨光,2026-10-01,天猫,5,5,12.5,2,2\n"
        ",晨光,2026-10-02,京东,9,9,,,\n"
        "7,,2026-10-03,tmall,9,5,,0,\n"
        ",,2026-10-01,天猫,9,5,12.5,2,2\n"  # no client at all
        "7,晨光,2026-10-01,京东,5,9,12.5,2,2\n"  # valid consults 9 > consults 5
        "7,晨光,2026-10-01,京东,9,5,12.5,,2\n"  # shifts without a promo headcount
        "7,晨光,2026-10-01,京东,9,5,12.5,0,2\n"  # shifts with a promo headcount of 0
        "7,晨光,2026-10-02,天猫,9,5,,2,2\n"  # all fine
        "7,晨光,2026-10-03,京东,9,5,,2,2,\n"  # all fine, a trailing empty cell
    )
    validated = []
    validate_row = parse_module.validate_row

    def spy(reader, today):
        validated.append(reader.row_number)
        return validate_row(reader, today)

    monkeypatch.setattr(parse_module, "validate_row", spy)
    rows, errors = parse(text)
    assert [(e.row, e.column, e.message) for e in errors] == [
        (5, "客户编号", "请填写客户编号或客户名称"),
        (6, "有效咨询量", "有效咨询量不能大于咨询量"),
        (7, "大促临时客服班次", "填写了大促临时客服班次，但没有填写大促临时客服人数"),
        (8, "大促临时客服班次", "填写了大促临时客服班次，但没有填写大促临时客服人数"),
    ]
    assert [(r.row, r.client_id, r.client_name, r.day.day, r.platform) for r in rows] == [
        (2, 7, "晨光", 1, "tmall"),
        (3, None, "晨光", 2, "jd"),
        (4, 7, None, 3, "tmall"),
        (9, 7, "晨光", 2, "tmall"),
        (10, 7, "晨光", 3, "jd"),
    ]
    assert validated == [2, 3, 4, 5, 6, 7, 8, 10]  # row 9 was built from the remembered values
    # The remembered values are the validated ones: 12.5 s is 12,500 ms; a blank is "not given".
    assert (rows[0].first_response_ms, rows[0].promo_headcount, rows[0].promo_shifts) == (12_500, 2, 2)
    assert (rows[1].first_response_ms, rows[1].promo_headcount, rows[1].promo_shifts) == (None, None, None)
    assert (rows[2].promo_headcount, rows[2].promo_shifts) == (0, None)
    assert (rows[3].consults, rows[3].valid_consults, rows[3].first_response_ms) == (9, 5, None)
    assert (rows[3].served_gmv_fen, rows[3].promo_headcount, rows[3].promo_shifts) == (0, 2, 2)
    assert rows[3].values() == rows[4].values() and rows[3].dated() == rows[4].dated()
