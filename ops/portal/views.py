"""The client portal: a client user sees only their own company's records."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ops import hooks
from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint
from ops.auth.roles import CLIENT
from ops.clients.constants import STAGES
from ops.extensions import db
from ops.quotes import documents as quote_documents
from ops.quotes import services as quote_services
from ops.quotes.forms import DecisionForm
from ops.quotes.models import Quote
from ops.quotes.states import STATE_BADGES
from ops.timeutil import today
from ops.web import perform, send_document

bp = Blueprint("portal", __name__, url_prefix="/portal")
require_roles_for_blueprint(bp, CLIENT)


@bp.context_processor
def quote_labels():
    return {"state_badges": STATE_BADGES}


def _quotes_section() -> dict:
    awaiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Quote)
        .where(
            Quote.client_id == current_user.client_id, Quote.status == "sent", Quote.valid_until >= today()
        )
    )
    return {"title": _l("报价单"), "template": "portal/_section_quotes.html", "awaiting": awaiting}


def portal_sections() -> list[dict]:
    """The overview's sections: quotes here; later modules register more (contracts, invoices)
    on ``hooks.PORTAL_SECTIONS``, each returning a dict with a title and a template."""
    sections = [_quotes_section()]
    for provider in hooks.providers(hooks.PORTAL_SECTIONS):
        section = provider()
        if section:
            sections.append(section)
    return sections


@bp.route("/")
def index():
    client = current_user.client
    if client is None:
        abort(404)
    return render_template(
        "portal/index.html",
        client=client,
        stage_label=STAGES.get(client.stage, client.stage),
        sections=portal_sections(),
    )


def _load_quote(quote_id: int) -> Quote:
    """The client's own quote, and only one that was sent to them (never a draft, nor a version
    replaced by a newer one)."""
    quote = get_scoped_or_404(Quote, quote_id)
    if not quote_services.is_client_visible(quote):
        abort(404)
    return quote


@bp.route("/quotes")
def quotes():
    items = db.session.scalars(
        sa.select(Quote)
        .where(Quote.client_id == current_user.client_id, quote_services.client_visible_clause())
        .order_by(Quote.sent_at.desc(), Quote.id.desc())
    ).all()
    return render_template("portal/quotes.html", quotes=items, today=today())


@bp.route("/quotes/<int:quote_id>")
def quote_detail(quote_id: int):
    quote = _load_quote(quote_id)
    return render_template(
        "portal/quote_detail.html",
        quote=quote,
        form=DecisionForm(),
        may_answer=quote_services.client_may_answer(quote),
        needs=quote_services.needs_summary(quote.needs, _),
    )


@bp.route("/quotes/<int:quote_id>/pdf")
def quote_pdf(quote_id: int):
    quote = _load_quote(quote_id)
    return send_document(
        quote_documents.render_pdf(quote), quote_documents.pdf_filename(quote), "application/pdf"
    )


def _answer(quote_id: int, action, success: str):
    """The client's answer to a quote; one found expired stays marked expired (a warning)."""
    quote = _load_quote(quote_id)
    back = url_for("portal.quote_detail", quote_id=quote.id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("意见最多 1000 字。"), "danger")
        return redirect(back)
    return perform(
        lambda: action(quote, current_user._get_current_object(), form.comment.data),
        success=success,
        back=back,
    )


@bp.route("/quotes/<int:quote_id>/accept", methods=["POST"])
def quote_accept(quote_id: int):
    return _answer(quote_id, quote_services.accept_quote, _("您已接受该报价，我们会尽快与您联系签订合同。"))


@bp.route("/quotes/<int:quote_id>/reject", methods=["POST"])
def quote_reject(quote_id: int):
    return _answer(quote_id, quote_services.reject_quote, _("您已拒绝该报价，感谢反馈。"))
