"""Assignments: an agent on a client's contract, from creation through go-live to its end.

An action that checks state and then writes locks its rows first, in the order contract →
assignment → checklist item → agent → client, and checks under the lock (docs/architecture.md,
"Locks and check-then-write").
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ops.audit.services import record
from ops.clients import services as client_services
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.extensions import db
from ops.onboarding import checklist
from ops.onboarding.models import SCOPES, SHIFTS, Agent, Assignment, ChecklistItem
from ops.onboarding.services.agents import _has_live_assignment, set_agent_status
from ops.onboarding.services.checklists import ensure_default_template, gate
from ops.onboarding.services.common import (
    ASSIGNABLE_CONTRACT_STATES,
    GATE_OVERRIDERS,
    WRITERS,
    GoLiveRefused,
    OnboardingError,
    _check_role,
)
from ops.timeutil import today
from ops.transactions import lock_row


def assignable_contracts():
    """Contracts agents may be assigned to (active or awaiting signature), newest first."""
    return db.session.scalars(
        sa.select(Contract)
        .options(joinedload(Contract.client))
        .where(Contract.status.in_(ASSIGNABLE_CONTRACT_STATES))
        .order_by(Contract.start_on.desc(), Contract.id.desc())
    ).all()


def _check_dates(contract: Contract, **dates) -> None:
    problems = checklist.date_problems(contract.start_on, contract.end_on, **dates)
    if problems:
        field, message = next(iter(problems.items()))
        raise OnboardingError(message, field)


def create_assignment(
    agent: Agent, contract: Contract, *, scope: str, shift: str, planned_go_live_on: date | None, by=None
) -> Assignment:
    """Put an agent on a contract with a checklist copied from the default template.

    A recruiting agent moves to training; the client moves to the onboarding stage. The contract
    and the agent are locked first, so a contract terminated or an agent leaving at the same moment
    is seen.
    """
    contract = lock_row(Contract, contract.id)
    agent = lock_row(Agent, agent.id)
    if contract.status not in ASSIGNABLE_CONTRACT_STATES:
        raise OnboardingError(_("只能分配到已生效或待签署的合同。"), "contract_id")
    if agent.status == "left":
        raise OnboardingError(_("已离职的客服不能再分配。"), "agent_id")
    if scope not in SCOPES:
        raise OnboardingError(_("请选择服务范围。"), "scope")
    if shift not in SHIFTS:
        raise OnboardingError(_("请选择班次。"), "shift")
    _check_dates(contract, planned_go_live_on=planned_go_live_on)
    template = ensure_default_template()
    assignment = Assignment(
        agent=agent,
        contract_id=contract.id,
        client_id=contract.client_id,
        scope=scope,
        shift=shift,
        planned_go_live_on=planned_go_live_on,
    )
    db.session.add(assignment)
    for t in template.items:
        assignment.items.append(
            ChecklistItem(
                position=t.position,
                title=t.title,
                category=t.category,
                required=t.required,
                needs_verification=t.needs_verification,
                evidence_note=t.evidence_note,
                auto_rule=t.auto_rule,
            )
        )
    record(
        "assignment.created",
        assignment,
        summary=f"{agent.name} -> {contract.number or contract.id}",
        after={
            "agent_id": agent.id,
            "contract_id": contract.id,
            "scope": scope,
            "shift": shift,
            "planned_go_live_on": planned_go_live_on,
            "items": len(assignment.items),
        },
        actor=by,
    )
    if agent.status == "recruiting":
        set_agent_status(agent, "training", by=by, reason=_("已分配到客户，进入培训"))
    client = db.session.get(Client, contract.client_id)
    client_services.advance_stage(
        client, "onboarding", reason=_("客服 %(n)s 已分配，开始培训上线", n=agent.name)
    )
    db.session.flush()
    from ops.onboarding.checklist_sync import apply_training_facts

    apply_training_facts(agent.id)  # training the agent already did for this client counts
    return assignment


def _lock_assignment(assignment: Assignment) -> Assignment:
    """The assignment (with its checklist items) re-read under its row lock."""
    return lock_row(Assignment, assignment.id, selectinload(Assignment.items))


def update_planned_go_live(assignment: Assignment, planned_go_live_on: date | None, *, by=None) -> None:
    assignment = _lock_assignment(assignment)
    if assignment.go_live_on is not None:
        raise OnboardingError(_("已上线的分配不能再修改计划上线日期。"), "planned_go_live_on")
    _check_dates(assignment.contract, planned_go_live_on=planned_go_live_on)
    before = assignment.planned_go_live_on
    assignment.planned_go_live_on = planned_go_live_on
    record(
        "assignment.planned_changed",
        assignment,
        before={"planned_go_live_on": before},
        after={"planned_go_live_on": planned_go_live_on},
        actor=by,
    )


def go_live(assignment: Assignment, *, by, on: date | None = None, override_reason: str = "") -> bool:
    """Take the assignment live on ``on`` (default today, Asia/Shanghai).

    Refused with the list of open required items unless a manager or admin gives an override
    reason; the override is stored on the assignment and audited as its own entry. The agent
    becomes live and the client moves to the live stage. Returns True when the gate was overridden.
    """
    _check_role(by, WRITERS, _("您没有办理上线的权限。"))
    assignment = _lock_assignment(assignment)  # a second go-live at once waits, then finds it live
    if assignment.go_live_on is not None:
        raise OnboardingError(_("该分配已于 %(d)s 上线。", d=assignment.go_live_on.isoformat()))
    if assignment.end_on is not None:
        raise OnboardingError(_("该分配已结束，不能上线。"))
    on = on or today()
    if on > today():
        raise OnboardingError(_("上线日期不能晚于今天：请在实际上线当天办理。"), "go_live_on")
    _check_dates(assignment.contract, go_live_on=on)
    ok, reasons = gate(assignment)
    override_reason = (override_reason or "").strip()
    overridden = False
    if not ok:
        if not override_reason:
            raise GoLiveRefused(reasons)
        if by.role not in GATE_OVERRIDERS:
            raise GoLiveRefused(reasons, _("只有经理或管理员可以在清单未完成时强制上线。"))
        assignment.override_reason = override_reason
        overridden = True
        record(
            "assignment.go_live_override",
            assignment,
            summary=override_reason,
            after={"override_reason": override_reason, "open_items": reasons},
            actor=by,
        )
    assignment.go_live_on = on
    assignment.went_live_by_id = by.id
    record(
        "assignment.went_live",
        assignment,
        summary=f"{assignment.agent.name} {on.isoformat()}",
        before={"go_live_on": None},
        after={"go_live_on": on, "overridden": overridden},
        actor=by,
    )
    if assignment.agent.status != "live":
        set_agent_status(assignment.agent, "live", by=by, reason=_("已上线"))
    client = db.session.get(Client, assignment.client_id)
    client_services.advance_stage(client, "live", reason=_("客服 %(n)s 已上线", n=assignment.agent.name))
    return overridden


def end_assignment(assignment: Assignment, *, by, end_on: date, agent_left: bool = False) -> None:
    """End the assignment on ``end_on`` (the end day is not billed).

    A live assignment ends after its go-live day. Once the end day has come, the agent becomes
    "待上线" again when it serves nowhere else, or "已离职" when ``agent_left``.
    """
    _check_role(by, WRITERS, _("您没有结束分配的权限。"))
    if end_on is None:
        raise OnboardingError(_("请填写结束日期。"), "end_on")
    assignment = _lock_assignment(assignment)
    if assignment.end_on is not None:
        raise OnboardingError(_("该分配已于 %(d)s 结束。", d=assignment.end_on.isoformat()))
    _check_dates(assignment.contract, end_on=end_on, go_live_on=assignment.go_live_on)
    assignment.end_on = end_on
    record(
        "assignment.ended",
        assignment,
        summary=f"{assignment.agent.name} {end_on.isoformat()}",
        before={"end_on": None},
        after={"end_on": end_on, "agent_left": agent_left},
        actor=by,
    )
    agent = assignment.agent
    if agent_left:
        set_agent_status(agent, "left", by=by, reason=_("结束分配时离职"))
    elif end_on <= today() and agent.status == "live" and not _has_live_assignment(agent):
        set_agent_status(agent, "ready", by=by, reason=_("分配已结束，等待新的分配"))
