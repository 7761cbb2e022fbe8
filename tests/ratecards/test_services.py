"""Rate-card services: drafts, publishing, refusals, audit, demo data."""

import pytest
import sqlalchemy as sa

from ops.audit.models import AuditEntry
from ops.quotes.models import Quote, RateCard
from ops.ratecards import services
from ops.ratecards.rules import SAMPLE_LABEL, default_rate_card
from tests.factories import make_client


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="boss")


def _actions(db, card_id=None):
    stmt = sa.select(AuditEntry).where(AuditEntry.object_type == "rate_cards").order_by(AuditEntry.id)
    if card_id is not None:
        stmt = stmt.where(AuditEntry.object_id == card_id)
    return [e.action for e in db.session.scalars(stmt)]


def test_first_card_is_the_sample(db, admin):
    card = services.ensure_default_rate_card(admin)
    db.session.commit()
    assert (card.version, card.status, card.is_sample) == (1, "published", True)
    assert card.data["label"] == SAMPLE_LABEL
    assert services.ensure_default_rate_card(admin).id == card.id  # idempotent


def test_draft_copies_the_published_card_and_publishing_archives_it(db, admin):
    v1 = services.ensure_default_rate_card(admin)
    draft = services.create_draft(admin)
    db.session.commit()
    assert (draft.version, draft.status, draft.is_sample) == (2, "draft", False)
    assert draft.data["seat_rates_fen"]["presales"]["day"] == 500_000  # copied from v1
    assert "label" not in draft.data  # the sample caveat stays with the sample
    data = draft.data | {"monthly_minimum_fen": 180_000}
    services.update_draft(draft, data, "2026 下半年", "上调最低消费", by=admin)
    services.publish(draft, admin)
    db.session.commit()
    db.session.refresh(v1)
    assert v1.status == "archived"
    assert draft.status == "published" and draft.published_by_id == admin.id and draft.published_at
    assert services.published_rate_card().id == draft.id
    assert v1.data["monthly_minimum_fen"] == 150_000  # the archived card did not change
    assert _actions(db, draft.id) == ["rate_card.draft_created", "rate_card.updated", "rate_card.published"]
    assert _actions(db, v1.id) == ["rate_card.published", "rate_card.archived"]


def test_update_is_audited_with_before_and_after(db, admin):
    services.ensure_default_rate_card(admin)
    draft = services.create_draft(admin)
    data = draft.data | {"default_valid_days": 15}
    services.update_draft(draft, data, draft.name, "有效期缩短", by=admin)
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "rate_card.updated"))
    assert entry.actor == "boss"
    assert entry.before == {"default_valid_days": 30, "note": "复制自 v1"}
    assert entry.after == {"default_valid_days": 15, "note": "有效期缩短"}


@pytest.mark.parametrize("status", ["published", "archived"])
def test_published_and_archived_cards_never_change(db, admin, status):
    v1 = services.ensure_default_rate_card(admin)
    if status == "archived":
        services.publish(services.create_draft(admin), admin)
    db.session.commit()
    data = v1.data | {"monthly_minimum_fen": 1}
    with pytest.raises(services.RateCardError, match="不能再修改"):
        services.update_draft(v1, data, "x", "", by=admin)
    with pytest.raises(services.RateCardError, match="不能再修改"):
        services.publish(v1, admin)
    with pytest.raises(services.RateCardError, match="不能再修改"):
        services.discard_draft(v1, admin)
    db.session.rollback()
    db.session.refresh(v1)
    assert v1.status == status and v1.data["monthly_minimum_fen"] == 150_000


def _bad(data: dict, case: str) -> dict:
    if case == "unsorted tiers":
        data["consult_tiers"]["tiers"][1]["up_to"] = 2_000  # below the first tier's 3,000
    elif case == "negative price":
        data["seat_rates_fen"]["presales"]["day"] = -100
    elif case == "multiplier 0":
        data["multipliers"]["platform"]["pdd"] = 0
    return data


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unsorted tiers", "阶梯上限必须严格递增"),
        ("negative price", "席位价：售前白班的月价必须是不小于 0 的金额"),
        ("multiplier 0", "平台系数“pdd”必须在 0.0001 到 10 之间"),
    ],
)
def test_invalid_data_is_refused_with_chinese_messages_and_nothing_changes(db, admin, case, message):
    services.ensure_default_rate_card(admin)
    draft = services.create_draft(admin)
    db.session.commit()
    with pytest.raises(services.RateCardInvalid) as info:
        services.update_draft(draft, _bad(default_rate_card(), case), "新名字", "", by=admin)
    assert isinstance(info.value, ValueError)
    assert any(message in error for error in info.value.errors), info.value.errors
    db.session.commit()
    db.session.refresh(draft)
    assert draft.name == "价目表 v2"
    assert draft.data["seat_rates_fen"]["presales"]["day"] == 500_000
    assert draft.data["multipliers"]["platform"]["pdd"] == 8_300
    assert draft.data["consult_tiers"]["tiers"][1]["up_to"] == 10_000
    assert "rate_card.updated" not in _actions(db)


def test_a_draft_made_invalid_elsewhere_cannot_be_published(db, admin):
    v1 = services.ensure_default_rate_card(admin)
    draft = services.create_draft(admin)
    draft.data = _bad(default_rate_card(), "multiplier 0")  # e.g. data written before a rule existed
    db.session.commit()
    with pytest.raises(services.RateCardInvalid) as info:
        services.publish(draft, admin)
    assert "平台系数“pdd”必须在 0.0001 到 10 之间" in info.value.errors
    db.session.rollback()
    assert (draft.status, v1.status) == ("draft", "published")


def test_empty_name_is_refused(db, admin):
    services.ensure_default_rate_card(admin)
    draft = services.create_draft(admin)
    with pytest.raises(services.RateCardInvalid) as info:
        services.update_draft(draft, draft.data, "  ", "", by=admin)
    assert info.value.errors == ["请填写价目表名称。"]


def test_only_one_draft_at_a_time(db, admin):
    services.ensure_default_rate_card(admin)
    services.create_draft(admin)
    db.session.commit()
    with pytest.raises(services.RateCardError, match="已有草稿 v2"):
        services.create_draft(admin)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RateCard)) == 2


def test_no_draft_without_a_published_card(db, admin):
    with pytest.raises(services.RateCardError, match="请先载入示例默认值"):
        services.create_draft(admin)


def test_draft_from_an_archived_version(db, admin):
    v1 = services.ensure_default_rate_card(admin)
    v2 = services.create_draft(admin)
    services.update_draft(v2, v2.data | {"monthly_minimum_fen": 999_900}, "贵", "", by=admin)
    services.publish(v2, admin)
    v3 = services.create_draft(admin, from_card=v1)
    db.session.commit()
    assert v3.version == 3 and v3.data["monthly_minimum_fen"] == 150_000
    assert v3.note == "复制自 v1"


def test_discard_deletes_the_draft_and_is_audited(db, admin):
    services.ensure_default_rate_card(admin)
    draft = services.create_draft(admin)
    db.session.commit()
    draft_id = draft.id
    services.discard_draft(draft, admin)
    db.session.commit()
    assert db.session.get(RateCard, draft_id) is None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "rate_card.discarded"))
    assert entry.object_id == draft_id and entry.before["version"] == 2
    # the next draft may reuse the free version number
    assert services.create_draft(admin).version == 2


def test_load_sample_defaults_only_when_there_is_no_card(db, admin):
    card = services.load_sample_defaults(admin)
    db.session.commit()
    assert card.version == 1 and card.is_sample
    with pytest.raises(services.RateCardError, match="已经有价目表了"):
        services.load_sample_defaults(admin)


def test_existing_quotes_keep_their_card(db, admin):
    v1 = services.ensure_default_rate_card(admin)
    client = make_client(db)
    quote = Quote(
        client_id=client.id, number="BJ-2026-0001", model="fixed_seat", rate_card_id=v1.id, terms={}
    )
    db.session.add(quote)
    db.session.commit()
    draft = services.create_draft(admin)
    services.update_draft(draft, draft.data | {"monthly_minimum_fen": 1}, "新", "", by=admin)
    services.publish(draft, admin)
    db.session.commit()
    db.session.refresh(quote)
    assert quote.rate_card_id == v1.id
    assert quote.rate_card.data["monthly_minimum_fen"] == 150_000


def test_demo_leaves_a_published_sample_and_a_changed_draft(db, admin):
    assert services.load_ratecards_demo(admin) == {"价目表版本": 2}
    db.session.commit()
    cards = db.session.scalars(sa.select(RateCard).order_by(RateCard.version)).all()
    assert [(c.version, c.status, c.is_sample) for c in cards] == [
        (1, "published", True),
        (2, "draft", False),
    ]
    draft = cards[1]
    assert draft.data["seat_rates_fen"]["presales"]["day"] == 520_000
    assert draft.data["multipliers"]["platform"]["pdd"] == 8_500
    assert draft.data["consult_tiers"]["tiers"][0]["unit_price"] == "2.20"
    assert services.load_ratecards_demo(admin) == {"价目表版本": 2}  # running it again adds nothing
