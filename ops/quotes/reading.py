"""Reading quotes: what the client sees, a quote's history and versions, the needs it was priced from.

Plain reads (no writes, no locks); ``ops.quotes.services`` re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from ops import vocab
from ops.audit.models import AuditEntry
from ops.clients.models import Needs
from ops.contracts.models import Contract
from ops.extensions import db
from ops.i18n import N_
from ops.quotes import pricing
from ops.quotes.models import Quote
from ops.quotes.states import CLIENT_VISIBLE
from ops.ratecards.rules import PLATFORM_NAMES
from ops.timeutil import today as business_today


def client_may_answer(quote: Quote, today: date | None = None) -> bool:
    """The client can still accept or reject: sent and within validity."""
    today = today or business_today()
    return quote.status == "sent" and (quote.valid_until is None or today <= quote.valid_until)


def client_visible_clause():
    """The SQL condition of a quote the client sees in the portal: sent to them and not replaced by a
    new version (a sent quote later withdrawn, or superseded by an alternative, stays visible)."""
    return sa.or_(
        Quote.status.in_(CLIENT_VISIBLE),
        sa.and_(Quote.status == "withdrawn", Quote.sent_at.is_not(None)),
        sa.and_(Quote.status == "superseded", Quote.superseded_by_id.is_not(None)),
    )


def is_client_visible(quote: Quote) -> bool:
    """``client_visible_clause()`` for one quote in memory."""
    return (
        quote.status in CLIENT_VISIBLE
        or (quote.status == "withdrawn" and quote.sent_at is not None)
        or (quote.status == "superseded" and quote.superseded_by_id is not None)
    )


def quote_history(quote: Quote) -> list[AuditEntry]:
    """The audit entries of this quote version, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == Quote.__tablename__, AuditEntry.object_id == quote.id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def quote_versions(quote: Quote, *, client_visible: bool = False) -> list[Quote]:
    """Every version of the same quote number, newest first."""
    stmt = sa.select(Quote).where(Quote.number == quote.number).order_by(Quote.version.desc())
    if client_visible:
        stmt = stmt.where(client_visible_clause())
    return list(db.session.scalars(stmt))


def needs_summary(needs: Needs | None, gettext: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """(label, value) pairs describing the needs a quote was priced from (values in Chinese, the
    documents' language, unless a page passes its ``gettext``; the labels are msgids)."""
    if needs is None:
        return []
    shift_names = gettext("、").join(gettext(pricing.SHIFTS.get(s, s)) for s in needs.shifts or ())
    return [
        (N_("平台"), gettext(PLATFORM_NAMES.get(needs.platform, needs.platform))),
        (N_("类目"), needs.category or "—"),
        (N_("服务范围"), gettext(vocab.label_msgid("scope", needs.scope))),
        (N_("班次"), shift_names or "—"),
        (N_("日均咨询"), gettext(N_("约 %(n)s 次")) % {"n": f"{needs.avg_daily_consults:,}"}),
        (N_("商品复杂度"), f"{needs.complexity} / 5"),
    ]


def live_contract(quote: Quote) -> Contract | None:
    """The contract made from ``quote`` that still holds it (not terminated, not cancelled), if any."""
    return db.session.scalar(
        sa.select(Contract).where(
            Contract.quote_id == quote.id, Contract.status.not_in(("terminated", "cancelled"))
        )
    )
