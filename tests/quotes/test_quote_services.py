"""Quote services: pricing through create_quote, discounts and approval, sending, answers, expiry, versions."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.quotes import documents, services
from ops.quotes.models import Quote
from ops.timeutil import today
from tests.factories import make_client, make_rate_card
from tests.quotes.quote_factories import client_with_needs, make_quote, send


def test_fixed_seat_quote_from_needs(db, make_user):
    sales = make_user("sales")
    make_rate_card(db)
    client = client_with_needs(db)
    quote = services.create_quote(client, "fixed_seat", sales)
    db.session.commit()
    # 800 consults/day ÷ 200 per agent = 4 seats; tmall presales day ¥5,000 × complexity 3 (×1.05)
    # × 家居家纺 (×1.00) × tmall (×1.00) × day shift (×1.00) = ¥5,250 per seat; 4 × 5,250 = ¥21,000.00.
    assert quote.subtotal_fen == 2_100_000
    assert quote.discount_fen == 0
    assert quote.total_fen == 2_100_000
    assert [line["amount_fen"] for line in quote.lines] == [2_100_000]
    assert quote.staffing == ["白班：日均咨询 800 次 ÷ 每人每天 200 次 = 4 人（未提供高峰数据，按经验规则）"]
    assert quote.number == f"BJ-{today().year}-0001" and quote.version == 1 and quote.status == "draft"
    assert quote.valid_days == 30 and quote.created_by_id == sales.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "quote.created"))
    assert (
        entry.object_id == quote.id
        and entry.after["total_fen"] == 2_100_000
        and entry.actor == sales.username
    )


def test_base_commission_quote_from_needs(db):
    quote = make_quote(db, model="base_commission")
    # Base: 4 seats × ¥1,800 × 1.05 = ¥7,560.00.
    # Commission: 800/day × 30 days × 20% conversion × ¥250 order value = ¥1,200,000 GMV × 2% = ¥24,000.00.
    # Total ¥7,560 + ¥24,000 = ¥31,560.00.
    assert [line["amount_fen"] for line in quote.lines] == [756_000, 2_400_000]
    assert quote.total_fen == 3_156_000


def test_per_consult_quote_from_needs(db):
    quote = make_quote(db, model="per_consult")
    # 800 × 30 = 24,000 consults, graduated: 3,000 × ¥2.00 + 7,000 × ¥1.50 + 14,000 × ¥1.00
    # = 6,000 + 10,500 + 14,000 = ¥30,500 × complexity 1.05 = ¥32,025.00 (above the ¥1,500 minimum).
    assert [line["kind"] for line in quote.lines] == ["consult"]
    assert quote.total_fen == 3_202_500
    assert quote.staffing  # the staffing explanation is kept even when seats are not priced


def test_numbers_are_sequential(db):
    make_rate_card(db)
    first = services.create_quote(client_with_needs(db), "fixed_seat", None)
    second = services.create_quote(client_with_needs(db, name="上海优品数码"), "per_consult", None)
    year = today().year
    assert (first.number, second.number) == (f"BJ-{year}-0001", f"BJ-{year}-0002")


def test_create_refuses_a_client_without_needs(db):
    make_rate_card(db)
    client = make_client(db)
    with pytest.raises(services.QuoteError, match="请先录入客户需求"):
        services.create_quote(client, "fixed_seat", None)


def test_create_publishes_the_sample_card_when_none_exists(db):
    client = client_with_needs(db)
    quote = services.create_quote(client, "fixed_seat", None)
    assert quote.rate_card.is_sample and quote.rate_card.status == "published"


def test_update_recomputes_with_seats_extras_and_discount(db, make_user):
    sales = make_user("sales")
    quote = make_quote(db)
    services.update_quote(
        quote,
        {"seats": [{"seats": 5, "monthly_rate_fen": 480_000}], "extras": {"extra_subaccount_month": 2}},
        500,
        20,
        "含税价",
        sales,
    )
    db.session.commit()
    # 5 × ¥4,800 × 1.05 = ¥25,200; 2 extra sub-accounts × ¥200 = ¥400; subtotal ¥25,600; 5% off = ¥1,280; total ¥24,320.
    assert quote.subtotal_fen == 2_560_000
    assert quote.discount_fen == 128_000
    assert quote.total_fen == 2_432_000
    assert quote.valid_days == 20 and quote.notes == "含税价"
    assert quote.terms["extras"] == [
        {
            "key": "extra_subaccount_month",
            "label": "额外子账号",
            "quantity": 2,
            "unit": "个/月",
            "unit_price_fen": 20_000,
        }
    ]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "quote.updated"))
    assert entry.before["total_fen"] == 2_100_000 and entry.after["total_fen"] == 2_432_000


def test_update_refuses_bad_input_and_changes_nothing(db):
    quote = make_quote(db)
    with pytest.raises(services.QuoteError, match="至少需要一个席位"):
        services.update_quote(quote, {"seats": [{"seats": 0, "monthly_rate_fen": 500_000}]}, 0, 30, "", None)
    with pytest.raises(services.QuoteError, match="席位行数"):
        services.update_quote(quote, {"seats": []}, 0, 30, "", None)
    with pytest.raises(services.QuoteError, match="有效天数"):
        services.update_quote(quote, {}, 0, 0, "", None)
    with pytest.raises(services.QuoteError, match="折扣"):
        services.update_quote(quote, {}, 10_001, 30, "", None)
    db.session.rollback()
    assert quote.total_fen == 2_100_000 and quote.terms["seats"][0]["seats"] == 4


def test_update_only_on_drafts(db):
    quote = send(db, make_quote(db))
    with pytest.raises(services.QuoteError, match="只有草稿可以修改"):
        services.update_quote(quote, {}, 0, 30, "", None)


def test_discount_above_threshold_needs_approval_before_sending(db, make_user):
    sales, manager = make_user("sales"), make_user("manager")
    quote = make_quote(db)
    services.update_quote(quote, {}, 1_500, 30, "", sales)  # 15% > 10%
    # ¥21,000 − 15% (¥3,150) = ¥17,850.00
    assert quote.total_fen == 1_785_000
    assert services.awaiting_approval(quote)
    with pytest.raises(services.QuoteError, match="需经理审批"):
        services.send_quote(quote, sales)
    with pytest.raises(services.QuoteError, match="只有经理或管理员"):
        services.approve_discount(quote, sales)
    services.approve_discount(quote, manager)
    assert quote.discount_approved_by_id == manager.id and not services.awaiting_approval(quote)
    services.send_quote(quote, sales)
    db.session.commit()
    assert quote.status == "sent"
    assert (
        db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "quote.discount_approved")).actor
        == manager.username
    )


def test_discount_at_the_threshold_needs_no_approval(db, make_user):
    manager = make_user("manager")
    quote = make_quote(db)
    services.update_quote(quote, {}, 1_000, 30, "", None)  # exactly 10%
    assert not services.approval_reasons(quote)
    with pytest.raises(services.QuoteError, match="无需审批"):
        services.approve_discount(quote, manager)
    services.send_quote(quote, None)
    assert quote.status == "sent"


def test_changing_the_discount_clears_the_approval(db, make_user):
    manager = make_user("manager")
    quote = make_quote(db)
    services.update_quote(quote, {}, 1_500, 30, "", None)
    services.approve_discount(quote, manager)
    services.update_quote(quote, {}, 1_500, 45, "只改有效期", None)
    assert quote.discount_approved_at is not None  # same discount: approval kept
    services.update_quote(quote, {}, 2_000, 45, "", None)
    assert quote.discount_approved_at is None and services.awaiting_approval(quote)


def test_commission_outside_the_card_range_needs_approval(db, make_user):
    quote = make_quote(db, model="base_commission")
    services.update_quote(quote, {"commission_rate_bp": 400}, 0, 30, "", None)  # 4% = the card's max
    assert not services.awaiting_approval(quote)
    services.update_quote(quote, {"commission_rate_bp": 500}, 0, 30, "", None)
    assert any("提成比例 5%" in r for r in services.approval_reasons(quote))
    with pytest.raises(services.QuoteError, match="需经理审批"):
        services.send_quote(quote, None)


def test_send_sets_validity_and_advances_the_client(db):
    quote = make_quote(db)
    day = today()
    services.send_quote(quote, None, today=day)
    db.session.commit()
    assert quote.status == "sent" and quote.sent_at is not None
    assert quote.valid_until == day + timedelta(days=30)
    assert quote.client.stage == "negotiating"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "quote.sent"))
    assert entry.before["status"] == "draft" and entry.after["status"] == "sent"
    with pytest.raises(services.QuoteError, match="不能再改为已发送|已经是"):
        services.send_quote(quote, None)


def test_accept_and_reject(db, make_user):
    sales = make_user("sales")
    accepted = send(db, make_quote(db))
    services.accept_quote(accepted, sales, "同意")
    assert accepted.status == "accepted" and accepted.decided_by_id == sales.id
    assert accepted.decision_comment == "同意"
    with pytest.raises(services.QuoteError, match="报价单已接受，不能再改为已拒绝"):
        services.reject_quote(accepted, sales, "反悔")
    rejected = send(db, make_quote(db, client=client_with_needs(db, name="杭州小熊母婴")))
    with pytest.raises(services.QuoteError, match="请填写拒绝原因"):
        services.reject_quote(rejected, sales, "  ")
    services.reject_quote(rejected, sales, "太贵")
    assert rejected.status == "rejected"


def test_a_draft_cannot_be_accepted(db):
    quote = make_quote(db)
    with pytest.raises(services.QuoteError, match="草稿"):
        services.accept_quote(quote, None)


def test_accept_after_validity_is_refused_and_marks_expired(db):
    day = today()
    quote = send(db, make_quote(db), today=day)
    with pytest.raises(services.QuoteExpiredError, match="过期"):
        services.accept_quote(quote, None, today=day + timedelta(days=31))
    db.session.commit()
    assert quote.status == "expired" and quote.decided_at is None
    # The last day of validity still counts.
    other = send(db, make_quote(db, client=client_with_needs(db, name="杭州小熊母婴")), today=day)
    services.accept_quote(other, None, today=day + timedelta(days=30))
    assert other.status == "accepted"


def test_expire_quotes_is_idempotent(db):
    day = today()
    old = send(db, make_quote(db), today=day - timedelta(days=31))  # valid until yesterday
    fresh = send(db, make_quote(db, client=client_with_needs(db, name="杭州小熊母婴")), today=day)
    draft = make_quote(db, client=client_with_needs(db, name="深圳极客数码"))
    assert services.expire_quotes(day) == 1
    db.session.commit()
    assert services.expire_quotes(day) == 0
    assert (old.status, fresh.status, draft.status) == ("expired", "sent", "draft")


def _frozen(quote: Quote) -> str:
    return json.dumps(
        {
            "terms": quote.terms,
            "lines": quote.lines,
            "staffing": quote.staffing,
            "totals": [quote.subtotal_fen, quote.discount_fen, quote.total_fen, quote.discount_bp],
            "valid_until": str(quote.valid_until),
            "rate_card_id": quote.rate_card_id,
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def test_revise_makes_v2_and_leaves_v1_unchanged(db, make_user):
    sales = make_user("sales")
    v1 = make_quote(db)
    services.update_quote(v1, {"extras": {"extra_subaccount_month": 3}}, 500, 30, "v1 备注", sales)
    send(db, v1)
    before = _frozen(v1)
    v1_id = v1.id

    v2 = services.revise_quote(v1, sales)
    db.session.commit()
    db.session.expire_all()
    v1 = db.session.get(Quote, v1_id)
    assert v1.status == "superseded"
    assert _frozen(v1) == before
    assert (v2.number, v2.version, v2.status) == (v1.number, 2, "draft")
    assert v2.terms == v1.terms and v2.lines == v1.lines and v2.total_fen == v1.total_fen
    assert v2.rate_card_id == v1.rate_card_id and v2.sent_at is None and v2.valid_until is None
    with pytest.raises(services.QuoteError, match="已被新版本取代"):
        services.revise_quote(v1, sales)
    with pytest.raises(services.QuoteError, match="草稿可以直接修改"):
        services.revise_quote(v2, sales)


def test_revise_uses_the_old_rate_card(db):
    v1 = send(db, make_quote(db))
    from ops.quotes.models import RateCard
    from ops.ratecards.rules import default_rate_card

    newer = default_rate_card()
    newer["seat_rates_fen"]["presales"]["day"] = 900_000
    db.session.add(RateCard(version=2, name="新价目", status="published", data=newer))
    db.session.commit()
    v2 = services.revise_quote(v1, None)
    assert v2.rate_card_id == v1.rate_card_id and v2.total_fen == 2_100_000


def test_pdf_data_leaves_the_discount_to_the_totals(db):
    quote = make_quote(db)
    services.update_quote(quote, {}, 1_000, 30, "", None)
    data = documents.quote_pdf_data(quote, "杭州云帆客服外包有限公司")
    # ¥21,000 − 10% = ¥18,900.00
    assert [line.amount_fen for line in data.lines] == [2_100_000]
    assert (data.subtotal_fen, data.discount_fen, data.total_fen) == (2_100_000, 210_000, 1_890_000)
    assert data.client_name == "北京晨光家居旗舰店" and ("平台", "天猫") in data.needs
