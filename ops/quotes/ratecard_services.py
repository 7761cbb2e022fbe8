"""Rate-card actions: the published card quotes use, drafts, publishing. The caller commits."""

import sqlalchemy as sa

from ops.audit.services import record
from ops.extensions import db
from ops.quotes.models import RateCard
from ops.quotes.ratecard import default_rate_card
from ops.timeutil import utcnow


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
    card = RateCard(version=1, name="示例默认价目表", status="published", is_sample=True, data=default_rate_card(),
                    created_by_id=getattr(by, "id", None), published_at=utcnow(), published_by_id=getattr(by, "id", None),
                    note="系统自带的示例默认值，来自公开市场报价区间，仅供参考。")
    db.session.add(card)
    db.session.flush()
    record("rate_card.published", card, summary="sample defaults v1", actor=by)
    return card
