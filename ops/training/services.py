"""Training actions: versioned materials, sessions, attendance and exam attempts.

Each function checks, writes and audits; the caller commits once. Refused actions raise
``TrainingError`` (a Chinese message for the user) and change nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ops import i18n
from ops.audit.services import record, snapshot
from ops.auth.models import User
from ops.auth.roles import TRAINER
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.errors import ServiceError
from ops.events.services import emit
from ops.extensions import db
from ops.onboarding import checklist_sync
from ops.onboarding.models import Agent
from ops.timeutil import utcnow
from ops.training import rules
from ops.training.models import (
    MATERIAL_CATEGORIES,
    SESSION_MODES,
    ExamAttempt,
    Material,
    MaterialVersion,
    SessionInvite,
    TrainingSession,
)
from ops.uploads import DOCUMENT_KINDS, UploadError, store_upload

MAX_ATTEMPTS_LIMIT = 10
SESSION_FIELDS = (
    "title",
    "client_id",
    "contract_id",
    "mode",
    "trainer_id",
    "starts_at",
    "ends_at",
    "place",
    "meeting_link",
    "has_exam",
    "exam_pass_mark",
    "exam_max_attempts",
    "notes",
)


class TrainingError(ServiceError):
    """A refused training action; the message is for the user."""


# --- materials --------------------------------------------------------------------------------


def _check_material_fields(client_id: int | None, category: str, title: str) -> None:
    if category not in MATERIAL_CATEGORIES:
        raise TrainingError(_("请选择资料类别。"))
    if not (title or "").strip():
        raise TrainingError(_("请输入资料标题。"))
    if len(title.strip()) > 200:
        raise TrainingError(_("资料标题最多 200 字。"))
    if client_id is not None and db.session.get(Client, client_id) is None:
        raise TrainingError(_("所选客户不存在。"))


def _store(file_storage, max_bytes: int | None):
    try:
        return store_upload(file_storage, DOCUMENT_KINDS, max_bytes)
    except UploadError as exc:
        raise TrainingError(str(exc)) from exc


def _new_version(material: Material, stored, note: str, by, number: int) -> MaterialVersion:
    version = MaterialVersion(
        material=material,
        version=number,
        stored_file=stored.stored_name,
        original_name=stored.original_name,
        mimetype=stored.mimetype,
        size=stored.size,
        sha256=stored.sha256,
        note=(note or "").strip()[:300],
        uploaded_at=utcnow(),
        uploaded_by_id=getattr(by, "id", None),
        from_client=bool(getattr(by, "is_client", False)),
    )
    db.session.add(version)
    return version


def create_material(
    client_id: int | None,
    category: str,
    title: str,
    description: str,
    file,
    by,
    *,
    note: str = "",
    max_bytes: int | None = None,
) -> Material:
    """A new material (``client_id`` None = general) with its first upload as version 1.

    A client user's upload is flagged ``from_client`` so staff are told about it. A refused
    upload stores no file and creates nothing.
    """
    _check_material_fields(client_id, category, title)
    if getattr(by, "is_client", False) and client_id != by.client_id:
        raise TrainingError(_("只能为本公司上传资料。"))
    stored = _store(file, max_bytes)
    material = Material(
        client_id=client_id, category=category, title=title.strip(), description=(description or "").strip()
    )
    db.session.add(material)
    version = _new_version(material, stored, note, by, 1)
    db.session.flush()
    record(
        "material.created",
        material,
        summary=f"{material.title} v1 {stored.original_name}",
        after={
            "client_id": client_id,
            "category": category,
            "title": material.title,
            "version": 1,
            "file": stored.original_name,
            "size": stored.size,
            "sha256": stored.sha256,
            "from_client": version.from_client,
        },
        actor=by,
    )
    if version.from_client:
        emit("material.uploaded", material, client_id=client_id, material_id=material.id)
    return material


def add_version(material: Material, file, note: str, by, *, max_bytes: int | None = None) -> MaterialVersion:
    """Upload a new version (numbered after the highest so far); earlier versions are kept."""
    if getattr(by, "is_client", False) and material.client_id != by.client_id:
        raise TrainingError(_("只能为本公司的资料上传新版本。"))
    stored = _store(file, max_bytes)
    latest = (
        db.session.scalar(
            sa.select(sa.func.max(MaterialVersion.version)).where(MaterialVersion.material_id == material.id)
        )
        or 0
    )
    version = _new_version(material, stored, note, by, latest + 1)
    material.updated_at = utcnow()
    db.session.flush()
    record(
        "material.version_added",
        material,
        summary=f"{material.title} v{version.version} {stored.original_name}",
        before={"version": latest},
        after={
            "version": version.version,
            "file": stored.original_name,
            "size": stored.size,
            "sha256": stored.sha256,
            "note": version.note,
            "from_client": version.from_client,
        },
        actor=by,
    )
    if version.from_client:
        emit("material.uploaded", material, client_id=material.client_id, material_id=material.id)
    return version


def mark_client_uploads_seen(material: Material, by) -> int:
    """Staff opened the material: its client uploads no longer notify. Returns how many were new."""
    if getattr(by, "is_client", False):
        return 0
    unseen = [v for v in material.versions if v.from_client and v.seen_at is None]
    if not unseen:
        return 0
    now = utcnow()
    for version in unseen:
        version.seen_at = now
    record(
        "material.client_upload_seen",
        material,
        summary=material.title,
        after={"versions": [v.version for v in unseen]},
        actor=by,
    )
    return len(unseen)


def unseen_client_uploads(limit: int = 10) -> list[MaterialVersion]:
    """Client uploads no staff member has opened yet, newest first."""
    from sqlalchemy.orm import joinedload

    return db.session.scalars(
        sa.select(MaterialVersion)
        .where(MaterialVersion.from_client.is_(True), MaterialVersion.seen_at.is_(None))
        .options(
            joinedload(MaterialVersion.material).joinedload(Material.client),
            joinedload(MaterialVersion.uploaded_by),
        )
        .order_by(MaterialVersion.uploaded_at.desc(), MaterialVersion.id.desc())
        .limit(limit)
    ).all()


# --- sessions ---------------------------------------------------------------------------------


@dataclass
class SessionInput:
    """What a session form says; times are aware UTC."""

    title: str
    mode: str
    trainer_id: int | None
    starts_at: datetime
    ends_at: datetime
    client_id: int | None = None
    contract_id: int | None = None
    place: str = ""
    meeting_link: str = ""
    has_exam: bool = True
    exam_pass_mark: int = 80
    exam_max_attempts: int = 3
    notes: str = ""
    material_ids: list[int] = field(default_factory=list)
    agent_ids: list[int] = field(default_factory=list)


def _check_session(data: SessionInput) -> tuple[list[Material], list[Agent]]:
    """Refuse a session whose fields are wrong; return its materials and invited agents."""
    _check_session_fields(data)
    _check_session_people(data)
    if data.has_exam:
        if not 0 <= data.exam_pass_mark <= 100:
            raise TrainingError(_("及格分须在 0 到 100 之间。"))
        if not 1 <= data.exam_max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise TrainingError(_("考试次数须在 1 到 %(n)s 之间。", n=MAX_ATTEMPTS_LIMIT))
    return _session_materials(data), _session_agents(data)


def _check_session_fields(data: SessionInput) -> None:
    """Title, mode, times, place or link."""
    if not data.title.strip():
        raise TrainingError(_("请输入培训主题。"))
    if data.mode not in SESSION_MODES:
        raise TrainingError(_("请选择培训方式（现场或线上）。"))
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise TrainingError(_("培训时间缺少时区。"))
    if data.ends_at <= data.starts_at:
        raise TrainingError(_("结束时间必须晚于开始时间。"))
    if data.mode == "onsite" and not data.place.strip():
        raise TrainingError(_("现场培训请填写培训地点。"))
    if data.mode == "online" and not data.meeting_link.strip():
        raise TrainingError(_("线上培训请填写会议链接。"))
    if data.meeting_link.strip() and not data.meeting_link.strip().startswith(("https://", "http://")):
        raise TrainingError(_("会议链接须以 http:// 或 https:// 开头。"))


def _check_session_people(data: SessionInput) -> None:
    """The trainer, the client and the contract exist and belong together."""
    trainer = db.session.get(User, data.trainer_id) if data.trainer_id else None
    if trainer is None or trainer.role != TRAINER or not trainer.is_active_user:
        raise TrainingError(_("请选择一位在职的培训师。"))
    if data.client_id is not None and db.session.get(Client, data.client_id) is None:
        raise TrainingError(_("所选客户不存在。"))
    if data.contract_id is not None:
        contract = db.session.get(Contract, data.contract_id)
        if contract is None or contract.client_id != data.client_id:
            raise TrainingError(_("所选合同不属于该客户。"))


def _session_materials(data: SessionInput) -> list[Material]:
    """The chosen materials: each exists and is general or the session's client's."""
    if not data.material_ids:
        return []
    materials = db.session.scalars(sa.select(Material).where(Material.id.in_(set(data.material_ids)))).all()
    if len(materials) != len(set(data.material_ids)):
        raise TrainingError(_("所选资料不存在。"))
    if any(m.client_id is not None and m.client_id != data.client_id for m in materials):
        raise TrainingError(_("只能选择该客户的资料或通用资料。"))
    return list(materials)


def _session_agents(data: SessionInput) -> list[Agent]:
    """The invited agents, each of whom exists."""
    if not data.agent_ids:
        return []
    agents = db.session.scalars(sa.select(Agent).where(Agent.id.in_(set(data.agent_ids)))).all()
    if len(agents) != len(set(data.agent_ids)):
        raise TrainingError(_("所选客服不存在。"))
    return list(agents)


def _session_values(data: SessionInput) -> dict:
    values = {name: getattr(data, name) for name in SESSION_FIELDS}
    values["title"] = data.title.strip()
    values["place"] = data.place.strip()
    values["meeting_link"] = data.meeting_link.strip()
    values["notes"] = (data.notes or "").strip()
    if not data.has_exam:  # the exam settings keep their defaults when there is no exam
        values["exam_pass_mark"] = min(max(data.exam_pass_mark, 0), 100)
        values["exam_max_attempts"] = min(max(data.exam_max_attempts, 1), MAX_ATTEMPTS_LIMIT)
    return values


def _session_snapshot(session: TrainingSession) -> dict:
    values = snapshot(session, SESSION_FIELDS + ("status",))
    values["materials"] = sorted(m.id for m in session.materials)
    values["agents"] = sorted(i.agent_id for i in session.invitations)
    return values


def schedule_session(data: SessionInput, by) -> TrainingSession:
    """A new scheduled session with its materials and invited agents (agents who left are refused)."""
    materials, agents = _check_session(data)
    left = [a.name for a in agents if a.status == "left"]
    if left:
        raise TrainingError(_("已离职的客服不能邀请：%(names)s。", names="、".join(left)))
    session = TrainingSession(status="scheduled", **_session_values(data))
    session.materials = list(materials)
    session.invitations = [SessionInvite(agent_id=a.id) for a in agents]
    db.session.add(session)
    db.session.flush()
    record(
        "training_session.scheduled",
        session,
        summary=session.title,
        after=_session_snapshot(session),
        actor=by,
    )
    return session


def update_session(session: TrainingSession, data: SessionInput, by) -> TrainingSession:
    """Change a scheduled session. Invitations with attendance or exam records cannot be withdrawn;
    newly invited agents must not have left."""
    if session.status != "scheduled":
        raise TrainingError(_("只有“已安排”的培训可以修改。"))
    materials, agents = _check_session(data)
    before = _session_snapshot(session)
    wanted = {a.id for a in agents}
    current = {i.agent_id: i for i in session.invitations}
    newly_left = [a.name for a in agents if a.id not in current and a.status == "left"]
    if newly_left:
        raise TrainingError(_("已离职的客服不能邀请：%(names)s。", names="、".join(newly_left)))
    tested = set(
        db.session.scalars(sa.select(ExamAttempt.agent_id).where(ExamAttempt.session_id == session.id))
    )
    for agent_id, invite in current.items():
        if agent_id not in wanted and (invite.attended is not None or agent_id in tested):
            raise TrainingError(_("%(name)s 已有出勤或考试记录，不能取消邀请。", name=invite.agent.name))
    for name, value in _session_values(data).items():
        setattr(session, name, value)
    session.materials = list(materials)
    for agent_id, invite in current.items():
        if agent_id not in wanted:
            session.invitations.remove(invite)
    for agent in agents:
        if agent.id not in current:
            session.invitations.append(SessionInvite(agent_id=agent.id))
    db.session.flush()
    after = _session_snapshot(session)
    changed = {k for k in after if before.get(k) != after[k]}
    record(
        "training_session.updated",
        session,
        summary=session.title,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        actor=by,
    )
    return session


def _check_recordable(session: TrainingSession) -> None:
    if session.status == "cancelled":
        raise TrainingError(_("培训已取消，不能记录出勤或考试。"))
    if session.starts_at > utcnow():
        raise TrainingError(_("培训尚未开始，不能记录出勤或考试。"))


def _sync_checklists(agent_ids) -> None:
    db.session.flush()
    for agent_id in sorted(set(agent_ids)):
        checklist_sync.apply_training_facts(agent_id)


def record_attendance(session: TrainingSession, attended: dict[int, bool], by) -> int:
    """Record attended yes/no for invited agents ({agent_id: bool}). Returns how many changed.

    An agent with exam attempts in the session cannot be marked absent.
    """
    _check_recordable(session)
    invites = {i.agent_id: i for i in session.invitations}
    unknown = set(attended) - set(invites)
    if unknown:
        raise TrainingError(_("只能为受邀的客服记录出勤。"))
    tested = set(
        db.session.scalars(sa.select(ExamAttempt.agent_id).where(ExamAttempt.session_id == session.id))
    )
    for agent_id, value in attended.items():
        if not value and agent_id in tested:
            raise TrainingError(_("%(name)s 已有考试记录，不能记为缺席。", name=invites[agent_id].agent.name))
    before, after = {}, {}
    now = utcnow()
    for agent_id, value in attended.items():
        invite = invites[agent_id]
        if invite.attended is not bool(value):
            before[str(agent_id)] = invite.attended
            after[str(agent_id)] = bool(value)
            invite.attended = bool(value)
            invite.recorded_at = now
    if after:
        present = sum(1 for i in invites.values() if i.attended)
        record(
            "training_session.attendance_recorded",
            session,
            summary=i18n._l("%(present)s/%(total)s 人出勤", present=present, total=len(invites)),
            before=before,
            after=after,
            actor=by,
        )
    _sync_checklists(attended)
    return len(after)


def _refusal_message(reason: str, name: str, max_attempts: int) -> str:
    messages = {
        rules.NO_EXAM: _("本场培训没有考试。"),
        rules.SCORE_OUT_OF_RANGE: _("分数须在 0 到 100 之间。"),
        rules.NOT_ATTENDED: _("%(name)s 未记录出勤，不能参加考试；请先记录出勤。", name=name),
        rules.ALREADY_PASSED: _("%(name)s 已通过考试，不需要再考。", name=name),
        rules.NO_ATTEMPTS_LEFT: _("%(name)s 已用完全部 %(max)s 次考试机会。", name=name, max=max_attempts),
    }
    return messages[reason]


def agent_scores(session_id: int, agent_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(ExamAttempt.score)
            .where(ExamAttempt.session_id == session_id, ExamAttempt.agent_id == agent_id)
            .order_by(ExamAttempt.attempt_no)
        )
    )


def record_exam_attempt(session: TrainingSession, agent: Agent, score: int, by) -> ExamAttempt:
    """The agent's next exam attempt (number = previous + 1; passed = score >= pass mark).

    Refused when the session has no exam, the agent did not attend, already passed, or has used
    every attempt.
    """
    _check_recordable(session)
    invite = next((i for i in session.invitations if i.agent_id == agent.id), None)
    if invite is None:
        raise TrainingError(_("%(name)s 未受邀参加本场培训。", name=agent.name))
    scores = agent_scores(session.id, agent.id)
    reason = rules.exam_refusal(
        has_exam=session.has_exam,
        attended=invite.attended,
        scores=scores,
        pass_mark=session.exam_pass_mark,
        max_attempts=session.exam_max_attempts,
        score=score,
    )
    if reason:
        raise TrainingError(_refusal_message(reason, agent.name, session.exam_max_attempts))
    attempt = ExamAttempt(
        session_id=session.id,
        agent_id=agent.id,
        attempt_no=len(scores) + 1,
        score=score,
        passed=score >= session.exam_pass_mark,
        taken_at=utcnow(),
        recorded_by_id=getattr(by, "id", None),
    )
    db.session.add(attempt)
    db.session.flush()
    record(
        "training_session.exam_recorded",
        session,
        summary=i18n._l(
            "%(name)s 第 %(n)s 次考试 %(score)s 分", name=agent.name, n=attempt.attempt_no, score=score
        ),
        after={
            "agent_id": agent.id,
            "attempt_no": attempt.attempt_no,
            "score": score,
            "passed": attempt.passed,
        },
        actor=by,
    )
    _sync_checklists([agent.id])
    return attempt


def complete_session(session: TrainingSession, by) -> None:
    """scheduled -> done, once the session has started."""
    if session.status != "scheduled":
        raise TrainingError(_("只有“已安排”的培训可以标记为已完成。"))
    if session.starts_at > utcnow():
        raise TrainingError(_("培训尚未开始，不能标记为已完成。"))
    session.status = "done"
    record(
        "training_session.completed",
        session,
        summary=session.title,
        before={"status": "scheduled"},
        after={"status": "done"},
        actor=by,
    )


def cancel_session(session: TrainingSession, by) -> None:
    """scheduled -> cancelled; a session with attendance or exam records cannot be cancelled."""
    if session.status != "scheduled":
        raise TrainingError(_("只有“已安排”的培训可以取消。"))
    has_records = any(i.attended is not None for i in session.invitations) or db.session.scalar(
        sa.select(sa.func.count()).select_from(ExamAttempt).where(ExamAttempt.session_id == session.id)
    )
    if has_records:
        raise TrainingError(_("已记录出勤或考试的培训不能取消。"))
    session.status = "cancelled"
    record(
        "training_session.cancelled",
        session,
        summary=session.title,
        before={"status": "scheduled"},
        after={"status": "cancelled"},
        actor=by,
    )


# --- facts for other modules ------------------------------------------------------------------


def agent_facts(agent_id: int, client_id: int | None = None) -> tuple[bool, bool]:
    """(attended_any, passed_exam) of an agent, over sessions that were not cancelled; limited to
    one client's sessions when ``client_id`` is given. For the go-live checklist."""
    session_filter = [TrainingSession.status != "cancelled"]
    if client_id is not None:
        session_filter.append(TrainingSession.client_id == client_id)
    invites = db.session.scalars(
        sa.select(SessionInvite.attended)
        .join(SessionInvite.session)
        .where(SessionInvite.agent_id == agent_id, *session_filter)
    )
    attempts = db.session.scalars(
        sa.select(ExamAttempt.passed)
        .join(TrainingSession, ExamAttempt.session_id == TrainingSession.id)
        .where(ExamAttempt.agent_id == agent_id, *session_filter)
    )
    return rules.agent_training_facts(list(invites), list(attempts))
