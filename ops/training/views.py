"""Staff training pages: materials (versioned), sessions with attendance and exams, platform rules."""

from collections import defaultdict

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from ops import hooks, vocab
from ops.auth.models import User
from ops.auth.permissions import get_scoped_or_404, require_roles_for_blueprint, roles_required
from ops.auth.roles import ADMIN, MANAGER, SALES, TRAINER
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.onboarding.models import Agent, PlatformRule
from ops.timeutil import utcnow
from ops.training import rules, services
from ops.training.downloads import download_version
from ops.training.forms import AttendanceForm, ExamForm, MaterialForm, SessionForm, VersionForm
from ops.training.labels import CATEGORY_LABELS, STATUS_BADGES, STATUS_LABELS
from ops.training.models import (
    MATERIAL_CATEGORIES,
    SESSION_STATES,
    ExamAttempt,
    Material,
    MaterialVersion,
    SessionInvite,
    TrainingSession,
)
from ops.training.services import TrainingError
from ops.urls import db_int
from ops.web import label, paginate, perform

bp = Blueprint("training", __name__, url_prefix="/training")
require_roles_for_blueprint(bp, ADMIN, MANAGER, TRAINER, SALES)

WRITERS = (ADMIN, MANAGER, TRAINER)  # sales read only
READERS = (ADMIN, MANAGER, TRAINER, SALES)
OPEN_CONTRACT_STATES = ("draft", "pending_signature", "active")


@bp.record_once
def _template_labels(state):
    # Globals (not a context processor) so imported macros (training/_macros.html) see them too.
    state.app.jinja_env.globals.update(
        training_categories=CATEGORY_LABELS,
        training_statuses=STATUS_LABELS,
        training_badges=STATUS_BADGES,
    )


@bp.record_once
def _register_hooks(state) -> None:
    """The staff dashboard's "客户新上传的资料" panel (the portal registers its own training section)."""
    hooks.register(state.app, hooks.DASHBOARD_PANELS, _dashboard_panel)


def _can_write() -> bool:
    return current_user.role in WRITERS


def _user():
    return current_user._get_current_object()


def _clients() -> list[Client]:
    return db.session.scalars(sa.select(Client).order_by(Client.name)).all()


# --- overview -----------------------------------------------------------------------------------


@bp.route("/")
def index():
    now = utcnow()
    with_people = (
        joinedload(TrainingSession.client),
        joinedload(TrainingSession.trainer),
        selectinload(TrainingSession.invitations),
    )
    upcoming = db.session.scalars(
        sa.select(TrainingSession)
        .options(*with_people)
        .where(TrainingSession.status == "scheduled", TrainingSession.ends_at >= now)
        .order_by(TrainingSession.starts_at)
        .limit(8)
    ).all()
    awaiting = db.session.scalars(
        sa.select(TrainingSession)
        .options(*with_people)
        .where(TrainingSession.status == "scheduled", TrainingSession.ends_at < now)
        .order_by(TrainingSession.starts_at.desc())
        .limit(8)
    ).all()
    recent = db.session.scalars(
        sa.select(Material)
        .options(joinedload(Material.client), selectinload(Material.versions))
        .order_by(Material.updated_at.desc(), Material.id.desc())
        .limit(8)
    ).all()
    return render_template(
        "training/index.html",
        upcoming=upcoming,
        awaiting=awaiting,
        recent=recent,
        unseen=services.unseen_client_uploads(10),
        can_write=_can_write(),
    )


# --- materials ----------------------------------------------------------------------------------


def _load_material(material_id: int) -> Material:
    return get_scoped_or_404(Material, material_id)


@bp.route("/materials")
def materials():
    q = request.args.get("q", "").strip()
    client = request.args.get("client", "")
    category = request.args.get("category", "")
    stmt = sa.select(Material).options(joinedload(Material.client), selectinload(Material.versions))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(Material.title.ilike(like), Material.description.ilike(like)))
    if client == "general":
        stmt = stmt.where(Material.client_id.is_(None))
    elif client.isdigit():
        stmt = stmt.where(Material.client_id == int(client))
    if category in MATERIAL_CATEGORIES:
        stmt = stmt.where(Material.category == category)
    stmt = stmt.order_by(Material.updated_at.desc(), Material.id.desc())
    page = paginate(stmt, per_page=25)
    return render_template(
        "training/materials.html",
        page=page,
        q=q,
        client=client,
        category=category,
        clients=_clients(),
        can_write=_can_write(),
    )


@bp.route("/materials/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def material_new():
    form = MaterialForm(clients=_clients())
    if request.method == "GET":
        form.client_id.data = request.args.get("client_id", 0, type=db_int)
    return perform(
        lambda: services.create_material(
            form.client_id.data or None,
            form.category.data,
            form.title.data,
            form.description.data,
            form.file.data,
            _user(),
            note=form.note.data or "",
        ),
        form=form,
        success=_("资料已上传（版本 1）。"),
        back=url_for("training.materials"),
        done=lambda material: url_for("training.material_detail", material_id=material.id),
        render=lambda: render_template("training/material_form.html", form=form),
    )


@bp.route("/materials/<int:material_id>")
def material_detail(material_id: int):
    material = _load_material(material_id)
    if services.mark_client_uploads_seen(material, _user()):
        db.session.commit()
    versions = db.session.scalars(
        sa.select(MaterialVersion)
        .options(joinedload(MaterialVersion.uploaded_by))
        .where(MaterialVersion.material_id == material.id)
        .order_by(MaterialVersion.version.desc())
    ).all()
    sessions = db.session.scalars(
        sa.select(TrainingSession)
        .where(TrainingSession.materials.any(Material.id == material.id))
        .order_by(TrainingSession.starts_at.desc())
        .limit(10)
    ).all()
    return render_template(
        "training/material_detail.html",
        material=material,
        versions=versions,
        sessions=sessions,
        form=VersionForm(),
        can_write=_can_write(),
    )


@bp.route("/materials/<int:material_id>/versions", methods=["POST"])
@roles_required(*WRITERS)
def material_add_version(material_id: int):
    material = _load_material(material_id)
    form = VersionForm()
    return perform(
        lambda: services.add_version(material, form.file.data, form.note.data or "", _user()),
        form=form,
        success=lambda version: _("已上传新版本 v%(n)s，旧版本仍保留。", n=version.version),
        back=url_for("training.material_detail", material_id=material.id),
    )


@bp.route("/materials/<int:material_id>/v<int:version_no>/download")
def material_download(material_id: int, version_no: int):
    return download_version(_load_material(material_id), version_no)


# --- sessions -----------------------------------------------------------------------------------


def _load_session(session_id: int) -> TrainingSession:
    return get_scoped_or_404(TrainingSession, session_id)


def _trainers() -> list[User]:
    return db.session.scalars(
        sa.select(User).where(User.role == TRAINER, User.is_active_user.is_(True)).order_by(User.display_name)
    ).all()


@bp.route("/sessions")
def sessions():
    when = request.args.get("when", "upcoming")
    client_id = request.args.get("client_id", type=db_int)
    trainer_id = request.args.get("trainer_id", type=db_int)
    status = request.args.get("status", "")
    now = utcnow()
    stmt = sa.select(TrainingSession).options(
        joinedload(TrainingSession.client),
        joinedload(TrainingSession.trainer),
        selectinload(TrainingSession.invitations),
    )
    if when == "past":
        stmt = stmt.where(TrainingSession.ends_at < now).order_by(TrainingSession.starts_at.desc())
    else:
        when = "upcoming"
        stmt = stmt.where(TrainingSession.ends_at >= now).order_by(TrainingSession.starts_at)
    if client_id:
        stmt = stmt.where(TrainingSession.client_id == client_id)
    if trainer_id:
        stmt = stmt.where(TrainingSession.trainer_id == trainer_id)
    if status in SESSION_STATES:
        stmt = stmt.where(TrainingSession.status == status)
    page = paginate(stmt.order_by(TrainingSession.id), per_page=25)
    trainers = db.session.scalars(
        sa.select(User).where(User.role == TRAINER).order_by(User.display_name)
    ).all()
    return render_template(
        "training/sessions.html",
        page=page,
        when=when,
        client_id=client_id,
        trainer_id=trainer_id,
        status=status,
        clients=_clients(),
        trainers=trainers,
        can_write=_can_write(),
    )


def _session_form(session: TrainingSession | None = None) -> SessionForm:
    form = SessionForm()
    contracts = db.session.scalars(
        sa.select(Contract)
        .options(joinedload(Contract.client))
        .where(
            sa.or_(
                Contract.status.in_(OPEN_CONTRACT_STATES),
                Contract.id == (session.contract_id if session and session.contract_id else -1),
            )
        )
        .order_by(Contract.client_id, Contract.id)
    ).all()
    trainers = _trainers()
    if session is not None and session.trainer is not None and session.trainer not in trainers:
        trainers.append(session.trainer)
    invited = [i.agent_id for i in session.invitations] if session is not None else []
    agents = db.session.scalars(
        sa.select(Agent).where(sa.or_(Agent.status != "left", Agent.id.in_(invited))).order_by(Agent.name)
    ).all()
    materials = db.session.scalars(
        sa.select(Material)
        .options(joinedload(Material.client))
        .order_by(Material.client_id.is_not(None), Material.client_id, Material.category, Material.title)
    ).all()
    form.set_choices(
        clients=_clients(), contracts=contracts, trainers=trainers, materials=materials, agents=agents
    )
    return form


def _save_session(form: SessionForm, session: TrainingSession | None, template_args: dict):
    def save() -> TrainingSession:
        if session is None:
            return services.schedule_session(form.to_input(), _user())
        return services.update_session(session, form.to_input(), _user())

    def page():
        error = _("请检查下面标红的项目。") if form.errors else None
        return render_template("training/session_form.html", form=form, error=error, **template_args)

    return perform(
        save,
        form=form,
        success=_("培训已保存。"),
        back=url_for("training.sessions"),
        done=lambda saved: url_for("training.session_detail", session_id=saved.id),
        render=page,
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def session_new():
    form = _session_form()
    if request.method == "GET":
        form.client_id.data = request.args.get("client_id", 0, type=db_int)
        if current_user.role == TRAINER:
            form.trainer_id.data = current_user.id
    return _save_session(form, None, {"session": None})


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def session_edit(session_id: int):
    session = _load_session(session_id)
    if session.status != "scheduled":
        flash(_("只有“已安排”的培训可以修改。"), "warning")
        return redirect(url_for("training.session_detail", session_id=session.id))
    form = _session_form(session)
    if request.method == "GET":
        form.load(session)
    return _save_session(form, session, {"session": session})


@bp.route("/sessions/<int:session_id>")
def session_detail(session_id: int):
    session = _load_session(session_id)
    invites = db.session.scalars(
        sa.select(SessionInvite)
        .options(joinedload(SessionInvite.agent))
        .where(SessionInvite.session_id == session.id)
    ).all()
    invites = sorted(invites, key=lambda i: (i.agent.name, i.agent_id))
    attempts = defaultdict(list)
    for attempt in db.session.scalars(
        sa.select(ExamAttempt).where(ExamAttempt.session_id == session.id).order_by(ExamAttempt.attempt_no)
    ):
        attempts[attempt.agent_id].append(attempt)
    exam = {}
    for invite in invites:
        scores = [a.score for a in attempts[invite.agent_id]]
        passed = rules.has_passed(scores, session.exam_pass_mark)
        left = rules.attempts_left(session.exam_max_attempts, len(scores))
        exam[invite.agent_id] = {
            "passed": passed,
            "left": left,
            "can_try": invite.attended is True and not passed and left > 0,
        }
    exam_form = ExamForm()
    exam_form.agent_id.choices = [
        SelectChoice(i.agent_id, i.agent.name) for i in invites if exam[i.agent_id]["can_try"]
    ]
    return render_template(
        "training/session_detail.html",
        session=session,
        invites=invites,
        attempts=attempts,
        exam=exam,
        attendance_form=AttendanceForm(),
        exam_form=exam_form,
        confirm=ConfirmForm(),
        can_write=_can_write(),
        started=session.starts_at <= utcnow(),
    )


def _session_url(session: TrainingSession) -> str:
    return url_for("training.session_detail", session_id=session.id)


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@roles_required(*WRITERS)
def session_attendance(session_id: int):
    session = _load_session(session_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        flash(_("出勤表单无效，请刷新页面后重试。"), "danger")
        return redirect(_session_url(session))
    present = set(form.attended.data or [])
    attended = {invite.agent_id: invite.agent_id in present for invite in session.invitations}
    return perform(
        lambda: services.record_attendance(session, attended, _user()),
        success=_("出勤已保存。"),
        back=_session_url(session),
    )


@bp.route("/sessions/<int:session_id>/exam", methods=["POST"])
@roles_required(*WRITERS)
def session_exam(session_id: int):
    session = _load_session(session_id)
    form = ExamForm()

    def record() -> str:
        agent = db.session.get(Agent, form.agent_id.data)
        if agent is None:
            raise TrainingError(_("请选择客服。"))
        attempt = services.record_exam_attempt(session, agent, form.score.data, _user())
        outcome = _("通过") if attempt.passed else _("未通过")
        return _(
            "已记录：%(name)s 第 %(n)s 次考试 %(score)s 分，%(outcome)s。",
            name=agent.name,
            n=attempt.attempt_no,
            score=attempt.score,
            outcome=outcome,
        )

    return perform(record, form=form, success=lambda message: message, back=_session_url(session))


@bp.route("/sessions/<int:session_id>/complete", methods=["POST"])
@roles_required(*WRITERS)
def session_complete(session_id: int):
    session = _load_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return perform(
        lambda: services.complete_session(session, _user()),
        success=_("培训已标记为完成。"),
        back=_session_url(session),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@roles_required(*WRITERS)
def session_cancel(session_id: int):
    session = _load_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return perform(
        lambda: services.cancel_session(session, _user()),
        success=_("培训已取消。"),
        back=_session_url(session),
    )


# --- platform rules (read only here; maintained on the onboarding pages) ------------------------


def grouped_platform_rules() -> list[tuple[str, str, list[PlatformRule]]]:
    """[(platform code, label, rules)] in the usual platform order, unknown platforms last."""
    rows = db.session.scalars(sa.select(PlatformRule).order_by(PlatformRule.position, PlatformRule.id)).all()
    groups = defaultdict(list)
    for row in rows:
        groups[row.platform].append(row)
    order = list(vocab.PLATFORM_CODES) + sorted(p for p in groups if p not in vocab.PLATFORMS)
    return [(code, label("platform", code), groups[code]) for code in order if groups.get(code)]


@bp.route("/platform-rules")
def platform_rules():
    return render_template("training/platform_rules.html", groups=grouped_platform_rules())


# --- contributions to other pages ---------------------------------------------------------------


def _dashboard_panel():
    """Staff dashboard: client uploads nobody has opened yet."""
    if not current_user.is_authenticated or current_user.role not in READERS:
        return None
    items = services.unseen_client_uploads(8)
    if not items:
        return None
    return {"title": _l("客户新上传的资料"), "template": "training/_panel.html", "items": items}
