"""The 数电票 batch file: it opens, every required column is there, and the lines' 金额 and 税额 equal
the invoices' net and tax to the fen. Expected amounts worked out by hand (see tests/fapiao/helpers.py)."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from ops.audit.models import AuditEntry
from ops.fapiao import export, services
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.factories import TAX_IDS
from tests.fapiao.helpers import exclusive_invoice, inclusive_with_kpi_and_deposit

REQUIRED_HEADER = (
    "发票流水号*",
    "发票类型*",
    "是否含税*",
    "购买方名称*",
    "购买方纳税人识别号*",
    "购买方地址",
    "购买方电话",
    "购买方开户银行",
    "购买方银行账号",
    "备注",
)
REQUIRED_LINES = (
    "发票流水号*",
    "序号*",
    "发票行性质*",
    "项目名称*",
    "商品和服务税收分类编码*",
    "单位",
    "数量",
    "单价（不含税）",
    "金额（不含税）*",
    "税率*",
    "税额*",
)


def _fen(text: str) -> int:
    whole, _dot, cents = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole or "0")) * 100 + int(cents or "0"))


def _sheets(data: bytes):
    book = load_workbook(io.BytesIO(data))
    header = [list(r) for r in book[export.HEADER_SHEET].iter_rows(values_only=True)]
    lines = [list(r) for r in book[export.LINE_SHEET].iter_rows(values_only=True)]
    return header, lines


def test_inclusive_invoice_with_a_kpi_deduction_and_a_deposit_offset(db):
    invoice = inclusive_with_kpi_and_deposit(db)
    record = export.fapiao_record(invoice, services.item_codes())
    assert record["problems"] == []
    rows = [
        (r["nature"], r["kind"], r["amount_fen"], r["tax_fen"], r["quantity"], r["unit_price"])
        for r in record["lines"]
    ]
    # The KPI deduction (50,000) spread over the three positive lines by amount (largest remainder):
    # 50,000 × 600,000 / 1,123,457 = 26,703.29; × 400,000 / … = 17,802.19; × 123,457 / … = 5,494.51
    # → floors 26,703 + 17,802 + 5,494 = 49,999; the one fen left goes to the .51 → 5,495.
    # The tax 60,762 split over the six rows (600,000, −26,703, 400,000, −17,802, 123,457, −5,495;
    # Σ = 1,073,457): exact 33,962.42, −1,511.50, 22,641.61, −1,007.67, 6,988.16, −311.04;
    # floors 33,962 −1,512 22,641 −1,008 6,988 −312 = 60,759; 3 fen left to the largest fractions
    # (.96 of −311.04, .61 of 22,641.61, .50 of −1,511.50) → −311, 22,642, −1,511.
    # 金额 = gross − tax: 566,038; −25,192; 377,358; −16,794; 116,469; −5,184 (Σ 1,012,695 = net).
    assert rows == [
        ("discounted", "seat", 566_038, 33_962, "1", "5660.38"),
        ("discount", "seat", -25_192, -1_511, "", ""),
        ("discounted", "seat", 377_358, 22_642, "", ""),  # 20 天 without a unit price: no 数量/单价
        ("discount", "seat", -16_794, -1_008, "", ""),
        ("discounted", "commission", 116_469, 6_988, "", ""),
        ("discount", "commission", -5_184, -311, "", ""),
    ]
    # The deposit is no line: the fapiao is for the whole service, 价税合计 1,012,695 + 60,762 = 1,073,457.
    assert (record["amount_fen"], record["tax_fen"], record["total_fen"]) == (1_012_695, 60_762, 1_073_457)
    assert (record["deposit_offset_fen"], record["payable_fen"]) == (300_000, 773_457)
    assert "已收定金抵扣 ¥3,000.00，本次应付 ¥7,734.57" in record["remarks"]
    assert record["fapiao_type_label"] == "数电票（普通发票）"


def test_exclusive_invoice(db):
    invoice = exclusive_invoice(db)
    record = export.fapiao_record(invoice, services.item_codes())
    # Tax 62,271 over 1,000,000 / 25,500 / 12,345 (Σ 1,037,845): exact 60,000.29, 1,530.01, 740.70;
    # floors 60,000 + 1,530 + 740 = 62,270; the fen left goes to the .70 → 741. 金额 = the amounts.
    rows = [
        (r["nature"], r["kind"], r["amount_fen"], r["tax_fen"], r["quantity"], r["unit_price"])
        for r in record["lines"]
    ]
    assert rows == [
        ("normal", "seat", 1_000_000, 60_000, "2", "5000"),  # 2 月 × ¥5,000.00 before tax
        ("normal", "late_fee", 25_500, 1_530, "", ""),
        ("normal", "adjustment", 12_345, 741, "", ""),
    ]
    assert (record["amount_fen"], record["tax_fen"], record["total_fen"]) == (1_037_845, 62_271, 1_100_116)


def test_the_file_opens_has_every_required_column_and_adds_up_to_the_invoices(db, app):
    client = make_billing_client(db)
    first = inclusive_with_kpi_and_deposit(db, client)
    second = exclusive_invoice(db, client)
    with app.test_request_context():
        data = services.export_workbook([first, second], label="2026-09")
    header, lines = _sheets(data)
    for title in REQUIRED_HEADER:
        assert title in header[0]
    for title in REQUIRED_LINES:
        assert title in lines[0]
    h = {name: i for i, name in enumerate(header[0])}
    c = {name: i for i, name in enumerate(lines[0])}
    assert [row[h["发票流水号*"]] for row in header[1:]] == [first.number, second.number]
    for invoice in (first, second):
        mine = [row for row in lines[1:] if row[c["发票流水号*"]] == invoice.number]
        assert sum(_fen(row[c["金额（不含税）*"]]) for row in mine) == invoice.net_fen
        assert sum(_fen(row[c["税额*"]]) for row in mine) == invoice.tax_fen
        assert all(row[c["税率*"]] == "6%" for row in mine)
        assert all(len(row[c["商品和服务税收分类编码*"]]) == 19 for row in mine)
    # The hand-worked totals, as text cells: 10,126.95 + 600.00 … and 10,378.45 / 622.71.
    rows = {row[h["发票流水号*"]]: row for row in header[1:]}
    assert (rows[first.number][h["金额合计"]], rows[first.number][h["税额合计"]]) == ("10126.95", "607.62")
    assert (rows[second.number][h["价税合计"]], rows[second.number][h["是否含税*"]]) == ("11001.16", "否")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "fapiao.exported"))
    assert entry.after == {"invoices": [first.number, second.number]}


def test_a_real_issued_invoice_adds_up_too(db):
    invoice = issued_for(db, make_contract(db, seats=3, rate_fen=512_345))
    record = export.fapiao_record(invoice, services.item_codes())
    assert record["problems"] == []
    assert sum(r["amount_fen"] for r in record["lines"]) == invoice.net_fen
    assert sum(r["tax_fen"] for r in record["lines"]) == invoice.tax_fen


def test_missing_buyer_data_refuses_the_whole_file_and_lists_the_invoices(db, app):
    ready = exclusive_invoice(db)
    other = make_billing_client(
        db, name="上海云栖数码专营店", legal_name="上海云栖数码科技有限公司", tax_id=TAX_IDS[2]
    )
    special = inclusive_with_kpi_and_deposit(db, other)
    special.client.fapiao_type = "special"
    special.client.phone, special.client.bank_name = "021-66668888", "招商银行上海分行"
    special.client.bank_account, special.client.address = "", ""
    db.session.commit()
    with app.test_request_context(), pytest.raises(services.FapiaoError) as refused:
        services.export_workbook([ready, special])
    message = str(refused.value)
    assert special.number in message and "专票缺少购买方地址、银行账号" in message
    assert ready.number not in message
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "fapiao.exported")) is None


def test_an_invoice_with_a_fapiao_is_not_exported_twice(db, app):
    invoice = exclusive_invoice(db)
    services.record_fapiao(invoice, "26112000000012345678", invoice.issued_on, "issued")
    db.session.commit()
    record = export.fapiao_record(invoice, services.item_codes())
    assert record["fapiao"]["number"] == "26112000000012345678"
    assert any("不能重复开票" in p for p in record["problems"])


def test_configured_item_codes_replace_the_samples(db, app, make_user):
    finance = make_user("finance")
    with app.test_request_context():
        assert services.item_codes()["seat"].sample
        assert services.save_item_code("seat", "客服外包服务", "3040204990000000000", "人月", by=finance)
        db.session.commit()
        assert not services.save_item_code("seat", "客服外包服务", "3040204990000000000", "人月", by=finance)
        with pytest.raises(services.FapiaoError, match="19 位数字"):
            services.save_item_code("seat", "客服外包服务", "30402049900", "人月", by=finance)
        db.session.rollback()
    code = services.item_codes()["seat"]
    assert (code.item_name, code.tax_code, code.unit, code.sample) == (
        "客服外包服务",
        "3040204990000000000",
        "人月",
        False,
    )
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "fapiao.item_code_saved")
    ).all()
    assert len(entries) == 1 and entries[0].user_id == finance.id
