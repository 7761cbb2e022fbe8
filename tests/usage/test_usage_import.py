"""Importing usage: the browser upload and the import service (all or nothing, upsert, counts)."""

import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.usage.models import UsageDaily, UsageImport
from ops.usage.parse import UsageRow
from ops.usage.services import UsageImportError, import_usage
from tests.factories import make_client
from tests.usage.usage_helpers import upload, usage_count, zh_csv

ROWS = [
    ("2026/10/01", "天猫", 1280, 1150, '"12,345.67"', "100", "12.5", "92.5%"),
    ("2026/10/01", "京东", 300, 280, "2000", "", "20", "95"),
    ("2026/10/02", "天猫", 1100, 1000, "9800.5", "0", "15", "90%"),
]


def test_gb18030_file_with_chinese_headers_imports(client, login_as, db):
    login_as("finance")
    shop = make_client(db, name="北京晨光家居旗舰店")
    response = upload(client, zh_csv("北京晨光家居旗舰店", ROWS).encode("gb18030"), "十月用量.csv")
    assert response.status_code == 302
    assert f"/usage/client/{shop.id}?month=2026-10" in response.headers["Location"]
    stored = db.session.scalars(sa.select(UsageDaily).order_by(UsageDaily.day, UsageDaily.platform)).all()
    assert [(r.day.isoformat(), r.platform, r.consults, r.valid_consults) for r in stored] == [
        ("2026-10-01", "jd", 300, 280),
        ("2026-10-01", "tmall", 1280, 1150),
        ("2026-10-02", "tmall", 1100, 1000),
    ]
    tmall = stored[1]
    # 12,345.67 yuan = 1,234,567 fen; 100 yuan = 10,000 fen; 12.5 s = 12,500 ms; 92.5 % = 9250 bp
    assert (tmall.served_gmv_fen, tmall.refunds_fen, tmall.first_response_ms, tmall.reply_3min_bp) == (
        1_234_567,
        10_000,
        12_500,
        9250,
    )
    assert stored[0].refunds_fen == 0 and stored[2].served_gmv_fen == 980_050  # 9,800.50 yuan
    record = db.session.scalar(sa.select(UsageImport))
    assert (
        record.source,
        record.filename,
        record.rows,
        record.inserted,
        record.updated,
        record.unchanged,
    ) == ("csv", "十月用量.csv", 3, 3, 0, 0)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "usage.imported"))
    assert entry.after["inserted"] == 3 and entry.actor != "system"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入完成：新增 3 行，更新 0 行，未变 0 行。" in page


def test_utf8_bom_file_with_english_headers_imports(client, login_as, db):
    login_as("manager")
    shop = make_client(db)
    text = (
        "\ufeffclient_id,date,platform,consults,valid_consults,served_gmv,refunds,first_response_seconds,"
        f"reply_3min_rate\n{shop.id},2026-10-05,tmall,50,45,1000.00,0,8,99%\n"
    )
    response = upload(client, text.encode("utf-8"))
    assert response.status_code == 302
    row = db.session.scalar(sa.select(UsageDaily))
    assert (row.client_id, row.consults, row.served_gmv_fen, row.first_response_ms, row.reply_3min_bp) == (
        shop.id,
        50,
        100_000,
        8_000,
        9_900,
    )


def test_one_bad_row_imports_nothing_and_names_the_row(client, login_as, db):
    login_as("finance")
    make_client(db, name="晨光")
    rows = ROWS + [("2026/10/03", "天猫", 100, 120, "1.00", "0", "10", "90%")]
    response = upload(client, zh_csv("晨光", rows).encode("utf-8"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "未导入任何数据" in html
    # The bad row is the 4th data row: spreadsheet row 5 (the header is row 1).
    assert '<td class="text-end">5</td><td>有效咨询量</td><td>有效咨询量不能大于咨询量</td>' in html
    assert usage_count(db) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UsageImport)) == 0


def test_unknown_client_imports_nothing(client, login_as, db):
    login_as("finance")
    make_client(db, name="晨光")
    text = zh_csv("晨光", ROWS[:1]) + "不存在的店,2026/10/02,天猫,1,1,0,0,1,90\n"
    html = upload(client, text.encode("utf-8")).get_data(as_text=True)
    assert "找不到客户“不存在的店”" in html
    assert usage_count(db) == 0


def test_reimport_counts_unchanged_and_an_edited_row_as_updated(client, login_as, db):
    login_as("finance")
    make_client(db, name="晨光")
    data = zh_csv("晨光", ROWS).encode("utf-8")
    upload(client, data)
    upload(client, data)
    latest = db.session.scalar(sa.select(UsageImport).order_by(UsageImport.id.desc()))
    assert (latest.inserted, latest.updated, latest.unchanged) == (0, 0, 3)
    edited = [
        ROWS[0],
        ROWS[1],
        ("2026/10/02", "天猫", 1111, 1000, "9800.5", "0", "15", "90%"),
        ("2026/10/03", "天猫", 10, 9, "1", "0", "15", "90%"),
    ]
    upload(client, zh_csv("晨光", edited).encode("utf-8"))
    latest = db.session.scalar(sa.select(UsageImport).order_by(UsageImport.id.desc()))
    assert (latest.inserted, latest.updated, latest.unchanged) == (1, 1, 2)
    assert usage_count(db) == 4
    changed = db.session.scalar(sa.select(UsageDaily).where(UsageDaily.consults == 1111))
    assert changed.platform == "tmall" and changed.day.isoformat() == "2026-10-02"


def test_duplicates_within_a_file_are_rejected(client, login_as, db):
    login_as("finance")
    make_client(db, name="晨光")
    html = upload(client, zh_csv("晨光", [ROWS[0], ROWS[0]]).encode("utf-8")).get_data(as_text=True)
    assert "与第 2 行重复" in html
    assert usage_count(db) == 0


def test_same_client_by_id_and_by_name_is_a_duplicate(db):
    shop = make_client(db, name="晨光")
    from datetime import date

    rows = [
        UsageRow(
            row=2,
            client_id=shop.id,
            client_name=None,
            day=date(2026, 10, 1),
            platform="tmall",
            consults=1,
            valid_consults=1,
        ),
        UsageRow(
            row=3,
            client_id=None,
            client_name="晨光",
            day=date(2026, 10, 1),
            platform="tmall",
            consults=2,
            valid_consults=2,
        ),
    ]
    try:
        import_usage(rows, "cli", "x.csv")
    except UsageImportError as exc:
        assert [(e.row, e.message) for e in exc.errors] == [
            (3, "与第 2 行重复（同一客户、日期、平台只能有一行）")
        ]
    else:
        raise AssertionError("duplicate accepted")
    assert usage_count(db) == 0


def test_not_a_csv_file_is_refused(client, login_as, db):
    login_as("finance")
    html = upload(client, b"%PDF-1.4", "usage.pdf").get_data(as_text=True)
    assert "请上传 .csv 文件" in html
    html = upload(client, b"\xff\xfe\x00\x00\x01", "usage.csv").get_data(as_text=True)
    assert "无法识别的文件编码" in html


def test_template_download_has_bom_and_chinese_headers(client, login_as):
    login_as("finance")
    response = client.get("/usage/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff客户编号,客户名称,日期,平台,咨询量,有效咨询量".encode())


def test_import_page_reads_well(client, login_as):
    login_as("admin")
    html = client.get("/usage/import").get_data(as_text=True)
    assert "导入用量 CSV" in html and 'type="file"' in html and "下载 CSV 模板" in html
