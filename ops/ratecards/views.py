"""Rate-card pages (价目表): managers read; only admins create, edit, publish and discard."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ops.auth.permissions import require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, MANAGER
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.quotes import pricing
from ops.quotes.models import RateCard
from ops.ratecards import services
from ops.ratecards.forms import NewDraftForm, RateCardForm, form_data_from_card
from ops.ratecards.rules import (
    EXTRA_LABELS,
    PLATFORM_CODES,
    PLATFORM_NAMES,
    SCOPE_CODES,
    SHIFT_CODES,
    TIER_MODE_EXPLANATIONS,
    describe_band_tiers,
    describe_consult_tiers,
)
from ops.urls import db_int
from ops.web import paginate, perform

bp = Blueprint("ratecards", __name__, url_prefix="/admin/rate-cards")
require_roles_for_blueprint(bp, ADMIN, MANAGER)


def _card_or_404(card_id: int) -> RateCard:
    return db.get_or_404(RateCard, card_id)


def _detail_url(card: RateCard) -> str:
    return url_for("ratecards.detail", card_id=card.id)


@bp.route("/")
def index():
    stmt = (
        sa.select(RateCard)
        .options(selectinload(RateCard.created_by), selectinload(RateCard.published_by))
        .order_by(RateCard.version.desc())
    )
    return render_template(
        "ratecards/index.html",
        page=paginate(stmt),
        draft=services.current_draft(),
        published=services.published_rate_card(),
        confirm=ConfirmForm(),
        new_form=NewDraftForm(),
    )


@bp.route("/<int:card_id>")
def detail(card_id: int):
    card = _card_or_404(card_id)
    published = services.published_rate_card()
    compare = request.args.get("compare") == "1" and published is not None and published.id != card.id
    return render_template(
        "ratecards/detail.html",
        card=card,
        data=card.data,
        published=published,
        base=published.data if compare else None,
        compare=compare,
        draft=services.current_draft(),
        consult_lines=describe_consult_tiers((card.data.get("consult_tiers") or {}).get("tiers") or [], _),
        band_lines=describe_band_tiers(card.data.get("band_tiers") or [], _),
        base_consult_lines=describe_consult_tiers(published.data["consult_tiers"]["tiers"], _)
        if compare
        else None,
        base_band_lines=describe_band_tiers(published.data["band_tiers"], _) if compare else None,
        mode_explanations=TIER_MODE_EXPLANATIONS,
        tier_modes=pricing.TIER_MODES,
        platform_codes=PLATFORM_CODES,
        platform_names=PLATFORM_NAMES,
        scope_codes=SCOPE_CODES,
        shift_codes=SHIFT_CODES,
        extra_labels=EXTRA_LABELS,
        confirm=ConfirmForm(),
        new_form=NewDraftForm(),
    )


@bp.route("/new", methods=["POST"])
@roles_required(ADMIN)
def create():
    form = NewDraftForm()
    if not form.validate_on_submit():
        abort(400)
    from_card = None
    if (form.from_id.data or "").strip():
        try:
            from_id = db_int(form.from_id.data)  # a number a database id can be, else 404
        except ValueError:
            abort(404)
        from_card = _card_or_404(from_id)
    return perform(
        lambda: services.create_draft(current_user, from_card=from_card),
        success=lambda card: _("已新建草稿 v%(v)s，请修改价格后发布。", v=card.version),
        back=url_for("ratecards.index"),
        done=lambda card: url_for("ratecards.edit", card_id=card.id),
    )


@bp.route("/load-sample", methods=["POST"])
@roles_required(ADMIN)
def load_sample():
    back = url_for("ratecards.index")
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    return perform(
        lambda: services.load_sample_defaults(current_user),
        success=lambda card: _(
            "已载入示例默认价目表 v%(v)s 并发布。请尽快按本公司实际价格新建草稿修改。", v=card.version
        ),
        back=back,
    )


@bp.route("/<int:card_id>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit(card_id: int):
    card = _card_or_404(card_id)
    if card.status != "draft":
        flash(_("价目表 v%(v)s 不是草稿，不能修改；如需调整请新建草稿。", v=card.version), "warning")
        return redirect(_detail_url(card))
    form = RateCardForm(data=form_data_from_card(card))
    errors: list[str] = []
    if form.validate_on_submit():
        # Not ``perform``: the page lists every problem of the card above the form, not one flash.
        try:
            services.update_draft(
                card, form.card_data(card.data), form.name.data, form.note.data, by=current_user
            )
        except services.RateCardError as exc:  # refused before anything is written
            errors = getattr(exc, "errors", None) or [str(exc)]
        else:
            db.session.commit()
            flash(_("草稿 v%(v)s 已保存。", v=card.version), "success")
            return redirect(_detail_url(card))
    elif form.is_submitted():
        errors = [_("有输入需要修改，见下方标红的字段；草稿未保存。")]
    return render_template(
        "ratecards/edit.html",
        card=card,
        form=form,
        errors=errors,
        scope_codes=SCOPE_CODES,
        shift_codes=SHIFT_CODES,
        extra_labels=EXTRA_LABELS,
    )


@bp.route("/<int:card_id>/publish", methods=["POST"])
@roles_required(ADMIN)
def publish(card_id: int):
    card = _card_or_404(card_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(_detail_url(card))
    return perform(
        lambda: services.publish(card, current_user),
        success=_("价目表 v%(v)s 已发布，新报价将使用它；旧版本已归档，已有报价不受影响。", v=card.version),
        back=_detail_url(card),
    )


@bp.route("/<int:card_id>/discard", methods=["POST"])
@roles_required(ADMIN)
def discard(card_id: int):
    card = _card_or_404(card_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("ratecards.index"))
    version = card.version
    return perform(
        lambda: services.discard_draft(card, current_user),
        success=_("草稿 v%(v)s 已删除。", v=version),
        back=_detail_url(card),
        done=url_for("ratecards.index"),
    )
