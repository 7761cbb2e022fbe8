"""Quote actions (报价). Each checks the state transition, writes and audits; the caller commits.

An action on an existing quote locks its row first (``_lock``) and checks under the lock, so a
client accepting while sales revises, or two answers at once, cannot both pass the check.

Money is integer fen, rates basis points. The terms (the pricing inputs) live on the quote as JSON;
every write recomputes the lines and totals from them with ``pricing.calculate_quote``.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from ops import i18n, vocab
from ops.audit.services import record, snapshot
from ops.auth.roles import ADMIN, MANAGER, SALES
from ops.clients.models import Client, Needs
from ops.clients.services import advance_stage, current_needs
from ops.errors import ServiceError
from ops.events.services import emit
from ops.extensions import db
from ops.money import format_bp, format_fen
from ops.numbering import next_number
from ops.quotes import pricing
from ops.quotes.models import Quote
from ops.quotes.reading import (  # re-exported: views and the portal read through services
    client_may_answer as client_may_answer,
)
from ops.quotes.reading import client_visible_clause as client_visible_clause
from ops.quotes.reading import is_client_visible as is_client_visible
from ops.quotes.reading import live_contract as live_contract
from ops.quotes.reading import needs_summary as needs_summary
from ops.quotes.reading import quote_history as quote_history
from ops.quotes.reading import quote_versions as quote_versions
from ops.quotes.states import (
    REVISABLE,
    WITHDRAWABLE,
    QuoteTransitionError,
    check_transition,
)
from ops.ratecards.rules import (
    DATED_EXTRA_CODES,
    EXTRA_LABELS,
    MONTHLY_EXTRA_CODES,
    NeedsInput,
    build_terms,
    result_to_json,
    terms_to_pricing,
)
from ops.ratecards.services import ensure_default_rate_card, published_rate_card
from ops.timeutil import today as business_today
from ops.timeutil import utcnow
from ops.transactions import lock_row, take_write_lock
from ops.vocab import N_

WRITE_ROLES = (ADMIN, MANAGER, SALES)
APPROVER_ROLES = (ADMIN, MANAGER)
MAX_VALID_DAYS = 365

# Fields kept in the audit trail's before/after of a quote.
AUDIT_FIELDS = (
    "status",
    "version",
    "subtotal_fen",
    "discount_bp",
    "discount_fen",
    "total_fen",
    "valid_days",
    "valid_until",
    "superseded_by_id",
)

# How the quote's audit entries read on its page.
# The quote history's entries; templates read them as ``label("quote_action", action)``.
ACTION_LABELS = vocab.register(
    "quote_action",
    {
        "quote.created": N_("创建"),
        "quote.updated": N_("修改"),
        "quote.discount_approved": N_("折扣审批通过"),
        "quote.sent": N_("发送给客户"),
        "quote.accepted": N_("客户接受"),
        "quote.rejected": N_("客户拒绝"),
        "quote.expired": N_("过期"),
        "quote.superseded": N_("被新版本取代"),
        "quote.withdrawn": N_("撤回"),
        "quote.superseded_by_alternative": N_("客户接受了另一份报价"),
    },
)


class QuoteError(ServiceError):
    """A quote action refused for a business reason (message in Chinese). Nothing was written."""


class QuoteExpiredError(QuoteError):
    """The client answered after the validity date: the quote was marked expired instead.

    Unlike other ``QuoteError``s this one leaves a change to commit (the expiry).
    """

    category = "warning"
    keep_changes = True


def _lock(quote: Quote) -> Quote:
    """The quote re-read under its row lock (the session's copy is refreshed)."""
    if quote.id is None:
        db.session.flush()
    return lock_row(Quote, quote.id)


def _check(current: str, target: str) -> None:
    try:
        check_transition(current, target)
    except (
        QuoteTransitionError
    ) as exc:  # a quote action's refusals are QuoteErrors (lazy: translated when shown)
        raise QuoteError(exc.message) from exc


def _snap(quote: Quote) -> dict:
    return snapshot(quote, AUDIT_FIELDS)


def needs_input(needs: Needs) -> NeedsInput:
    """The pricing view of a needs row (plain values)."""
    return NeedsInput(
        platform=needs.platform,
        scope=needs.scope,
        shifts=tuple(needs.shifts or ()),
        avg_daily_consults=needs.avg_daily_consults,
        category=needs.category or "",
        complexity=needs.complexity,
        peak_hour_share_bp=needs.peak_hour_share_bp,
        aht_seconds=needs.aht_seconds,
        concurrency=needs.concurrency,
        sl_target_bp=needs.sl_target_bp,
        sl_answer_seconds=needs.sl_answer_seconds,
        avg_order_value_fen=needs.avg_order_value_fen,
        inquiry_conversion_bp=needs.inquiry_conversion_bp,
    )


def price_terms(terms: dict) -> tuple[list[dict], int, int, int]:
    """(lines JSON, subtotal_fen, discount_fen, total_fen) for JSON terms; QuoteError when invalid."""
    try:
        result = pricing.calculate_quote(terms_to_pricing(terms))
    except (ValueError, KeyError, TypeError) as exc:
        raise QuoteError(_("报价条件有误：%(e)s", e=str(exc))) from exc
    return result_to_json(result), result.subtotal_fen, result.discount_fen, result.total_fen


def _apply_price(quote: Quote, terms: dict) -> None:
    lines, subtotal, discount, total = price_terms(terms)
    quote.terms = terms
    quote.lines = lines
    quote.subtotal_fen, quote.discount_fen, quote.total_fen = subtotal, discount, total


# --- approval ------------------------------------------------------------------------------------


def approval_reasons(quote: Quote) -> list[str]:
    """Why this quote needs a manager's approval before it is sent (empty: it does not).

    A discount above the rate card's threshold, or a commission rate outside the card's range.
    """
    card = quote.rate_card.data
    reasons = []
    threshold = card.get("discount_threshold_bp", 1_000)
    if quote.discount_bp > threshold:
        reasons.append(
            _("折扣 %(d)s 超过审批阈值 %(t)s", d=format_bp(quote.discount_bp), t=format_bp(threshold))
        )
    if quote.model == "base_commission":
        rate = quote.terms.get("commission_rate_bp", 0)
        low, high = card["commission"]["min_bp"], card["commission"]["max_bp"]
        if not low <= rate <= high:
            reasons.append(
                _(
                    "提成比例 %(r)s 超出价目表范围 %(lo)s–%(hi)s",
                    r=format_bp(rate),
                    lo=format_bp(low),
                    hi=format_bp(high),
                )
            )
    return reasons


def awaiting_approval(quote: Quote) -> bool:
    """True when the quote needs an approval it does not have yet."""
    return bool(approval_reasons(quote)) and quote.discount_approved_at is None


# --- actions -------------------------------------------------------------------------------------


def create_quote(client: Client, model: str, by, *, today: date | None = None) -> Quote:
    """A new quote (version 1, draft) for ``client`` priced from its current needs and the published card."""
    if model not in pricing.MODELS:
        raise QuoteError(_("请选择计价模式"))
    needs = current_needs(client.id)
    if needs is None:
        raise QuoteError(_("请先录入客户需求"))
    card = published_rate_card() or ensure_default_rate_card(by)
    try:
        terms, staffing = build_terms(needs_input(needs), card.data, model)
    except (ValueError, KeyError) as exc:
        raise QuoteError(_("无法根据需求生成报价：%(e)s", e=str(exc))) from exc
    quote = Quote(
        client=client,
        needs=needs,
        rate_card=card,
        version=1,
        status="draft",
        model=model,
        staffing=staffing,
        discount_bp=0,
        valid_days=card.data.get("default_valid_days", 30),
        notes="",
        created_by_id=getattr(by, "id", None),
    )
    _apply_price(quote, terms)
    quote.number = next_number("BJ", (today or business_today()).year, 4)
    db.session.add(quote)
    record(
        "quote.created",
        quote,
        summary=f"{quote.label} {client.name} {pricing.MODELS[model]}",
        after=_snap(quote),
        actor=by,
    )
    return quote


def _int(value, label: str, *, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise QuoteError(_("%(f)s必须是不小于 0 的整数", f=label))
    if maximum is not None and value > maximum:
        raise QuoteError(_("%(f)s不能大于 %(m)s", f=label, m=maximum))
    return value


def _changed_terms(quote: Quote, changes: dict) -> dict:
    """A new terms dict: the quote's terms with ``changes`` applied (checked, nothing written)."""
    terms = copy.deepcopy(quote.terms)
    card = quote.rate_card.data
    if "seats" in changes:
        rows = changes["seats"]
        if len(rows) != len(terms["seats"]):
            raise QuoteError(_("席位行数与报价不一致，请刷新页面后重试"))
        for seat, row in zip(terms["seats"], rows, strict=True):
            seat["seats"] = _int(row["seats"], _("席位数"), maximum=10_000)
            seat["monthly_rate_fen"] = _int(row["monthly_rate_fen"], _("席位月单价"))
    if "commission_rate_bp" in changes:
        terms["commission_rate_bp"] = _int(changes["commission_rate_bp"], _("提成比例"), maximum=10_000)
    for key, label in (
        ("expected_monthly_gmv_fen", _("预计月服务销售额")),
        ("monthly_consults", _("每月咨询量")),
        ("monthly_minimum_fen", _("月度最低消费")),
    ):
        if key in changes:
            terms[key] = _int(changes[key], label)
    if "extras" in changes:
        extras = []
        for key in DATED_EXTRA_CODES:
            if changes["extras"].get(key):
                raise QuoteError(_("%(f)s按实际人天结算，不能按月报数量", f=EXTRA_LABELS[key][0]))
        for key in MONTHLY_EXTRA_CODES:
            label, unit = EXTRA_LABELS[key]
            quantity = _int(changes["extras"].get(key, 0), label, maximum=100_000)
            if quantity:
                extras.append(
                    {
                        "key": key,
                        "label": label,
                        "quantity": quantity,
                        "unit": unit,
                        "unit_price_fen": card["extras_fen"][key],
                    }
                )
        terms["extras"] = extras
    return terms


def update_quote(
    quote: Quote, terms_changes: dict, discount_bp: int, valid_days: int, notes: str, by
) -> Quote:
    """Edit a draft: adjust terms (seats per row, commission, GMV, consults, minimum, extras), the
    discount (basis points), validity (days) and notes; lines and totals are recomputed.

    ``terms_changes`` keys (all optional): ``seats`` (one ``{"seats", "monthly_rate_fen"}`` per seat
    row, in order), ``commission_rate_bp``, ``expected_monthly_gmv_fen``, ``monthly_consults``,
    ``monthly_minimum_fen``, ``extras`` (``{extra key: quantity}``). A change of discount or
    commission clears an earlier approval.
    """
    quote = _lock(quote)
    if quote.status != "draft":
        raise QuoteError(_("只有草稿可以修改；已发送的报价请“修订”生成新版本"))
    discount_bp = _int(discount_bp, _("折扣"), maximum=10_000)
    if (
        isinstance(valid_days, bool)
        or not isinstance(valid_days, int)
        or not 1 <= valid_days <= MAX_VALID_DAYS
    ):
        raise QuoteError(_("有效天数必须在 1 到 %(m)s 之间", m=MAX_VALID_DAYS))
    terms = _changed_terms(quote, terms_changes)
    terms["discount_bp"] = discount_bp
    lines, subtotal, discount, total = price_terms(terms)  # raises before anything is written

    before = _snap(quote) | {"terms": quote.terms, "notes": quote.notes}
    was_awaiting = awaiting_approval(quote)
    approval_changed = discount_bp != quote.discount_bp or terms.get("commission_rate_bp") != quote.terms.get(
        "commission_rate_bp"
    )
    quote.terms, quote.lines = terms, lines
    quote.subtotal_fen, quote.discount_fen, quote.total_fen = subtotal, discount, total
    quote.discount_bp, quote.valid_days, quote.notes = discount_bp, valid_days, (notes or "").strip()
    if approval_changed and quote.discount_approved_at is not None:
        quote.discount_approved_at = None
        quote.discount_approved_by_id = None
    record(
        "quote.updated",
        quote,
        summary=f"{quote.label} {format_fen(total)}",
        before=before,
        after=_snap(quote) | {"terms": terms, "notes": quote.notes},
        actor=by,
    )
    if awaiting_approval(quote) and not was_awaiting:  # managers hear of it once per need
        emit("quote.approval_needed", quote, client_id=quote.client_id, quote_id=quote.id)
    return quote


def approve_discount(quote: Quote, by) -> Quote:
    """A manager (or admin) approves the draft's discount / commission so it can be sent."""
    if getattr(by, "role", None) not in APPROVER_ROLES:
        raise QuoteError(_("只有经理或管理员可以审批折扣"))
    quote = _lock(quote)
    if quote.status != "draft":
        raise QuoteError(_("只有草稿需要审批折扣"))
    reasons = approval_reasons(quote)
    if not reasons:
        raise QuoteError(_("该报价的折扣在阈值以内，无需审批"))
    if quote.discount_approved_at is not None:
        raise QuoteError(_("该报价的折扣已经审批过"))
    quote.discount_approved_at = utcnow()
    quote.discount_approved_by_id = by.id
    record(
        "quote.discount_approved",
        quote,
        summary=f"{quote.label}：" + "；".join(reasons),
        before={"discount_approved": False},
        after={"discount_approved": True, "discount_bp": quote.discount_bp},
        actor=by,
    )
    return quote


def send_quote(quote: Quote, by, *, today: date | None = None) -> Quote:
    """Draft -> sent: the validity runs from today; the client moves from lead to negotiating."""
    quote = _lock(quote)
    _check(quote.status, "sent")
    if awaiting_approval(quote):
        raise QuoteError(_("需经理审批后才能发送：%(r)s", r="；".join(approval_reasons(quote))))
    today = today or business_today()
    before = _snap(quote)
    quote.status = "sent"
    quote.sent_at = utcnow()
    quote.valid_until = today + timedelta(days=quote.valid_days)
    record(
        "quote.sent",
        quote,
        summary=i18n._l("%(quote)s 有效期至 %(date)s", quote=quote.label, date=quote.valid_until.isoformat()),
        before=before,
        after=_snap(quote),
        actor=by,
    )
    advance_stage(quote.client, "negotiating", reason=i18n._l("报价 %(quote)s 已发送", quote=quote.label))
    emit("quote.sent", quote, client_id=quote.client_id, quote_id=quote.id)
    return quote


def _expire(quote: Quote, by=None, summary: i18n.LazyText | None = None) -> None:
    before = _snap(quote)
    quote.status = "expired"
    record(
        "quote.expired",
        quote,
        summary=summary or quote.label,
        before=before,
        after=_snap(quote),
        actor=by,
    )


def _lock_alternatives(quote: Quote) -> None:
    """Lock every sent quote of ``quote``'s client, in id order (``quote`` among them if sent).

    An acceptance writes the client's other sent quotes (they become superseded), so it takes all of
    them first, always in the same order: two acceptances at once (two alternatives, portal and staff)
    queue instead of deadlocking, and the second finds its quote superseded.
    """
    take_write_lock()
    db.session.scalars(
        sa.select(Quote)
        .where(Quote.client_id == quote.client_id, Quote.status == "sent")
        .order_by(Quote.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def _supersede_alternatives(accepted: Quote, by) -> list[Quote]:
    """The client's other sent quotes become superseded by ``accepted`` (locked by the caller)."""
    others = db.session.scalars(
        sa.select(Quote)
        .where(Quote.client_id == accepted.client_id, Quote.status == "sent", Quote.id != accepted.id)
        .order_by(Quote.id)
    ).all()
    for other in others:
        before = _snap(other)
        other.status = "superseded"
        other.superseded_by_id = accepted.id
        record(
            "quote.superseded_by_alternative",
            other,
            summary=f"{other.label} -> {accepted.label}",
            before=before,
            after=_snap(other),
            actor=by,
        )
    return list(others)


def _decide(quote: Quote, target: str, by, comment: str, today: date | None) -> Quote:
    if target == "accepted":
        _lock_alternatives(quote)
    quote = _lock(quote)  # two answers at once (portal and staff, or a double-click): one wins
    _check(quote.status, target)
    today = today or business_today()
    if quote.valid_until is not None and today > quote.valid_until:
        _expire(
            quote,
            summary=i18n._l(
                "%(quote)s 客户答复时已过有效期（%(date)s）",
                quote=quote.label,
                date=quote.valid_until.isoformat(),
            ),
        )
        raise QuoteExpiredError(
            _("报价单已于 %(d)s 过期，不能再接受或拒绝；请修订后重新发送", d=quote.valid_until.isoformat())
        )
    before = _snap(quote)
    quote.status = target
    quote.decided_at = utcnow()
    quote.decided_by_id = getattr(by, "id", None)
    quote.decision_comment = (comment or "").strip()
    record(
        f"quote.{target}",
        quote,
        summary=f"{quote.label} {quote.decision_comment}".strip(),
        before=before,
        after=_snap(quote) | {"comment": quote.decision_comment},
        actor=by,
    )
    if target == "accepted":
        _supersede_alternatives(quote, by)
    emit(f"quote.{target}", quote, client_id=quote.client_id, quote_id=quote.id)
    return quote


def accept_quote(quote: Quote, by, comment: str = "", *, today: date | None = None) -> Quote:
    """Sent -> accepted, by the client user (portal) or staff recording the client's answer.

    The client's quotes are alternatives: its other sent quotes become superseded by this one, in
    the same transaction (locks: every sent quote of the client, in id order).
    """
    return _decide(quote, "accepted", by, comment, today)


def reject_quote(quote: Quote, by, comment: str = "", *, today: date | None = None) -> Quote:
    """Sent -> rejected (a reason is required)."""
    if not (comment or "").strip():
        raise QuoteError(_("请填写拒绝原因"))
    return _decide(quote, "rejected", by, comment, today)


def withdraw_quote(quote: Quote, reason: str, by) -> Quote:
    """Draft or sent -> withdrawn: the vendor takes the quote back (``reason`` required). A withdrawn
    quote can no longer be accepted; the portal shows it as withdrawn when it had been sent."""
    reason = (reason or "").strip()
    if not reason:
        raise QuoteError(_("请填写撤回原因"), field="reason")
    quote = _lock(quote)
    if quote.status not in WITHDRAWABLE:
        _check(quote.status, "withdrawn")  # the state machine's refusal names the state
        raise QuoteError(_("只有草稿或已发送的报价可以撤回"))
    before = _snap(quote)
    quote.status = "withdrawn"
    quote.withdrawn_at = utcnow()
    quote.withdrawal_reason = reason
    record(
        "quote.withdrawn",
        quote,
        summary=f"{quote.label} {reason}"[:300],
        before=before,
        after=_snap(quote) | {"reason": reason},
        actor=by,
    )
    return quote


def expire_quotes(today: date | None = None) -> int:
    """Mark every sent quote whose validity ended before ``today`` expired; returns how many."""
    today = today or business_today()
    quotes = db.session.scalars(
        sa.select(Quote).where(Quote.status == "sent", Quote.valid_until < today)
    ).all()
    for quote in quotes:
        _expire(
            quote,
            summary=i18n._l(
                "%(quote)s 有效期至 %(date)s", quote=quote.label, date=quote.valid_until.isoformat()
            ),
        )
    return len(quotes)


def revise_quote(quote: Quote, by) -> Quote:
    """A new draft version of a sent, rejected or expired quote; the old version becomes superseded.

    The terms are copied and repriced against the same rate card; the old version is otherwise
    left exactly as it was.
    """
    quote = _lock(quote)
    if quote.status == "draft":
        raise QuoteError(_("草稿可以直接修改，无需修订"))
    _check(quote.status, "superseded")
    latest = db.session.scalar(sa.select(sa.func.max(Quote.version)).where(Quote.number == quote.number))
    if latest != quote.version:
        raise QuoteError(_("只能修订最新版本"))
    revision = Quote(
        client=quote.client,
        number=quote.number,
        version=quote.version + 1,
        status="draft",
        model=quote.model,
        needs=quote.needs,
        rate_card=quote.rate_card,
        staffing=copy.deepcopy(quote.staffing),
        discount_bp=quote.discount_bp,
        valid_days=quote.valid_days,
        notes=quote.notes,
        created_by_id=getattr(by, "id", None),
        discount_approved_at=quote.discount_approved_at,
        discount_approved_by_id=quote.discount_approved_by_id,
    )
    _apply_price(revision, copy.deepcopy(quote.terms))
    before = _snap(quote)
    quote.status = "superseded"
    db.session.add(revision)
    record(
        "quote.superseded",
        quote,
        summary=f"{quote.label} -> v{revision.version}",
        before=before,
        after=_snap(quote),
        actor=by,
    )
    record(
        "quote.created",
        revision,
        summary=i18n._l("%(quote)s 修订自 v%(version)s", quote=revision.label, version=quote.version),
        after=_snap(revision),
        actor=by,
    )
    return revision


# --- reading -------------------------------------------------------------------------------------


def allowed_actions(quote: Quote, user) -> set[str]:
    """The actions ``user`` may take on ``quote`` now (names used by the detail page)."""
    actions = {"pdf"}
    role = getattr(user, "role", None)
    if role not in WRITE_ROLES:
        return actions
    if quote.status == "draft":
        actions |= {"edit"}
        if awaiting_approval(quote):
            if role in APPROVER_ROLES:
                actions.add("approve")
        else:
            actions.add("send")
    if quote.status == "sent":
        actions |= {"accept", "reject"}
    if quote.status in REVISABLE:
        actions.add("revise")
    if quote.status in WITHDRAWABLE:
        actions.add("withdraw")
    if quote.status == "accepted":
        actions.add("contract")
    return actions
