"""Rate-card actions: the published card quotes use, drafts, publishing. The caller commits.

Life of a card: ``draft`` (the only state an admin edits; at most one at a time) -> ``published``
(what new quotes use) -> ``archived`` (when a newer card is published). Published and archived
cards never change, and quotes keep pointing at their own card's row, so a later card never
changes an existing quote.
"""

import copy

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified

from ops.audit.services import record
from ops.errors import ServiceError
from ops.extensions import db
from ops.quotes.models import RateCard
from ops.ratecards.rules import default_rate_card, validate_rate_card
from ops.timeutil import utcnow

NAME_MAX_LENGTH = 100


class RateCardError(ServiceError):
    """A refused rate-card action; the message is for the user."""

    category = "warning"


class RateCardInvalid(RateCardError):
    """The card's data does not pass validation; ``errors`` lists every problem in Chinese."""

    category = "danger"

    def __init__(self, errors: list[str], message: str | None = None):
        super().__init__(message or _("价目表有 %(n)s 处问题，未保存。", n=len(errors)))
        self.errors = list(errors)


def published_rate_card() -> RateCard | None:
    """The rate card new quotes use (the newest published one)."""
    return db.session.scalar(
        sa.select(RateCard).where(RateCard.status == "published").order_by(RateCard.version.desc()).limit(1)
    )


def ensure_default_rate_card(by=None) -> RateCard:
    """Publish the shipped sample defaults as version 1 when no rate card exists yet."""
    card = published_rate_card()
    if card is not None:
        return card
    card = RateCard(
        version=1,
        name="示例默认价目表",
        status="published",
        is_sample=True,
        data=default_rate_card(),
        created_by_id=getattr(by, "id", None),
        published_at=utcnow(),
        published_by_id=getattr(by, "id", None),
        note="系统自带的示例默认值，来自公开市场报价区间，仅供参考。",
    )
    db.session.add(card)
    db.session.flush()
    record("rate_card.published", card, summary="sample defaults v1", actor=by)
    return card


def current_draft() -> RateCard | None:
    """The draft being prepared, if any (there is at most one)."""
    return db.session.scalar(
        sa.select(RateCard).where(RateCard.status == "draft").order_by(RateCard.version.desc()).limit(1)
    )


def load_sample_defaults(by) -> RateCard:
    """Publish the shipped sample as v1; refused once any rate card exists (its version is taken)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(RateCard)):
        raise RateCardError(_("已经有价目表了，示例默认值只能在一张价目表都没有时载入。"))
    return ensure_default_rate_card(by)


def _next_version() -> int:
    return (db.session.scalar(sa.select(sa.func.max(RateCard.version))) or 0) + 1


def _refuse_unless_draft(card: RateCard) -> None:
    if card.status != "draft":
        state = _("已发布") if card.status == "published" else _("已归档")
        raise RateCardError(
            _(
                "价目表 v%(v)s %(state)s，不能再修改（已有报价引用它）；如需调整请新建草稿。",
                v=card.version,
                state=state,
            )
        )


def create_draft(by, from_card: RateCard | None = None) -> RateCard:
    """A new draft with the next version number, copying ``from_card`` or the published card.

    Refused while another draft exists (the message names it), and when there is nothing to copy.
    """
    existing = current_draft()
    if existing is not None:
        raise RateCardError(
            _(
                "已有草稿 v%(v)s（%(name)s），请先编辑发布或删除它，再新建草稿。",
                v=existing.version,
                name=existing.name,
            )
        )
    source = from_card or published_rate_card()
    if source is None:
        raise RateCardError(_("还没有已发布的价目表，请先载入示例默认值。"))
    data = copy.deepcopy(source.data)
    data.pop("label", None)  # the sample's caveat belongs to the sample, not to the company's own card
    version = _next_version()
    card = RateCard(
        version=version,
        name=f"价目表 v{version}",  # stored data stays Chinese, whatever the UI language
        status="draft",
        is_sample=False,
        data=data,
        note=f"复制自 v{source.version}",
        created_by_id=getattr(by, "id", None),
        created_at=utcnow(),
    )
    db.session.add(card)
    db.session.flush()
    record(
        "rate_card.draft_created",
        card,
        summary=f"v{version} from v{source.version}",
        after={"version": version, "from_version": source.version},
        actor=by,
    )
    return card


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the top-level keys whose values differ, for a readable audit entry."""
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def update_draft(card: RateCard, data: dict, name: str, note: str, by) -> RateCard:
    """Replace a draft's data, name and note. Drafts only; invalid data raises ``RateCardInvalid``."""
    _refuse_unless_draft(card)
    name = (name or "").strip()
    errors = []
    if not name:
        errors.append(_("请填写价目表名称。"))
    elif len(name) > NAME_MAX_LENGTH:
        errors.append(_("价目表名称最多 %(n)s 个字。", n=NAME_MAX_LENGTH))
    errors += validate_rate_card(data)
    if errors:
        raise RateCardInvalid(errors)
    old = {"name": card.name, "note": card.note or "", **copy.deepcopy(card.data)}
    new = {"name": name, "note": (note or "").strip(), **copy.deepcopy(data)}
    before, after = _changed(old, new)
    card.name = new["name"]
    card.note = new["note"]
    card.data = copy.deepcopy(data)
    flag_modified(card, "data")  # written even if the caller edited the card's own dict in place
    record("rate_card.updated", card, summary=f"v{card.version}", before=before, after=after, actor=by)
    return card


def publish(card: RateCard, by) -> RateCard:
    """Make a draft the card new quotes use; the previously published card is archived."""
    _refuse_unless_draft(card)
    errors = validate_rate_card(card.data)
    if errors:
        raise RateCardInvalid(errors, _("价目表 v%(v)s 未发布：%(e)s", v=card.version, e="；".join(errors)))
    previous = db.session.scalars(
        sa.select(RateCard).where(RateCard.status == "published", RateCard.id != card.id)
    ).all()
    for old in previous:
        old.status = "archived"
        record(
            "rate_card.archived",
            old,
            summary=f"v{old.version} replaced by v{card.version}",
            before={"status": "published"},
            after={"status": "archived"},
            actor=by,
        )
    card.status = "published"
    card.published_at = utcnow()
    card.published_by_id = getattr(by, "id", None)
    record(
        "rate_card.published",
        card,
        summary=f"v{card.version}",
        before={"status": "draft"},
        after={"status": "published", "replaces": [old.version for old in previous]},
        actor=by,
    )
    return card


def discard_draft(card: RateCard, by) -> None:
    """Delete a draft (nothing refers to a draft: quotes use published cards)."""
    _refuse_unless_draft(card)
    record(
        "rate_card.discarded",
        card,
        summary=f"v{card.version} {card.name}",
        before={"version": card.version, "name": card.name, "note": card.note, "data": card.data},
        actor=by,
    )
    db.session.delete(card)
    db.session.flush()


# Prices the demo draft changes, so a new user sees a draft that differs from the published sample.
DEMO_DRAFT_CHANGES = {
    ("seat_rates_fen", "presales", "day"): 520_000,
    ("seat_rates_fen", "aftersales", "day"): 580_000,
    ("multipliers", "platform", "pdd"): 8_500,
    ("monthly_minimum_fen",): 180_000,
}


def load_ratecards_demo(admin_user) -> dict:
    """Demo data: the sample card published as v1 and a v2 draft with a few changed prices."""
    published = ensure_default_rate_card(admin_user)
    draft = current_draft()
    if draft is None:
        draft = create_draft(admin_user, from_card=published)
        data = copy.deepcopy(draft.data)
        for path, value in DEMO_DRAFT_CHANGES.items():
            target = data
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        data["consult_tiers"]["tiers"][0]["unit_price"] = "2.20"
        update_draft(
            draft,
            data,
            name="2026 年下半年价目表（草稿）",
            note="售前/售后白班上调，拼多多系数 0.85，月度最低消费 1,800 元，首档单价 2.20 元。",
            by=admin_user,
        )
    return {"价目表版本": db.session.scalar(sa.select(sa.func.count()).select_from(RateCard))}
