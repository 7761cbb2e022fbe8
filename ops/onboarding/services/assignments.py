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

from ops import i18n
from ops.audit.services import record
from ops.billing.models import Invoice
from ops.clients import services as client_services
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.contracts.services.common import lock_contract
from ops.events.services import emit
from ops.extensions import db
from ops.onboarding import checklist, seats
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
from ops.onboarding.services.seats import held_on_contract, seat_rows_from
from ops.timeutil import today, utcnow
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


def _check_seats(
    contract: Contract, agent: Agent, scope: str, shift: str, start: date, override_reason: str, by
) -> str:
    """Refuse what the contract's seats do not allow (``ops.onboarding.seats``); returns the override
    reason when a manager exceeds the seats with one, "" otherwise. Called under the contract's lock."""
    held = held_on_contract(contract.id)
    refusal = None
    for rows in seat_rows_from(contract, start):  # the seats in force from ``start`` on (amendments)
        refusal = seats.check_new(rows, held, agent_id=agent.id, scope=scope, shift=shift, start=start)
        if refusal is not None:
            break
    if refusal is None:
        return ""
    if refusal.code != seats.SEAT_FULL:
        raise OnboardingError(str(refusal.message), refusal.field)
    if not override_reason:
        raise OnboardingError(str(refusal.message), refusal.field)
    if by is None or by.role not in GATE_OVERRIDERS:
        raise OnboardingError(_("只有经理或管理员可以超出合同席位分配。"), refusal.field)
    return override_reason


def create_assignment(
    agent: Agent,
    contract: Contract,
    *,
    scope: str,
    shift: str,
    planned_go_live_on: date | None,
    by=None,
    override_reason: str = "",
) -> Assignment:
    """Put an agent on a contract with a checklist copied from the default template.

    The contract's seats bound it (``ops.onboarding.seats``): a scope × shift not sold, the same agent
    twice in overlapping time, or a headcount beyond the seats is refused; a manager or admin may
    exceed the seats with an ``override_reason`` (stored and audited). A recruiting agent moves to
    training; the client moves to the onboarding stage. The contract and the agent are locked first,
    so two assignments at once cannot both take the last seat, and a contract terminated or an agent
    leaving at the same moment is seen.
    """
    contract = lock_contract(contract.id)
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
    override_reason = (override_reason or "").strip()
    seat_override = _check_seats(
        contract, agent, scope, shift, planned_go_live_on or today(), override_reason, by
    )
    template = ensure_default_template()
    assignment = Assignment(
        agent=agent,
        contract_id=contract.id,
        client_id=contract.client_id,
        scope=scope,
        shift=shift,
        planned_go_live_on=planned_go_live_on,
        seat_override_reason=seat_override,
    )
    db.session.add(assignment)
    client = db.session.get(Client, contract.client_id)
    platforms = client.platforms  # the client's shops: the items follow their platforms
    for t in template.items:
        fit = checklist.fit_to_platforms(t.title, t.required, t.evidence_note, platforms)
        if not fit.keep:
            continue
        assignment.items.append(
            ChecklistItem(
                position=t.position,
                title=t.title,
                category=t.category,
                required=fit.required,
                needs_verification=t.needs_verification,
                evidence_note=fit.evidence_note,
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
    if seat_override:
        record(
            "assignment.seat_override",
            assignment,
            summary=seat_override,
            after={"scope": scope, "shift": shift, "override_reason": seat_override},
            actor=by,
        )
    if agent.status == "recruiting":
        set_agent_status(agent, "training", by=by, reason=i18n._l("已分配到客户，进入培训"))
    client_services.advance_stage(
        client, "onboarding", reason=i18n._l("客服 %(n)s 已分配，开始培训上线", n=agent.name)
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
    emit("assignment.live", assignment, client_id=assignment.client_id, assignment_id=assignment.id)
    if assignment.agent.status != "live":
        set_agent_status(assignment.agent, "live", by=by, reason=_("已上线"))
    client = db.session.get(Client, assignment.client_id)
    client_services.advance_stage(
        client, "live", reason=i18n._l("客服 %(n)s 已上线", n=assignment.agent.name)
    )
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


def cancel_assignment(assignment: Assignment, *, by, reason: str = "") -> None:
    """Cancel an assignment that has not gone live: it is kept (status cancelled), its checklist is
    closed and its seat is free again. A live assignment is ended instead (or its go-live undone by a
    manager). Locks contract → assignment, the order creating an assignment takes."""
    _check_role(by, WRITERS, _("您没有取消分配的权限。"))
    lock_contract(assignment.contract_id)
    assignment = _lock_assignment(assignment)
    if assignment.cancelled_at is not None:
        raise OnboardingError(_("该分配已取消。"))
    if assignment.go_live_on is not None:
        raise OnboardingError(_("已上线的分配不能取消：请办理结束分配（误操作的上线可由经理撤销）。"))
    if assignment.end_on is not None:
        raise OnboardingError(_("该分配已结束，不能取消。"))
    reason = (reason or "").strip()
    assignment.cancelled_at = utcnow()
    assignment.cancelled_by_id = by.id
    assignment.cancel_reason = reason
    record(
        "assignment.cancelled",
        assignment,
        summary=f"{assignment.agent.name}: {reason}" if reason else assignment.agent.name,
        before={"status": "pending"},
        after={"status": "cancelled", "reason": reason},
        actor=by,
    )


def _issued_invoice_covering(contract_id: int, first_day: date) -> Invoice | None:
    """An issued (or paid) invoice of the contract whose period reaches ``first_day`` or later."""
    return db.session.scalars(
        sa.select(Invoice)
        .where(
            Invoice.contract_id == contract_id,
            Invoice.status.in_(("issued", "paid")),
            Invoice.period_end >= first_day,
        )
        .order_by(Invoice.period_start)
        .limit(1)
    ).first()


def undo_go_live(assignment: Assignment, *, by, reason: str) -> None:
    """Return a live assignment to not-live (a go-live entered by mistake): its go-live date, who took
    it live and any gate override are cleared; the checklist stays as it was. Manager or admin only,
    with a reason.

    Refused when an issued, not void, invoice already covers any of its served days: billed days are
    corrected with an end date and a credit note. Locks contract → assignment (issuing locks the
    contract first, so an invoice cannot be issued between the check and the write).
    """
    _check_role(by, GATE_OVERRIDERS, _("只有经理或管理员可以撤销上线。"))
    reason = (reason or "").strip()
    if not reason:
        raise OnboardingError(_("请填写撤销上线的原因。"), "reason")
    lock_contract(assignment.contract_id)
    assignment = _lock_assignment(assignment)
    if assignment.go_live_on is None:
        raise OnboardingError(_("该分配尚未上线。"))
    if assignment.end_on is not None:
        raise OnboardingError(_("该分配已结束，不能撤销上线：请通过账单的红字发票更正。"))
    invoice = _issued_invoice_covering(assignment.contract_id, assignment.go_live_on)
    if invoice is not None:
        raise OnboardingError(
            _(
                "账单 %(n)s（%(p)s）已开具并包含该分配的服务天数，不能撤销上线。"
                "请改为填写结束日期结束分配，并对多计的天数开具红字发票（贷项通知）。",
                n=invoice.number or invoice.period,
                p=invoice.period,
            ),
            "reason",
        )
    before = {
        "go_live_on": assignment.go_live_on,
        "went_live_by_id": assignment.went_live_by_id,
        "override_reason": assignment.override_reason,
    }
    assignment.go_live_on = None
    assignment.went_live_by_id = None
    assignment.override_reason = ""
    record(
        "assignment.go_live_undone",
        assignment,
        summary=f"{assignment.agent.name}: {reason}",
        before=before,
        after={"go_live_on": None, "reason": reason},
        actor=by,
    )
    agent = assignment.agent
    db.session.flush()
    if agent.status == "live" and not _has_live_assignment(agent):
        set_agent_status(agent, "ready", by=by, reason=_("上线已撤销"))
