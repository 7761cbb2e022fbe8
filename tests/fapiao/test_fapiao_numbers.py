"""Fapiao numbers recorded back (by hand and imported), and the 红字确认单 reason of credit notes."""

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from ops.audit.models import AuditEntry
from ops.billing import services as billing
from ops.billing.models import Invoice
from ops.billing.pdf import pdf_data_from_json
from ops.fapiao import services
from tests.billing.helpers import issued_for, make_billing_client, make_contract
from tests.factories import TAX_IDS
from tests.fapiao.helpers import exclusive_invoice

NUMBER_A = "26112000000000000001"
NUMBER_B = "26112000000000000002"


def _csv(rows, header=("账单编号", "发票号码", "开票日期", "发票状态")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("gb18030")  # as Excel in China saves it


def _fapiao(db, invoice: Invoice):
    db.session.refresh(invoice)
    return invoice.fapiao_number, invoice.fapiao_date, invoice.fapiao_status


def _audits(db, action="invoice.fapiao_recorded") -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_record_by_hand_validates_the_number_and_is_audited(db):
    invoice = exclusive_invoice(db)
    with pytest.raises(services.FapiaoError, match="20 位数字") as refused:
        services.record_fapiao(invoice, "2611200000000000001", date(2026, 10, 2), "issued")
    assert refused.value.field == "number"
    with pytest.raises(services.FapiaoError, match="不能早于"):
        services.record_fapiao(invoice, NUMBER_A, date(2026, 9, 30), "issued")
    db.session.rollback()
    assert services.record_fapiao(invoice, NUMBER_A, date(2026, 10, 2), "issued")
    db.session.commit()
    assert _fapiao(db, invoice) == (NUMBER_A, date(2026, 10, 2), "issued")
    assert not services.record_fapiao(invoice, NUMBER_A, date(2026, 10, 2), "issued")  # nothing changed
    assert services.record_fapiao(invoice, NUMBER_A, date(2026, 10, 2), "已红冲")
    db.session.commit()
    assert _fapiao(db, invoice)[2] == "red"
    assert _audits(db) == 2


def test_a_fapiao_number_belongs_to_one_invoice(db):
    client = make_billing_client(db)
    first, second = exclusive_invoice(db, client), exclusive_invoice(db, client)
    services.record_fapiao(first, NUMBER_A, date(2026, 10, 2), "issued")
    db.session.commit()
    with pytest.raises(services.FapiaoError, match=f"已登记在账单 {first.number}"):
        services.record_fapiao(second, NUMBER_A, date(2026, 10, 2), "issued")
    db.session.rollback()
    # The unique index backs the check.
    second.fapiao_number, second.fapiao_date, second.fapiao_status = NUMBER_A, date(2026, 10, 2), "issued"
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_draft_gets_no_fapiao(db):
    contract = make_contract(db)
    draft, _outcome = billing.refresh_draft(contract, "2026-09")
    db.session.commit()
    with pytest.raises(services.FapiaoError, match="尚未开具"):
        services.record_fapiao(draft, NUMBER_A, date(2026, 10, 2), "issued")
    db.session.rollback()


def test_import_is_all_or_nothing_with_every_bad_row_listed(db):
    client = make_billing_client(db)
    first, second = exclusive_invoice(db, client), exclusive_invoice(db, client)
    data = _csv(
        [
            (first.number, NUMBER_A, "2026-10-02", "已开具"),
            (second.number, "123", "2026/10/02", ""),  # a bad number
            ("INV-2099-00001", NUMBER_B, "2026-10-02", "已开具"),  # no such invoice
        ]
    )
    with pytest.raises(services.FapiaoImportError) as refused:
        services.import_fapiao_numbers(data, "fapiao.csv")
    assert refused.value.errors == ["第 3 行：发票号码必须是 20 位数字（数电票），收到“123”。"]
    db.session.rollback()
    data = _csv(
        [
            (first.number, NUMBER_A, "2026-10-02", "已开具"),
            ("INV-2099-00001", NUMBER_B, "2026-10-02", "已开具"),
            (second.number, NUMBER_A, "2026-10-02", "已开具"),
        ]
    )
    with pytest.raises(services.FapiaoImportError) as refused:
        services.import_fapiao_numbers(data, "fapiao.csv")
    assert refused.value.errors == [
        "第 3 行：账单 INV-2099-00001 不存在",
        "第 4 行：发票号码与第 2 行重复",
    ]
    db.session.rollback()
    assert _fapiao(db, first) == (None, None, None)  # the good row was not recorded either
    assert _audits(db) == 0


def test_import_then_reimport_changes_nothing(db):
    client = make_billing_client(db)
    first, second = exclusive_invoice(db, client), exclusive_invoice(db, client)
    book = Workbook()
    sheet = book.active
    sheet.append(["账单编号", "发票号码", "开票日期", "发票状态"])
    sheet.append([first.number, NUMBER_A, date(2026, 10, 2), "已开具"])
    sheet.append([second.number, NUMBER_B, "20261003", "部分红冲"])
    out = io.BytesIO()
    book.save(out)
    result = services.import_fapiao_numbers(out.getvalue(), "发票.xlsx")
    db.session.commit()
    assert (result.changed, result.unchanged) == (2, 0)
    assert _fapiao(db, first) == (NUMBER_A, date(2026, 10, 2), "issued")
    assert _fapiao(db, second) == (NUMBER_B, date(2026, 10, 3), "partly_red")
    again = services.import_fapiao_numbers(out.getvalue(), "发票.xlsx")
    db.session.commit()
    assert (again.changed, again.unchanged) == (0, 2)
    assert _audits(db) == 2


def test_import_refuses_a_number_already_on_another_invoice(db):
    client = make_billing_client(db)
    first, second = exclusive_invoice(db, client), exclusive_invoice(db, client)
    services.record_fapiao(first, NUMBER_A, date(2026, 10, 2), "issued")
    db.session.commit()
    with pytest.raises(services.FapiaoImportError) as refused:
        services.import_fapiao_numbers(_csv([(second.number, NUMBER_A, "2026-10-02", "")]), "f.csv")
    assert refused.value.errors == [f"第 2 行：发票号码已登记在账单 {first.number} 上"]
    db.session.rollback()


def test_import_needs_its_columns(db):
    with pytest.raises(services.FapiaoImportError) as refused:
        services.import_fapiao_numbers(_csv([("x", "y")], header=("账单编号", "号码")), "f.csv")
    assert refused.value.errors == ["缺少列：发票号码、开票日期"]


# --- 红字确认单 ------------------------------------------------------------------------------------


def test_a_credit_note_of_an_invoice_with_a_fapiao_needs_the_red_reason(db):
    invoice = issued_for(db, make_contract(db), issued_on=date(2026, 10, 1))
    services.record_fapiao(invoice, NUMBER_A, date(2026, 10, 2), "issued")
    db.session.commit()
    with pytest.raises(billing.BillingServiceError, match="请选择红字确认单原因") as refused:
        billing.create_credit_note(invoice, 100_000, "停服 2 天减免")
    assert refused.value.field == "red_reason"
    db.session.rollback()
    assert invoice.credit_notes == []
    with pytest.raises(billing.BillingServiceError, match="原因无效"):
        billing.create_credit_note(invoice, 100_000, "停服 2 天减免", red_reason="05")
    db.session.rollback()
    note = billing.create_credit_note(invoice, 100_000, "停服 2 天减免", red_reason="04")
    assert note.red_reason == "04"
    data = pdf_data_from_json(note.pdf_data)
    assert (data.red_reason, data.fapiao_reference) == ("04 销售折让", NUMBER_A)


def test_a_credit_note_without_a_fapiao_needs_no_reason(db):
    client = make_billing_client(db, tax_id=TAX_IDS[3])
    invoice = issued_for(db, make_contract(db, client), issued_on=date(2026, 10, 1))
    note = billing.create_credit_note(invoice, 100_000, "停服 2 天减免")
    assert note.red_reason == ""
    assert pdf_data_from_json(note.pdf_data).red_reason == ""
