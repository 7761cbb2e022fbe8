"""Agents: their details and their status (招聘中 → 培训中 → 待上线 → 已上线, or 已离职)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ops import i18n
from ops.audit.services import record, snapshot
from ops.extensions import db
from ops.onboarding.models import AGENT_STATES, Agent
from ops.onboarding.services.common import OnboardingError
from ops.timeutil import today

AGENT_FIELDS = ("name", "employee_no", "phone", "status", "skills", "platforms", "notes")


def _clean_agent(data: dict, agent: Agent | None = None) -> dict:
    values = {
        "name": (data.get("name") or "").strip(),
        "employee_no": (data.get("employee_no") or "").strip(),
        "phone": (data.get("phone") or "").strip(),
        "skills": [s for s in (x.strip() for x in data.get("skills") or []) if s],
        "platforms": list(dict.fromkeys(data.get("platforms") or [])),
        "notes": (data.get("notes") or "").strip(),
    }
    if not values["name"]:
        raise OnboardingError(_("请输入姓名。"), "name")
    if not values["employee_no"]:
        raise OnboardingError(_("请输入工号。"), "employee_no")
    clash = db.session.scalar(
        sa.select(Agent.id).where(sa.func.lower(Agent.employee_no) == values["employee_no"].lower())
    )
    if clash is not None and (agent is None or clash != agent.id):
        raise OnboardingError(_("工号 %(no)s 已被使用。", no=values["employee_no"]), "employee_no")
    return values


def create_agent(data: dict, *, by=None) -> Agent:
    """A new agent (recruiting unless another status is given)."""
    values = _clean_agent(data)
    status = data.get("status") or "recruiting"
    _check_status(status)
    agent = Agent(status=status, **values)
    db.session.add(agent)
    record("agent.created", agent, summary=agent.name, after=snapshot(agent, AGENT_FIELDS), actor=by)
    return agent


def update_agent(agent: Agent, data: dict, *, by=None) -> None:
    """Change the agent's details; a different status goes through ``set_agent_status``."""
    values = _clean_agent(data, agent)
    before = snapshot(agent, AGENT_FIELDS)
    for key, value in values.items():
        setattr(agent, key, value)
    status = data.get("status")
    if status and status != agent.status:
        set_agent_status(agent, status, by=by)
    after = snapshot(agent, AGENT_FIELDS)
    changed = [k for k in AGENT_FIELDS if before[k] != after[k] and k != "status"]
    if changed:
        record(
            "agent.updated",
            agent,
            summary=agent.name,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            actor=by,
        )


def _check_status(status: str) -> None:
    if status not in AGENT_STATES:
        raise OnboardingError(_("未知的客服状态。"), "status")


def _has_live_assignment(agent: Agent, *, on: date | None = None) -> bool:
    on = on or today()
    return any(a.go_live_on is not None and (a.end_on is None or a.end_on > on) for a in agent.assignments)


def set_agent_status(agent: Agent, status: str, *, by=None, reason: str | i18n.LazyText = "") -> bool:
    """Set the agent's status (audited). "已上线" needs a live assignment: going live sets it."""
    _check_status(status)
    if status == agent.status:
        return False
    if status == "live" and not _has_live_assignment(agent):
        raise OnboardingError(_("该客服没有已上线的分配，不能设为“已上线”：请在分配页面办理上线。"), "status")
    before = agent.status
    agent.status = status
    record(
        "agent.status_changed",
        agent,
        summary=reason or f"{agent.name}: {before} -> {status}",
        before={"status": before},
        after={"status": status},
        actor=by,
    )
    return True


def training_summary(agent: Agent) -> dict:
    """The agent's training record: sessions invited to (attendance) and exam attempts."""
    from ops.training.models import ExamAttempt, SessionInvite, TrainingSession

    invites = db.session.scalars(
        sa.select(SessionInvite)
        .options(joinedload(SessionInvite.session).joinedload(TrainingSession.client))
        .where(SessionInvite.agent_id == agent.id)
        .join(TrainingSession, TrainingSession.id == SessionInvite.session_id)
        .order_by(TrainingSession.starts_at.desc())
    ).all()
    attempts = db.session.execute(
        sa.select(ExamAttempt, TrainingSession.title)
        .join(TrainingSession, TrainingSession.id == ExamAttempt.session_id)
        .where(ExamAttempt.agent_id == agent.id)
        .order_by(ExamAttempt.taken_at.desc())
    ).all()
    return {
        "invites": invites,
        "attempts": attempts,
        "attended": sum(1 for i in invites if i.attended),
        "passed": sum(1 for a, _t in attempts if a.passed),
    }
