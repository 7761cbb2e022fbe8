"""A client's needs (需求): a new version, and the history of versions with what changed."""

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ops.auth.permissions import roles_required
from ops.clients import services
from ops.clients.constants import CATEGORIES, COMPLEXITY_LEVELS, NEEDS_FIELDS, PLATFORMS
from ops.clients.forms import NeedsForm
from ops.clients.models import Client, Needs
from ops.clients.plan import diff_needs
from ops.clients.views.common import EDITORS, bp, is_editor, load_client, select
from ops.extensions import db
from ops.web import perform

# Fields copied from the current version into the form as they are (the rest are converted).
_PLAIN_FIELDS = (
    "platform",
    "scope",
    "shifts",
    "avg_daily_consults",
    "peak_daily_consults",
    "aht_seconds",
    "concurrency",
    "sl_answer_seconds",
    "category",
    "complexity",
    "sku_count",
    "special_requirements",
)


def _needs_form(client: Client, current: Needs | None) -> NeedsForm:
    """The needs form, prefilled from the current version on GET."""
    form = NeedsForm()
    own = client.platforms
    form.platform.choices = select([(p, PLATFORMS[p]) for p in own]) + select(
        (p, _("%(platform)s（未登记店铺）", platform=label)) for p, label in PLATFORMS.items() if p not in own
    )
    if request.method != "GET":
        return form
    if current is not None:
        for field in _PLAIN_FIELDS:
            getattr(form, field).data = getattr(current, field)
        for field in ("peak_hour_share", "sl_target", "inquiry_conversion"):
            getattr(form, field).data = getattr(current, f"{field}_bp")  # basis points, shown as percent
        form.avg_order_value.data = current.avg_order_value_fen  # fen, shown in yuan
    else:
        form.platform.data = own[0] if own else "tmall"
        form.category.data = client.category if client.category in CATEGORIES else ""
        form.shifts.data = ["day"]
    return form


@bp.route("/<int:client_id>/needs/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def needs_new(client_id: int):
    client = load_client(client_id)
    current = services.current_needs(client.id)
    form = _needs_form(client, current)
    return perform(
        lambda: services.record_needs(client, form.needs_data(), by=current_user),
        form=form,
        success=lambda needs: _("需求已保存为第 %(v)s 版。", v=needs.version),
        back=url_for("clients.needs_history", client_id=client.id),
        render=lambda: render_template(
            "clients/needs_form.html",
            form=form,
            client=client,
            current=current,
            complexity_levels=COMPLEXITY_LEVELS,
        ),
    )


@bp.route("/<int:client_id>/needs")
def needs_history(client_id: int):
    client = load_client(client_id)
    versions = db.session.scalars(
        sa.select(Needs)
        .where(Needs.client_id == client.id)
        .options(joinedload(Needs.created_by))
        .order_by(Needs.version.desc())
    ).all()
    changes = {}
    for newer, older in zip(versions, versions[1:], strict=False):
        changes[newer.id] = diff_needs(services.needs_values(older), services.needs_values(newer))
    return render_template(
        "clients/needs_history.html",
        client=client,
        versions=versions,
        changes=changes,
        fields=NEEDS_FIELDS,
        can_edit=is_editor(),
    )
