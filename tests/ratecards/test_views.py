"""Rate-card pages: who may do what, the editor's round trip in yuan / ×multipliers / percents."""

import copy

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.quotes.models import RateCard
from ops.ratecards import services
from ops.ratecards.rules import SAMPLE_LABEL
from tests.ratecards.forms_helper import form_values


@pytest.fixture
def cards(db, make_user):
    """v1 published sample and a v2 draft; returns (v1_id, v2_id)."""
    owner = make_user("admin", username="owner")
    v1 = services.ensure_default_rate_card(owner)
    v2 = services.create_draft(owner)
    db.session.commit()
    return v1.id, v2.id


def _card(db, card_id) -> RateCard:
    db.session.expire_all()
    return db.session.get(RateCard, card_id)


# --- permissions -------------------------------------------------------------------------


def _write_requests(v1, v2):
    return [
        ("post", "/admin/rate-cards/new"),
        ("post", "/admin/rate-cards/load-sample"),
        ("get", f"/admin/rate-cards/{v2}/edit"),
        ("post", f"/admin/rate-cards/{v2}/edit"),
        ("post", f"/admin/rate-cards/{v2}/publish"),
        ("post", f"/admin/rate-cards/{v2}/discard"),
    ]


def test_manager_reads_but_cannot_write(client, login_as, db, cards):
    v1, v2 = cards
    login_as("manager")
    assert client.get("/admin/rate-cards/").status_code == 200
    assert client.get(f"/admin/rate-cards/{v1}").status_code == 200
    assert client.get(f"/admin/rate-cards/{v2}?compare=1").status_code == 200
    for method, url in _write_requests(v1, v2):
        assert getattr(client, method)(url).status_code == 403, url
    assert _card(db, v2).status == "draft"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RateCard)) == 2


@pytest.mark.parametrize("role", ["sales", "trainer", "finance", "client"])
def test_other_roles_get_403_everywhere(client, login_as, cards, role):
    v1, v2 = cards
    login_as(role)
    for method, url in [
        ("get", "/admin/rate-cards/"),
        ("get", f"/admin/rate-cards/{v1}"),
        *_write_requests(v1, v2),
    ]:
        assert getattr(client, method)(url).status_code == 403, url


def test_manager_page_has_no_write_buttons(client, login_as, cards):
    v1, v2 = cards
    login_as("manager")
    html = client.get("/admin/rate-cards/").get_data(as_text=True)
    assert "/admin/rate-cards/new" not in html and f"/admin/rate-cards/{v2}/publish" not in html
    html = client.get(f"/admin/rate-cards/{v2}").get_data(as_text=True)
    assert f"/admin/rate-cards/{v2}/edit" not in html


# --- index and detail ----------------------------------------------------------------------


def test_empty_index_offers_the_sample_to_admins(client, login_as, db):
    login_as("admin")
    html = client.get("/admin/rate-cards/").get_data(as_text=True)
    assert "还没有任何价目表" in html and "载入示例默认值" in html
    response = client.post("/admin/rate-cards/load-sample")
    assert response.status_code == 302
    card = db.session.scalar(sa.select(RateCard))
    assert (card.version, card.status, card.is_sample) == (1, "published", True)
    response = client.post("/admin/rate-cards/load-sample", follow_redirects=True)
    assert "已经有价目表了" in response.get_data(as_text=True)


def test_empty_index_for_a_manager(client, login_as):
    login_as("manager")
    html = client.get("/admin/rate-cards/").get_data(as_text=True)
    assert "请联系管理员" in html and "load-sample" not in html


def test_index_lists_versions_with_the_sample_label(client, login_as, cards):
    login_as("admin")
    html = client.get("/admin/rate-cards/").get_data(as_text=True)
    assert "v1" in html and "v2" in html
    assert "示例默认值" in html and SAMPLE_LABEL in html
    assert "已发布" in html and "草稿" in html
    assert "编辑草稿 v2" in html


def test_detail_shows_the_card_in_chinese(client, login_as, cards):
    v1, _v2 = cards
    login_as("manager")
    html = client.get(f"/admin/rate-cards/{v1}").get_data(as_text=True)
    assert SAMPLE_LABEL in html and "示例默认值" in html
    for text in ("售前", "售后", "白班", "晚班", "夜班", "24小时", "拼多多", "抖音", "服饰鞋包"):
        assert text in html, text
    assert "¥5,000.00" in html and "¥5,500.00" in html  # seat rates 500000 / 550000 fen
    assert "×0.83" in html and "×1.30" in html and "×2.00" in html  # PDD, evening, 24 h
    assert "1–3,000 次：¥2.00/次" in html and "30,001 次以上：¥0.60/次" in html
    assert "日均 0–49 次：¥1,500.00/月" in html and "日均 150 次以上：¥4,500.00/月" in html
    assert "累进阶梯" in html
    assert "1%" in html and "2%" in html and "4%" in html  # commission 100/200/400 bp
    assert "¥1,500.00" in html  # monthly minimum 150000 fen


def test_compare_highlights_changed_values(client, login_as, db, cards):
    _v1, v2 = cards
    draft = _card(db, v2)
    data = copy.deepcopy(draft.data)
    data["seat_rates_fen"]["presales"]["day"] = 520_000
    services.update_draft(draft, data, draft.name, "", by=None)
    db.session.commit()
    login_as("admin")
    html = client.get(f"/admin/rate-cards/{v2}?compare=1").get_data(as_text=True)
    assert "正在与当前发布版 v1 对比" in html
    assert html.count("table-warning") == 1
    assert "¥5,200.00" in html and "发布版：¥5,000.00" in html


# --- writes ----------------------------------------------------------------------------------


def test_admin_creates_publishes_and_discards(client, login_as, db, cards):
    v1, v2 = cards
    login_as("admin")
    response = client.post("/admin/rate-cards/new", follow_redirects=True)
    assert "已有草稿 v2" in response.get_data(as_text=True)
    response = client.post(f"/admin/rate-cards/{v2}/publish")
    assert response.status_code == 302
    assert (_card(db, v1).status, _card(db, v2).status) == ("archived", "published")
    response = client.post("/admin/rate-cards/new")
    v3 = db.session.scalar(sa.select(RateCard).where(RateCard.version == 3))
    assert response.headers["Location"].endswith(f"/admin/rate-cards/{v3.id}/edit")
    assert client.post(f"/admin/rate-cards/{v3.id}/discard").status_code == 302
    assert db.session.scalar(sa.select(RateCard).where(RateCard.version == 3)) is None
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {
        "rate_card.published",
        "rate_card.archived",
        "rate_card.draft_created",
        "rate_card.discarded",
    } <= actions


def test_new_draft_from_an_old_version(client, login_as, db, cards):
    v1, v2 = cards
    login_as("admin")
    client.post(f"/admin/rate-cards/{v2}/publish")
    client.post("/admin/rate-cards/new", data={"from_id": str(v1)})
    v3 = db.session.scalar(sa.select(RateCard).where(RateCard.version == 3))
    assert v3.note == "复制自 v1"
    assert client.post("/admin/rate-cards/new", data={"from_id": "999"}).status_code in (302, 404)


def test_published_card_cannot_be_edited_through_the_page(client, login_as, db, cards):
    v1, _v2 = cards
    login_as("admin")
    response = client.get(f"/admin/rate-cards/{v1}/edit", follow_redirects=True)
    assert "不是草稿，不能修改" in response.get_data(as_text=True)
    response = client.post(f"/admin/rate-cards/{v1}/edit", data={"name": "改", "monthly_minimum": "1"})
    assert response.status_code == 302
    assert _card(db, v1).name == "示例默认价目表"
    response = client.post(f"/admin/rate-cards/{v1}/discard", follow_redirects=True)
    assert "不能再修改" in response.get_data(as_text=True)
    assert _card(db, v1) is not None


def _edit_form(client, card_id) -> dict:
    response = client.get(f"/admin/rate-cards/{card_id}/edit")
    assert response.status_code == 200
    return form_values(response.get_data(as_text=True))


def test_form_round_trip_stores_fen_and_basis_points(client, login_as, db, cards):
    _v1, v2 = cards
    login_as("admin")
    values = _edit_form(client, v2)
    assert values["seat_rates-presales_day"] == "5,000.00"  # 500000 fen shown in yuan
    assert values["platform-pdd"] == "0.83" and values["commission_default"] == "2"
    values.update(
        {
            "name": "2026 下半年价目表",
            "seat_rates-presales_day": "5,200.00",
            "base_rates-aftersales_night": "¥2,100.50",
            "platform-pdd": "1.30",
            "complexity-c5": "1.125",
            "commission_default": "2.5%",
            "commission_max": "4.25",
            "discount_threshold": "8%",
            "extras-holiday_person_day": "250",
            "monthly_minimum": "1,800",
            "consults_per_agent_day": "220",
            "consult_mode": "volume",
            "consult_tiers-0-unit_price": "2.10",
            "consult_tiers-3-flat_fee": "100",
            "band_tiers-1-fee": "2,200",
            "categories-0-remove": "y",  # 服饰鞋包 removed
            "categories-10-name": "宠物用品",  # the first empty row
            "categories-10-multiplier": "1.05",
        }
    )
    response = client.post(f"/admin/rate-cards/{v2}/edit", data=values)
    assert response.status_code == 302, response.get_data(as_text=True)
    data = _card(db, v2).data
    assert _card(db, v2).name == "2026 下半年价目表"
    assert data["seat_rates_fen"]["presales"]["day"] == 520_000  # 5,200.00 yuan
    assert data["seat_rates_fen"]["presales"]["evening"] == 500_000  # untouched
    assert data["base_rates_fen"]["aftersales"]["night"] == 210_050  # 2,100.50 yuan
    assert data["multipliers"]["platform"]["pdd"] == 13_000  # ×1.30
    assert data["multipliers"]["complexity"]["5"] == 11_250  # ×1.125
    assert data["commission"] == {"min_bp": 100, "default_bp": 250, "max_bp": 425}  # 1%, 2.5%, 4.25%
    assert data["discount_threshold_bp"] == 800
    assert data["extras_fen"]["holiday_person_day"] == 25_000
    assert data["monthly_minimum_fen"] == 180_000
    assert data["consults_per_agent_day"] == 220
    assert data["consult_tiers"] == {
        "mode": "volume",
        "tiers": [
            {"up_to": 3_000, "unit_price": "2.10", "flat_fee": "0.00"},
            {"up_to": 10_000, "unit_price": "1.50", "flat_fee": "0.00"},
            {"up_to": 30_000, "unit_price": "1.00", "flat_fee": "0.00"},
            {"up_to": None, "unit_price": "0.60", "flat_fee": "100.00"},
        ],
    }
    assert data["band_tiers"][1] == {"up_to": 99, "unit_price": "0", "flat_fee": "2200.00"}
    assert "服饰鞋包" not in data["multipliers"]["category"]
    assert data["multipliers"]["category"]["宠物用品"] == 10_500
    assert data["multipliers"]["category"]["3C数码"] == 11_500
    assert data["multipliers"]["shift"] == {"day": 10_000, "evening": 13_000, "night": 13_000, "full": 20_000}
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "rate_card.updated"))
    assert entry.before["monthly_minimum_fen"] == 150_000 and entry.after["monthly_minimum_fen"] == 180_000


def test_unchanged_form_saves_the_same_values(client, login_as, db, cards):
    _v1, v2 = cards
    login_as("admin")
    before = _card(db, v2).data
    response = client.post(f"/admin/rate-cards/{v2}/edit", data=_edit_form(client, v2))
    assert response.status_code == 302, response.get_data(as_text=True)
    after = _card(db, v2).data
    assert after["seat_rates_fen"] == before["seat_rates_fen"]
    assert after["multipliers"] == before["multipliers"]
    assert after["commission"] == before["commission"]
    assert [t["up_to"] for t in after["consult_tiers"]["tiers"]] == [3_000, 10_000, 30_000, None]
    assert [t["flat_fee"] for t in after["band_tiers"]] == ["1500.00", "2000.00", "3000.00", "4500.00"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seat_rates-presales_day", "-5", "金额不能为负数"),
        ("seat_rates-presales_day", "五千", "金额格式不正确"),
        ("platform-pdd", "0", "系数必须大于 0"),
        ("platform-pdd", "", "系数不能为空"),
        ("commission_default", "2.555%", "百分比最多两位小数"),
        ("consult_tiers-1-up_to", "2,000", "阶梯上限必须严格递增"),
        ("consult_tiers-1-unit_price", "", "请填写单价"),
        ("consult_tiers-2-up_to", "", "只有最后一档可以不设上限"),
        ("commission_min", "5%", "提成比例必须满足"),
        ("categories-1-name", "服饰鞋包", "重复"),
        ("categories-10-multiplier", "1.2", "请填写类目名称"),
        ("consults_per_agent_day", "二百", "请输入整数"),
        ("name", "", "请填写价目表名称"),
    ],
)
def test_bad_input_is_shown_in_chinese_and_nothing_is_saved(
    client, login_as, db, cards, field, value, message
):
    _v1, v2 = cards
    login_as("admin")
    before = _card(db, v2).data
    values = _edit_form(client, v2)
    values[field] = value
    values["monthly_minimum"] = "9,999"  # a valid change that must not be saved either
    response = client.post(f"/admin/rate-cards/{v2}/edit", data=values)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{value}"' in html or not value  # the typed text is shown back
    assert _card(db, v2).data == before
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "rate_card.updated")) is None
