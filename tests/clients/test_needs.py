import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.clients.models import Needs
from tests.clients.helpers import needs_form
from tests.factories import make_client


def versions(db, client):
    return db.session.scalars(
        sa.select(Needs).where(Needs.client_id == client.id).order_by(Needs.version)
    ).all()


def test_first_needs_are_version_one_with_units_converted(client, login_as, db):
    me = login_as("sales")
    target = make_client(db)
    response = client.post(f"/clients/{target.id}/needs/new", data=needs_form(shifts=["evening", "day"]))
    assert response.status_code == 302
    [v1] = versions(db, target)
    assert v1.version == 1 and v1.created_by_id == me.id
    # 259.00 yuan = 25900 fen; 12% = 1200 bp; 80% = 8000 bp; 20% = 2000 bp
    assert (v1.avg_order_value_fen, v1.peak_hour_share_bp, v1.sl_target_bp, v1.inquiry_conversion_bp) == (
        25_900,
        1_200,
        8_000,
        2_000,
    )
    assert v1.shifts == ["day", "evening"]  # canonical order
    assert (v1.avg_daily_consults, v1.peak_daily_consults, v1.complexity) == (800, 2000, 3)


def test_a_change_makes_version_two_and_leaves_version_one_alone(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    client.post(f"/clients/{target.id}/needs/new", data=needs_form())
    client.post(
        f"/clients/{target.id}/needs/new",
        data=needs_form(scope="both", avg_daily_consults="1000", avg_order_value="199.5"),
    )
    v1, v2 = versions(db, target)
    assert (v1.version, v1.scope, v1.avg_daily_consults, v1.avg_order_value_fen) == (
        1,
        "presales",
        800,
        25_900,
    )
    assert (v2.version, v2.scope, v2.avg_daily_consults, v2.avg_order_value_fen) == (2, "both", 1000, 19_950)
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "client.needs_recorded")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.summary == "v2"
    assert entry.before == {"scope": "presales", "avg_daily_consults": 800, "avg_order_value_fen": 25_900}
    assert entry.after == {"scope": "both", "avg_daily_consults": 1000, "avg_order_value_fen": 19_950}


def test_history_shows_what_changed(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    client.post(f"/clients/{target.id}/needs/new", data=needs_form())
    client.post(f"/clients/{target.id}/needs/new", data=needs_form(scope="both", avg_order_value="199.50"))
    html = client.get(f"/clients/{target.id}/needs").get_data(as_text=True)
    assert "第 2 版" in html and "第 1 版" in html and "首个版本" in html
    assert "服务范围" in html and "<del>售前</del>" in html and "售前+售后" in html
    assert "<del>¥259.00</del>" in html and "¥199.50" in html
    changes_table = html.split("第 2 版")[1].split("第 1 版")[0]
    assert "日均咨询量" not in changes_table.split("查看本版全部内容")[0]  # unchanged fields are not listed


def test_form_is_prefilled_from_the_current_version(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    client.post(
        f"/clients/{target.id}/needs/new",
        data=needs_form(avg_order_value="1,299.90", peak_hour_share="12.5", special_requirements="大促加人"),
    )
    html = client.get(f"/clients/{target.id}/needs/new").get_data(as_text=True)
    assert 'value="1,299.90"' in html and 'value="12.5"' in html and "大促加人" in html
    assert "保存后生成第 2 版" in html


def test_bad_needs_get_chinese_messages_and_nothing_is_saved(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    cases = [
        (needs_form(peak_daily_consults="500"), "高峰日咨询量不能小于日均咨询量"),
        (needs_form(peak_hour_share="120"), "百分比应在 0% 到 100% 之间"),
        (needs_form(inquiry_conversion="abc"), "百分比格式不正确"),
        (needs_form(avg_order_value="12.345"), "金额最多两位小数"),
        (needs_form(avg_order_value="-5"), "金额"),
        (needs_form(shifts=[]), "请至少选择一个班次"),
        (needs_form(avg_daily_consults=""), "请输入日均咨询量"),
        (needs_form(sl_answer_seconds=""), "服务水平目标需同时填写百分比和应答秒数"),
        (needs_form(aht_seconds="-3"), "之间的整数"),
    ]
    for data, message in cases:
        response = client.post(f"/clients/{target.id}/needs/new", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), message
    assert versions(db, target) == []


def test_platform_may_be_one_the_client_has_no_shop_on(client, login_as, db):
    login_as("sales")
    target = make_client(db, shops=[("tmall", "店")])
    html = client.get(f"/clients/{target.id}/needs/new").get_data(as_text=True)
    assert html.index('value="tmall"') < html.index('value="jd"') and "未登记店铺" in html
    client.post(f"/clients/{target.id}/needs/new", data=needs_form(platform="jd"))
    assert versions(db, target)[0].platform == "jd"
    response = client.post(f"/clients/{target.id}/needs/new", data=needs_form(platform="amazon"))
    assert response.status_code == 200 and len(versions(db, target)) == 1


def test_detail_shows_current_needs_and_the_pipeline_moves(client, login_as, db):
    login_as("sales")
    target = make_client(db)
    html = client.get(f"/clients/{target.id}").get_data(as_text=True)
    assert "还没有记录需求" in html and html.count("step current") == 1 and "step done" not in html
    client.post(f"/clients/{target.id}/needs/new", data=needs_form())
    html = client.get(f"/clients/{target.id}").get_data(as_text=True)
    assert "v1" in html and "¥259.00" in html and "80% 在 30 秒内响应" in html
    assert html.count("step done") == 1
