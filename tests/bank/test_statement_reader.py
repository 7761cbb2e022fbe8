"""The pure reader: decoding, the mapping's validation, preamble and footer lines, outgoing rows,
transaction keys."""

import pytest

from ops.bank.engine.statement import (
    Layout,
    StatementError,
    decode_statement,
    layout_problems,
    parse_statement,
    transaction_key,
)
from tests.bank.helpers import CMB, ICBC

TEXT = '某银行\n账号,123\n\n日期,金额,对方单位,对方账号,用途\n20261102,"1,200.50",甲公司,6222 01,货款\n20261102,-80.00,乙,02,房租\n合计\n'


def test_decode_utf8_bom_gb18030_and_refusals():
    assert decode_statement("\ufeff日期".encode()) == ("日期", "UTF-8")
    assert decode_statement("日期".encode()) == ("日期", "UTF-8")
    assert decode_statement("日期".encode("gb18030")) == ("日期", "GB18030")
    for data, message in ((b"", "文件是空的"), (b"  \n", "文件是空的"), (b"PK\x03\x04\x00\x00", "不是 CSV")):
        with pytest.raises(StatementError, match=message):
            decode_statement(data)
    with pytest.raises(StatementError, match="无法识别的文件编码"):
        decode_statement(b"\x81\x30\xff\xfe\x80")


def test_layout_problems():
    assert layout_problems(CMB) == [] and layout_problems(ICBC) == []
    both = Layout("日期", "%Y%m%d", "户名", "账号", "用途", amount_column="金额", credit_column="收入")
    assert [f for f, _ in layout_problems(both)] == ["amount_column"]
    neither = Layout("日期", "%Y%m%d", "户名", "账号", "用途")
    assert [f for f, _ in layout_problems(neither)] == ["amount_column"]
    twice = Layout("日期", "%d.%m.%Y", "户名", "户名", "", amount_column="金额")
    assert sorted(f for f, _ in layout_problems(twice)) == [
        "date_format",
        "payer_account_column",
        "reference_column",
    ]


def test_parse_skips_preamble_and_footer_counts_outgoing():
    parsed = parse_statement(TEXT, ICBC)
    assert parsed.header_line == 4
    assert (len(parsed.rows), parsed.outgoing, parsed.skipped) == (1, 1, 1)
    row = parsed.rows[0]
    assert (row.line, row.amount_fen, row.payer_name, row.payer_account, row.reference) == (
        5,
        120_050,  # ¥1,200.50
        "甲公司",
        "622201",
        "货款",
    )


def test_parse_refuses_bad_dates_and_amounts_listing_lines():
    text = "日期,金额,对方单位,对方账号,用途\n2026-11-02,10.00,a,1,x\n20261102,abc,a,1,x\n"
    with pytest.raises(StatementError) as info:
        parse_statement(text, ICBC)
    assert "第 2 行" in str(info.value) and "第 3 行" in str(info.value)
    with pytest.raises(StatementError, match="找不到表头"):
        parse_statement("a,b\n1,2\n", ICBC)


def test_identical_rows_are_two_transactions_and_serials_win():
    text = "日期,金额,对方单位,对方账号,用途\n20261102,10.00,a,1,x\n20261102,10.00,a,1,x\n"
    first, second = parse_statement(text, ICBC).rows
    assert first.key != second.key
    # The same rows in another export (overlapping) have the same keys.
    assert [r.key for r in parse_statement("前言\n" + text, ICBC).rows] == [first.key, second.key]
    from datetime import date

    assert transaction_key(date(2026, 11, 2), 1000, "1", "x", "SN9", 1) == transaction_key(
        date(2026, 11, 2), 1000, "other", "other", "SN9", 2
    )


def test_long_serials_are_hashed_into_the_key_column():
    from datetime import date

    key = transaction_key(date(2026, 11, 2), 1000, "", "", "S" * 500, 1)
    assert len(key) <= 120 and key != transaction_key(date(2026, 11, 2), 1000, "", "", "S" * 499, 1)
