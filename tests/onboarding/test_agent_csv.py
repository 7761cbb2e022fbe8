"""The pure agent CSV reader: columns in Chinese or English, every row checked, duplicates in the file."""

import codecs

import pytest

from ops.onboarding import agent_csv
from ops.onboarding.agent_csv import parse_agent_csv_bytes, phone_key, template_csv

HEADER = "姓名,工号,手机,状态,技能,熟悉的平台,备注\r\n"


def parse(text: str, encoding: str = "utf-8"):
    return parse_agent_csv_bytes(text.encode(encoding))


def messages(result):
    return [(e.row, str(e.column), str(e.message)) for e in result.errors]


def test_a_good_file_gives_every_agent_with_codes_and_lists():
    result = parse(
        HEADER + "张三,KF001,138 0013 8000,培训中,售前、售后，英语,天猫、jd,夜班优先\r\n李四,KF002,,,,,\r\n"
    )
    assert result.ok and messages(result) == []
    first, second = result.rows
    assert first.data() == {
        "name": "张三",
        "employee_no": "KF001",
        "phone": "138 0013 8000",
        "status": "training",
        "skills": ["售前", "售后", "英语"],
        "platforms": ["tmall", "jd"],
        "notes": "夜班优先",
    }
    assert (first.row, second.row) == (2, 3)
    assert second.status == "recruiting" and second.skills == [] and second.platforms == []


def test_english_headers_any_order_extra_columns_ignored_and_quoted_commas():
    result = parse('Employee No,Name,Phone,Department,notes\r\nKF9,王五,13900000000,二组,"早班, 周末"\r\n')
    assert result.ok, messages(result)
    assert result.rows[0].employee_no == "KF9" and result.rows[0].notes == "早班, 周末"
    assert result.ignored_columns == ["Department"]


def test_gb18030_and_utf8_bom_files_read_the_same():
    text = HEADER + "赵六,KF010,13700000000,待上线,售后,拼多多,\r\n"
    for data in (text.encode("gb18030"), codecs.BOM_UTF8 + text.encode("utf-8")):
        result = parse_agent_csv_bytes(data)
        assert result.ok, messages(result)
        assert result.rows[0].name == "赵六" and result.rows[0].status == "ready"
        assert result.rows[0].platforms == ["pdd"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的"),
        (b"   \r\n", "文件是空的"),
        (HEADER.encode(), "文件中只有表头，没有客服数据"),
        (HEADER.encode() + b"\r\n,,,\r\n", "文件中只有表头，没有客服数据"),
        (b"PK\x03\x04\x00\x00binary", "无法识别的文件编码"),
    ],
)
def test_odd_files_are_one_error_for_the_whole_file(data, message):
    result = parse_agent_csv_bytes(data)
    assert not result.ok and result.rows == []
    assert result.errors[0].row == 0 and str(result.errors[0].message).startswith(message)


def test_a_header_without_the_required_columns_is_refused():
    result = parse("名字,手机\r\n张三,13800000000\r\n")
    assert messages(result) == [(1, "工号", "缺少“工号”列（表头须有“工号”或“employee_no”）")]
    assert messages(parse("姓名,工号,name\r\n张,1,张\r\n")) == [(1, "name", "表头中“姓名”列出现了两次")]


def test_every_bad_row_is_listed_with_its_row_and_column():
    result = parse(
        HEADER
        + ",KF001,,,,,\r\n"  # row 2: no name
        + "张三,,abc,,,,\r\n"  # row 3: no employee number, phone not a number
        + "李四,KF003,,已上线,,,\r\n"  # row 4: live needs an assignment
        + "王五,KF004,,休假,,微信,\r\n"  # row 5: unknown status and platform
        + "=cmd|'/c calc'!A1,KF005,,,,,\r\n"  # row 6: a formula
        + "赵六,KF006,23800138000,,,,\r\n"  # row 7: 11 digits not starting with 1
        + "孙七,KF007,,,,,,多出来的\r\n"  # row 8: more cells than the header
    )
    assert not result.ok and result.rows == []
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "姓名"),
        (3, "工号"),
        (3, "手机"),
        (4, "状态"),
        (5, "状态"),
        (5, "熟悉的平台"),
        (6, "姓名"),
        (7, "手机"),
        (8, ""),
    ]
    texts = [message for _row, _column, message in messages(result)]
    assert texts[0] == "请填写“姓名”"
    assert "已上线" in texts[3]
    assert texts[5].startswith("未知的平台“微信”，可填：淘宝、天猫、京东、拼多多、快手、抖音（或 taobao、")
    assert "公式" in texts[6]
    assert result.error_count == 9


def test_too_long_values_are_refused():
    result = parse(HEADER + "张" * 51 + ",KF1,,,,,\r\n")
    assert messages(result) == [(2, "姓名", "“姓名”最多 50 个字")]


def test_duplicates_within_the_file_name_the_earlier_row():
    result = parse(
        HEADER
        + "张三,kf001,13800138000,,,,\r\n"
        + "李四,KF001,,,,,\r\n"  # same employee number, other case
        + "王五,KF003,+86 138-0013-8000,,,,\r\n"  # same phone with the country code
    )
    assert messages(result) == [
        (3, "工号", "工号 KF001 与第 2 行重复"),
        (4, "手机", "手机号 +86 138-0013-8000 与第 2 行重复"),
    ]


def test_phone_key_ignores_separators_and_the_country_code():
    assert phone_key("+86 138-0013-8000") == phone_key("13800138000") == "13800138000"
    assert phone_key("010-12345678") == "01012345678"
    assert phone_key("") == ""


def test_the_row_cap(monkeypatch):
    monkeypatch.setattr(agent_csv, "MAX_ROWS", 3)
    ok = parse(HEADER + "".join(f"客服{i},KF{i},,,,,\r\n" for i in range(3)))
    assert ok.ok and len(ok.rows) == 3
    over = parse(HEADER + "".join(f"客服{i},KF{i},,,,,\r\n" for i in range(4)))
    assert messages(over) == [(0, "", "一次最多导入 3 名客服，这个文件超过了：请分批导入")]


def test_blank_lines_before_the_header_and_between_rows_are_skipped_but_counted():
    result = parse("\r\n" + HEADER + "\r\n张三,,,,,,\r\n")
    assert messages(result) == [(4, "工号", "请填写“工号”")]


def test_a_huge_cell_is_an_error_not_a_crash():
    result = parse(HEADER + "张三,KF1,,,,," + "x" * 200_000 + "\r\n")
    assert not result.ok and str(result.errors[0].message).startswith("无法读取 CSV")


def test_a_multiline_quoted_cell_counts_as_one_row():
    result = parse(HEADER + '张三,KF1,,,,,"第一行\r\n第二行"\r\n李四,,,,,,\r\n')
    assert messages(result) == [(3, "工号", "请填写“工号”")]


def test_the_template_reads_back_as_one_good_agent():
    data = template_csv()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig").splitlines()[0] == "姓名,工号,手机,状态,技能,熟悉的平台,备注"
    result = parse_agent_csv_bytes(data)
    assert result.ok and [r.employee_no for r in result.rows] == ["KF1001"]
