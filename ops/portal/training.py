"""The client portal's training pages (routes on the portal blueprint): the client's own
materials with every version (upload a new material or version) and their training sessions;
and the training section of the portal's overview."""

import sqlalchemy as sa
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from ops import hooks
from ops.auth.permissions import get_scoped_or_404
from ops.extensions import db
from ops.portal.views import bp
from ops.timeutil import utcnow
from ops.training import services
from ops.training.downloads import download_version
from ops.training.forms import PortalMaterialForm, VersionForm
from ops.training.models import Material, MaterialVersion, TrainingSession
from ops.training.services import TrainingError
from ops.web import perform


def _training_section() -> dict:
    client_id = current_user.client_id
    upcoming = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TrainingSession)
        .where(
            TrainingSession.client_id == client_id,
            TrainingSession.status == "scheduled",
            TrainingSession.ends_at >= utcnow(),
        )
    )
    materials = db.session.scalar(
        sa.select(sa.func.count()).select_from(Material).where(Material.client_id == client_id)
    )
    return {
        "title": _l("培训"),
        "template": "portal/training_section.html",
        "upcoming": upcoming,
        "materials": materials,
    }


@bp.record_once
def _register_section(state) -> None:
    hooks.register(state.app, hooks.PORTAL_SECTIONS, _training_section)


def _own_material(material_id: int) -> Material:
    """The client's own material; general materials and other clients' are 404 here."""
    return get_scoped_or_404(Material, material_id)


@bp.route("/materials", methods=["GET", "POST"])
def materials():
    if current_user.client_id is None:
        abort(404)
    form = PortalMaterialForm()
    return perform(
        lambda: services.create_material(
            current_user.client_id,
            form.category.data,
            form.title.data,
            form.description.data,
            form.file.data,
            current_user._get_current_object(),
            note=form.note.data or "",
        ),
        form=form,
        success=_("资料已上传，我们的培训师会尽快查看。"),
        back=url_for("portal.materials"),
        render=lambda: _materials_page(form),
    )


def _materials_page(form: PortalMaterialForm):
    items = db.session.scalars(
        sa.select(Material)
        .options(selectinload(Material.versions).joinedload(MaterialVersion.uploaded_by))
        .where(Material.client_id == current_user.client_id)
        .order_by(Material.updated_at.desc(), Material.id.desc())
    ).all()
    return render_template(
        "portal/materials.html",
        materials=items,
        form=form,
        version_form=VersionForm(),
        open_upload=form.is_submitted() or request.args.get("upload") == "1",
    )


@bp.route("/materials/<int:material_id>/versions", methods=["POST"])
def material_add_version(material_id: int):
    material = _own_material(material_id)
    form = VersionForm()

    def add() -> MaterialVersion:
        try:
            return services.add_version(
                material, form.file.data, form.note.data or "", current_user._get_current_object()
            )
        except TrainingError as exc:  # the refusal names the material the client tried to update
            raise TrainingError(
                _("“%(title)s”的新版本未上传：%(reason)s", title=material.title, reason=str(exc))
            ) from exc

    return perform(
        add,
        form=form,
        success=lambda version: _("“%(title)s”已更新为 v%(n)s。", title=material.title, n=version.version),
        back=url_for("portal.materials"),
    )


@bp.route("/materials/<int:material_id>/v<int:version_no>/download")
def material_download(material_id: int, version_no: int):
    return download_version(_own_material(material_id), version_no)


@bp.route("/sessions")
def sessions():
    now = utcnow()
    stmt = (
        sa.select(TrainingSession)
        .options(
            joinedload(TrainingSession.trainer),
            selectinload(TrainingSession.materials),
            selectinload(TrainingSession.invitations),
        )
        .where(TrainingSession.client_id == current_user.client_id)
    )
    upcoming = db.session.scalars(
        stmt.where(TrainingSession.ends_at >= now, TrainingSession.status != "cancelled").order_by(
            TrainingSession.starts_at
        )
    ).all()
    past = db.session.scalars(
        stmt.where(sa.or_(TrainingSession.ends_at < now, TrainingSession.status == "cancelled"))
        .order_by(TrainingSession.starts_at.desc())
        .limit(50)
    ).all()
    return render_template("portal/training_sessions.html", upcoming=upcoming, past=past)
