"""Go-live (stage 5): agents, assignments, checklists, the credential vault, templates, platform rules.

Every function here is one business action: it checks, writes and records an audit entry. None
commits: the view or CLI command commits once. An action that checks state and then writes locks
its rows first, in the order contract → assignment → checklist item → agent → client, and checks
under the lock (docs/architecture.md, "Locks and check-then-write"). Checklist rules live in ``checklist.py`` (pure).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from ops.audit.services import record, snapshot
from ops.auth.roles import ADMIN, MANAGER, TRAINER
from ops.clients import services as client_services
from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.errors import ServiceError
from ops.extensions import db
from ops.onboarding import checklist, vault
from ops.onboarding.checklist import ChecklistError
from ops.onboarding.models import (
    AGENT_STATES,
    AUTO_RULES,
    SCOPES,
    SHIFTS,
    Agent,
    Assignment,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Credential,
    PlatformRule,
)
from ops.timeutil import today, utcnow
from ops.transactions import lock_row

AGENT_STATUS_LABELS = {
    "recruiting": _l("招聘中"),
    "training": _l("培训中"),
    "ready": _l("待上线"),
    "live": _l("已上线"),
    "left": _l("已离职"),
}
AGENT_STATUS_BADGES = {
    "recruiting": "bg-secondary",
    "training": "bg-warning text-dark",
    "ready": "bg-info text-dark",
    "live": "bg-success",
    "left": "bg-dark",
}
FUNNEL = ("recruiting", "training", "ready", "live")
SCOPE_LABELS = {"presales": _l("售前"), "aftersales": _l("售后")}
SHIFT_LABELS = {"day": _l("白班"), "evening": _l("晚班"), "night": _l("夜班"), "full": _l("24小时")}
ASSIGNMENT_STATE_LABELS = {"pending": _l("待上线"), "live": _l("服务中"), "ended": _l("已结束")}
ASSIGNABLE_CONTRACT_STATES = ("active", "pending_signature")

WRITERS = (ADMIN, MANAGER, TRAINER)  # who changes agents, assignments and checklists
GATE_OVERRIDERS = (ADMIN, MANAGER)  # who may take an assignment live past an open checklist
REVEALERS = (ADMIN, MANAGER, TRAINER)  # who may see a sub-account password
RULE_EDITORS = (ADMIN, MANAGER, TRAINER)

SEED_SOURCE = "种子资料：拼多多售后服务客服外包流程"
ALL_PLATFORMS = "all"
# (platform, event, deadline, consequence) — DOMAIN.md "Platform rules quoted in the seed article".
SEED_PLATFORM_RULES = (
    ("pdd", "买家申请仅退款或退货退款", "48 小时内处理", "逾期未处理，系统自动同意退款"),
    ("pdd", "商家拒绝退款申请后", "买家 7 天内可再次操作", "买家可修改申请或申请平台介入"),
    ("pdd", "买家申请退款的时限", "确认收货后 15 天内", ""),
    ("pdd", "买家寄回退货", "7 天内寄出", ""),
    ("pdd", "商家处理买家退回的商品", "收到退货后 7 天内", ""),
    ("pdd", "店铺售后考核（近 30 天）", "滚动 30 天", "考核纠纷退款、平台介入率、品质退款率"),
    ("jd", "16:00 前发送的服务邮件", "当日 18:00 前回复", ""),
    ("jd", "16:00 后发送的服务邮件", "次日 18:00 前回复", ""),
    ("jd", "投诉工单", "3 小时内给出明确答复", ""),
    ("jd", "七天无理由退货", "签收后 7 天内", ""),
    ("kuaishou", "客服代买家发起售后申请", "买家 24 小时内确认", ""),
    (ALL_PLATFORMS, "售前首次响应（黄金10秒）", "约 10 秒内首次回复", "响应慢会直接流失询单"),
)


class OnboardingError(ServiceError):
    """A refused onboarding action; ``field`` names the form field at fault, when there is one."""


class GoLiveRefused(OnboardingError):
    """The checklist is not complete; ``reasons`` lists every open required item."""

    def __init__(self, reasons: list[str], message: str | None = None):
        super().__init__(message or _("清单未完成，不能上线：%(r)s", r="；".join(reasons)))
        self.reasons = reasons


class NotAllowed(OnboardingError):
    """The user's role may not do this (views answer 403)."""


def _check_role(by, roles, message: str) -> None:
    if by is None or by.role not in roles:
        raise NotAllowed(message)


# --- agents --------------------------------------------------------------------------------

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


def set_agent_status(agent: Agent, status: str, *, by=None, reason: str = "") -> bool:
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


# --- checklist templates ---------------------------------------------------------------------

TEMPLATE_ITEM_FIELDS = ("title", "category", "required", "needs_verification", "evidence_note", "auto_rule")


def default_template() -> ChecklistTemplate | None:
    return db.session.scalar(
        sa.select(ChecklistTemplate)
        .where(ChecklistTemplate.is_default.is_(True))
        .order_by(ChecklistTemplate.id)
    )


def ensure_default_template() -> ChecklistTemplate:
    """The default checklist template, created from DEFAULT_TEMPLATE_ITEMS when missing."""
    template = default_template()
    if template is not None:
        return template
    template = ChecklistTemplate(name=checklist.DEFAULT_TEMPLATE_NAME, is_default=True)
    for position, item in enumerate(checklist.DEFAULT_TEMPLATE_ITEMS, start=1):
        template.items.append(
            ChecklistTemplateItem(
                position=position,
                title=item.title,
                category=item.category,
                required=item.required,
                needs_verification=item.needs_verification,
                evidence_note=item.evidence_note,
                auto_rule=item.auto_rule,
            )
        )
    db.session.add(template)
    record("checklist_template.created", template, summary=template.name, actor=None)
    return template


def _clean_template_item(data: dict) -> dict:
    values = {
        "title": (data.get("title") or "").strip(),
        "category": (data.get("category") or "").strip(),
        "required": bool(data.get("required")),
        "needs_verification": bool(data.get("needs_verification")),
        "evidence_note": (data.get("evidence_note") or "").strip(),
        "auto_rule": data.get("auto_rule") or None,
    }
    if not values["title"]:
        raise OnboardingError(_("请输入事项名称。"), "title")
    if values["auto_rule"] is not None and values["auto_rule"] not in AUTO_RULES:
        raise OnboardingError(_("未知的自动勾选规则。"), "auto_rule")
    return values


def _renumber(items) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def add_template_item(template: ChecklistTemplate, data: dict, *, by=None) -> ChecklistTemplateItem:
    """Append an item to the template (affects assignments created from now on)."""
    values = _clean_template_item(data)
    item = ChecklistTemplateItem(position=len(template.items) + 1, **values)
    template.items.append(item)
    template.updated_at = utcnow()
    record("checklist_template.item_added", item, summary=item.title, after=values, actor=by)
    return item


def update_template_item(item: ChecklistTemplateItem, data: dict, *, by=None) -> None:
    values = _clean_template_item(data)
    before = snapshot(item, TEMPLATE_ITEM_FIELDS)
    for key, value in values.items():
        setattr(item, key, value)
    item.template.updated_at = utcnow()
    changed = [k for k in TEMPLATE_ITEM_FIELDS if before[k] != values[k]]
    if changed:
        record(
            "checklist_template.item_updated",
            item,
            summary=item.title,
            before={k: before[k] for k in changed},
            after={k: values[k] for k in changed},
            actor=by,
        )


def move_template_item(item: ChecklistTemplateItem, direction: str, *, by=None) -> bool:
    """Swap the item with its neighbour ("up" or "down"); False at either end."""
    items = list(item.template.items)
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(items):
        return False
    items[index], items[other] = items[other], items[index]
    _renumber(items)
    item.template.updated_at = utcnow()
    record("checklist_template.item_moved", item, summary=f"{item.title} {direction}", actor=by)
    return True


def remove_template_item(item: ChecklistTemplateItem, *, by=None) -> None:
    template = item.template
    record(
        "checklist_template.item_removed",
        item,
        summary=item.title,
        before=snapshot(item, TEMPLATE_ITEM_FIELDS),
        actor=by,
    )
    template.items.remove(item)
    _renumber(template.items)
    template.updated_at = utcnow()


# --- assignments -----------------------------------------------------------------------------


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


def gate(assignment: Assignment) -> tuple[bool, list[str]]:
    """(may go live, open required items) for the assignment's checklist."""
    return checklist.can_go_live(assignment.items)


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


# --- checklist items -------------------------------------------------------------------------

ITEM_FIELDS = ("state", "evidence", "blocked_reason", "done_by_id", "verified_by_id")


def _change_item(item: ChecklistItem, target: str, *, by, evidence: str = "", reason: str = "") -> None:
    _check_role(by, WRITERS, _("您没有修改上线清单的权限。"))
    lock_row(Assignment, item.assignment_id)  # go-live reads the whole checklist under this lock
    item = lock_row(ChecklistItem, item.id)
    if item.assignment.end_on is not None:
        raise OnboardingError(_("该分配已结束，清单不能再修改。"))
    try:
        checklist.check_item_transition(
            item.state,
            target,
            required=item.required,
            needs_verification=item.needs_verification,
            done_by_id=item.done_by_id,
            actor_id=by.id,
            reason=reason,
        )
    except ChecklistError as exc:
        raise OnboardingError(str(exc.args[0])) from exc
    before = snapshot(item, ITEM_FIELDS)
    now = utcnow()
    if target == checklist.DONE:
        if item.state != checklist.BLOCKED or evidence:
            item.evidence = (evidence or "").strip()[:300]
        item.done_by_id, item.done_at = by.id, now
        item.blocked_reason = ""
    elif target == checklist.VERIFIED:
        item.verified_by_id, item.verified_at = by.id, now
    elif target == checklist.BLOCKED:
        item.blocked_reason = reason.strip()[:300]
    elif target == checklist.TODO:
        item.done_by_id = item.done_at = item.verified_by_id = item.verified_at = None
        item.evidence = ""
        item.blocked_reason = ""
    elif target == checklist.NA:
        item.blocked_reason = ""
    item.state = target
    item.updated_at = now
    record(
        f"checklist_item.{target}",
        item,
        summary=f"{item.assignment.agent.name}: {item.title}",
        before=before,
        after=snapshot(item, ITEM_FIELDS),
        actor=by,
    )


def mark_item_done(item: ChecklistItem, *, by, evidence: str = "") -> None:
    _change_item(item, checklist.DONE, by=by, evidence=evidence)


def mark_item_verified(item: ChecklistItem, *, by) -> None:
    """A second person confirms the item; never the one who marked it done."""
    _change_item(item, checklist.VERIFIED, by=by)


def mark_item_blocked(item: ChecklistItem, *, by, reason: str) -> None:
    _change_item(item, checklist.BLOCKED, by=by, reason=reason)


def mark_item_na(item: ChecklistItem, *, by) -> None:
    _change_item(item, checklist.NA, by=by)


def reopen_item(item: ChecklistItem, *, by) -> None:
    _change_item(item, checklist.TODO, by=by)


ITEM_ACTIONS = {
    "done": mark_item_done,
    "verify": mark_item_verified,
    "block": mark_item_blocked,
    "na": mark_item_na,
    "reopen": reopen_item,
}
ACTION_TARGETS = {"done": "done", "verify": "verified", "block": "blocked", "na": "na", "reopen": "todo"}


def item_actions(item: ChecklistItem, user) -> list[str]:
    """The actions the page offers ``user`` on ``item`` (names of ITEM_ACTIONS)."""
    if user is None or user.role not in WRITERS or item.assignment.end_on is not None:
        return []
    targets = checklist.allowed_targets(
        item.state, required=item.required, needs_verification=item.needs_verification
    )
    actions = [a for a, t in ACTION_TARGETS.items() if t in targets]
    if "verify" in actions and item.done_by_id is not None and item.done_by_id == user.id:
        actions.remove("verify")
    return actions


# --- credentials -----------------------------------------------------------------------------


def set_credential(
    assignment: Assignment, platform: str, account_name: str, password: str, *, by
) -> Credential:
    """Store the sub-account for the assignment, the password encrypted (audit holds no password).

    An empty password keeps the stored one when the credential exists already.
    """
    _check_role(by, WRITERS, _("您没有管理子账号的权限。"))
    account_name = (account_name or "").strip()
    if not account_name:
        raise OnboardingError(_("请输入子账号名。"), "account_name")
    credential = assignment.credential
    if credential is None and not password:
        raise OnboardingError(_("请输入子账号密码。"), "password")
    before = (
        {"platform": credential.platform, "account_name": credential.account_name} if credential else None
    )
    if credential is None:
        credential = Credential(
            assignment=assignment, account_name=account_name, password_ciphertext=vault.encrypt(password)
        )
        db.session.add(credential)
    elif password:
        credential.password_ciphertext = vault.encrypt(password)
    credential.platform = platform or ""
    credential.account_name = account_name
    credential.updated_by_id = by.id
    credential.updated_at = utcnow()
    record(
        "credential.set",
        assignment,
        summary=_("子账号 %(a)s", a=account_name),
        before=before,
        after={
            "platform": credential.platform,
            "account_name": account_name,
            "password_changed": bool(password),
        },
        actor=by,
    )
    return credential


def reveal_password(assignment: Assignment, *, by) -> str:
    """The plain sub-account password, for trainers, managers and admins only; audited."""
    _check_role(by, REVEALERS, _("您没有查看子账号密码的权限。"))
    credential = assignment.credential
    if credential is None:
        raise OnboardingError(_("该分配还没有登记子账号。"))
    plain = vault.decrypt(credential.password_ciphertext)
    record(
        "credential.revealed",
        assignment,
        summary=_("查看子账号 %(a)s 的密码", a=credential.account_name),
        after={"account_name": credential.account_name},
        actor=by,
    )
    return plain


def rotate_vault_key(*, by=None) -> int:
    """Re-encrypt every stored credential under the newest vault key (the first of OPS_VAULT_KEY).

    All or nothing: every credential is read (row-locked) and decrypted first; if any cannot be
    decrypted with the configured keys nothing changes (VaultError). Otherwise all are rewritten and
    audited in one transaction, so a process killed half-way leaves every credential as it was,
    still readable with the key list. Returns the number of credentials re-encrypted.
    """
    from flask import current_app

    from ops.transactions import write_transaction

    with write_transaction():
        credentials = db.session.scalars(
            sa.select(Credential).order_by(Credential.id).with_for_update()
        ).all()
        failed = []
        for credential in credentials:
            try:
                vault.decrypt(credential.password_ciphertext)
            except vault.VaultError:
                failed.append(credential.id)
        if failed:
            raise vault.VaultError(
                _(
                    "%(n)s 个凭据无法用当前密钥解密（编号 %(ids)s），未做任何改动。",
                    n=len(failed),
                    ids=", ".join(str(i) for i in failed[:20]),
                )
            )
        for credential in credentials:
            credential.password_ciphertext = vault.rotate(credential.password_ciphertext)
            db.session.flush()  # written row by row inside the one transaction
        record(
            "vault.key_rotated",
            object_type="credentials",
            summary=_("凭据加密密钥轮换：%(n)s 个凭据已用新密钥重新加密", n=len(credentials)),
            after={
                "credentials": len(credentials),
                "keys_configured": len(vault.key_list(current_app.config.get("VAULT_KEY"))),
            },
            actor=by,
        )
    return len(credentials)


# --- platform rules --------------------------------------------------------------------------

RULE_FIELDS = ("platform", "event", "deadline", "consequence", "source", "position")


def ensure_platform_rules() -> int:
    """Fill the platform rules from the seed article when the table is empty; returns rows added."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(PlatformRule)):
        return 0
    for position, (platform, event, deadline, consequence) in enumerate(SEED_PLATFORM_RULES, start=1):
        db.session.add(
            PlatformRule(
                platform=platform,
                event=event,
                deadline=deadline,
                consequence=consequence,
                source=SEED_SOURCE,
                from_seed=True,
                position=position,
            )
        )
    record("platform_rule.seeded", object_type="platform_rules", summary=SEED_SOURCE, actor=None)
    return len(SEED_PLATFORM_RULES)


def _clean_rule(data: dict) -> dict:
    values = {
        "platform": (data.get("platform") or "").strip(),
        "event": (data.get("event") or "").strip(),
        "deadline": (data.get("deadline") or "").strip(),
        "consequence": (data.get("consequence") or "").strip(),
        "source": (data.get("source") or "").strip(),
        "position": int(data.get("position") or 0),
    }
    if not values["platform"]:
        raise OnboardingError(_("请选择平台。"), "platform")
    if not values["event"]:
        raise OnboardingError(_("请填写事项。"), "event")
    if not values["deadline"]:
        raise OnboardingError(_("请填写时限。"), "deadline")
    return values


def create_platform_rule(data: dict, *, by) -> PlatformRule:
    _check_role(by, RULE_EDITORS, _("您没有维护平台规则的权限。"))
    rule = PlatformRule(from_seed=False, **_clean_rule(data))
    db.session.add(rule)
    record("platform_rule.created", rule, summary=rule.event, after=snapshot(rule, RULE_FIELDS), actor=by)
    return rule


def update_platform_rule(rule: PlatformRule, data: dict, *, by) -> None:
    """Edit a rule; a seed rule whose wording changes is no longer marked as seed text."""
    _check_role(by, RULE_EDITORS, _("您没有维护平台规则的权限。"))
    values = _clean_rule(data)
    before = snapshot(rule, RULE_FIELDS)
    changed = [k for k in RULE_FIELDS if before[k] != values[k]]
    for key, value in values.items():
        setattr(rule, key, value)
    if rule.from_seed and {"platform", "event", "deadline", "consequence"} & set(changed):
        rule.from_seed = False
        changed.append("from_seed")
    if changed:
        record(
            "platform_rule.updated",
            rule,
            summary=rule.event,
            before={k: before.get(k, True) for k in changed},
            after={k: getattr(rule, k) for k in changed},
            actor=by,
        )


def delete_platform_rule(rule: PlatformRule, *, by) -> None:
    _check_role(by, RULE_EDITORS, _("您没有维护平台规则的权限。"))
    record("platform_rule.deleted", rule, summary=rule.event, before=snapshot(rule, RULE_FIELDS), actor=by)
    db.session.delete(rule)


# --- lists and the dashboard -----------------------------------------------------------------


def current_condition(on: date):
    """SQL: the assignment has not ended by ``on`` (the end day itself is not served)."""
    return sa.or_(Assignment.end_on.is_(None), Assignment.end_on > on)


def assignment_state_condition(state: str, on: date):
    if state == "pending":
        return sa.and_(Assignment.go_live_on.is_(None), current_condition(on))
    if state == "live":
        return sa.and_(Assignment.go_live_on.is_not(None), current_condition(on))
    if state == "ended":
        return sa.not_(current_condition(on))
    return sa.true()


def _blocked_exists():
    return (
        sa.select(ChecklistItem.id)
        .where(ChecklistItem.assignment_id == Assignment.id, ChecklistItem.state == checklist.BLOCKED)
        .exists()
    )


def filter_assignments(stmt, filters: dict, on: date):
    """Apply the assignment list's filters; the dashboard counts with the very same conditions."""
    if filters.get("client_id"):
        stmt = stmt.where(Assignment.client_id == filters["client_id"])
    if filters.get("agent_id"):
        stmt = stmt.where(Assignment.agent_id == filters["agent_id"])
    if filters.get("contract_id"):
        stmt = stmt.where(Assignment.contract_id == filters["contract_id"])
    if filters.get("state") in ASSIGNMENT_STATE_LABELS:
        stmt = stmt.where(assignment_state_condition(filters["state"], on))
    if filters.get("overdue"):
        stmt = stmt.where(assignment_state_condition("pending", on), Assignment.planned_go_live_on < on)
    if filters.get("blocked"):
        stmt = stmt.where(current_condition(on), _blocked_exists())
    if filters.get("planned_from"):
        stmt = stmt.where(Assignment.planned_go_live_on >= filters["planned_from"])
    if filters.get("planned_to"):
        stmt = stmt.where(Assignment.planned_go_live_on <= filters["planned_to"])
    if filters.get("live_from"):
        stmt = stmt.where(Assignment.go_live_on >= filters["live_from"])
    if filters.get("live_to"):
        stmt = stmt.where(Assignment.go_live_on <= filters["live_to"])
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(
            Assignment.agent_id.in_(
                sa.select(Agent.id).where(sa.or_(Agent.name.ilike(like), Agent.employee_no.ilike(like)))
            )
        )
    return stmt


def filter_agents(stmt, filters: dict, on: date):
    """Apply the agent list's filters (a client means: serving or being onboarded there now)."""
    if filters.get("status") in AGENT_STATES:
        stmt = stmt.where(Agent.status == filters["status"])
    if filters.get("client_id"):
        stmt = stmt.where(
            Agent.id.in_(
                sa.select(Assignment.agent_id).where(
                    Assignment.client_id == filters["client_id"], current_condition(on)
                )
            )
        )
    if filters.get("unassigned"):
        stmt = stmt.where(Agent.id.not_in(sa.select(Assignment.agent_id).where(current_condition(on))))
    if filters.get("platform"):
        stmt = stmt.where(sa.cast(Agent.platforms, sa.Text).like(f'%"{filters["platform"]}"%'))
    if filters.get("q"):
        like = f"%{filters['q']}%"
        stmt = stmt.where(
            sa.or_(Agent.name.ilike(like), Agent.employee_no.ilike(like), Agent.phone.ilike(like))
        )
    return stmt


def progress_by_assignment(assignment_ids) -> dict[int, tuple[int, int]]:
    """{assignment id: (done, total)} in one query (same rule as checklist.completion)."""
    if not assignment_ids:
        return {}
    done = sa.func.sum(sa.case((ChecklistItem.state.in_((checklist.DONE, checklist.VERIFIED)), 1), else_=0))
    total = sa.func.sum(sa.case((ChecklistItem.state != checklist.NA, 1), else_=0))
    rows = db.session.execute(
        sa.select(ChecklistItem.assignment_id, done, total)
        .where(ChecklistItem.assignment_id.in_(list(assignment_ids)))
        .group_by(ChecklistItem.assignment_id)
    )
    return {aid: (int(d or 0), int(t or 0)) for aid, d, t in rows}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def dashboard_data(on: date | None = None) -> dict:
    """Every figure of the onboarding dashboard, aggregated in SQL (a fixed number of queries
    whatever the number of agents). Each figure carries the filters of the list behind it."""
    on = on or today()
    monday = week_start(on)
    current = current_condition(on)
    pending = assignment_state_condition("pending", on)

    # Agents by status per client (agents serving or onboarding there now).
    by_client: dict[int, dict] = {}
    rows = db.session.execute(
        sa.select(Assignment.client_id, Client.name, Agent.status, sa.func.count(sa.distinct(Agent.id)))
        .join(Agent, Agent.id == Assignment.agent_id)
        .join(Client, Client.id == Assignment.client_id)
        .where(current)
        .group_by(Assignment.client_id, Client.name, Agent.status)
    )
    for client_id, name, status, count in rows:
        entry = by_client.setdefault(client_id, {"client_id": client_id, "name": name, "counts": {}})
        entry["counts"][status] = count
    unassigned = dict(
        db.session.execute(
            sa.select(Agent.status, sa.func.count())
            .where(Agent.id.not_in(sa.select(Assignment.agent_id).where(current)))
            .group_by(Agent.status)
        ).all()
    )
    funnel = dict(db.session.execute(sa.select(Agent.status, sa.func.count()).group_by(Agent.status)).all())

    # Go-lives planned this week and next (not live yet).
    weeks = []
    for offset, label in ((0, _l("本周")), (1, _l("下周"))):
        start = monday + timedelta(days=7 * offset)
        weeks.append(
            {
                "label": label,
                "filters": {
                    "state": "pending",
                    "planned_from": start,
                    "planned_to": start + timedelta(days=6),
                },
            }
        )
    planned_rows = db.session.execute(
        sa.select(Assignment.planned_go_live_on, sa.func.count())
        .where(pending, Assignment.planned_go_live_on.between(monday, monday + timedelta(days=13)))
        .group_by(Assignment.planned_go_live_on)
    ).all()
    for week in weeks:
        f = week["filters"]
        week["count"] = sum(n for d, n in planned_rows if f["planned_from"] <= d <= f["planned_to"])
    upcoming = db.session.scalars(
        sa.select(Assignment)
        .options(joinedload(Assignment.agent), joinedload(Assignment.client))
        .where(pending, Assignment.planned_go_live_on.between(monday, monday + timedelta(days=13)))
        .order_by(Assignment.planned_go_live_on, Assignment.id)
        .limit(20)
    ).all()

    # Overdue go-lives per client.
    overdue_rows = db.session.execute(
        sa.select(Assignment.client_id, Client.name, sa.func.count())
        .join(Client, Client.id == Assignment.client_id)
        .where(pending, Assignment.planned_go_live_on < on)
        .group_by(Assignment.client_id, Client.name)
        .order_by(sa.func.count().desc(), Client.name)
    ).all()
    overdue = [{"client_id": c, "name": n, "count": k} for c, n, k in overdue_rows]

    # Blocked items (current assignments) with reasons.
    blocked_items = db.session.scalars(
        sa.select(ChecklistItem)
        .join(Assignment, Assignment.id == ChecklistItem.assignment_id)
        .options(
            joinedload(ChecklistItem.assignment).joinedload(Assignment.agent),
            joinedload(ChecklistItem.assignment).joinedload(Assignment.client),
        )
        .where(ChecklistItem.state == checklist.BLOCKED, current)
        .order_by(ChecklistItem.updated_at.desc(), ChecklistItem.id.desc())
        .limit(20)
    ).all()
    blocked_counts = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(ChecklistItem.assignment_id)))
        .join(Assignment, Assignment.id == ChecklistItem.assignment_id)
        .where(ChecklistItem.state == checklist.BLOCKED, current)
    ).one()

    # Checklist completion per client (assignments not live yet).
    done = sa.func.sum(sa.case((ChecklistItem.state.in_((checklist.DONE, checklist.VERIFIED)), 1), else_=0))
    total = sa.func.sum(sa.case((ChecklistItem.state != checklist.NA, 1), else_=0))
    completion_rows = db.session.execute(
        sa.select(Assignment.client_id, Client.name, sa.func.count(sa.distinct(Assignment.id)), done, total)
        .join(Client, Client.id == Assignment.client_id)
        .join(ChecklistItem, ChecklistItem.assignment_id == Assignment.id)
        .where(pending)
        .group_by(Assignment.client_id, Client.name)
        .order_by(Client.name)
    ).all()
    completion = [
        {
            "client_id": c,
            "name": n,
            "assignments": k,
            "done": int(d or 0),
            "total": int(t or 0),
            "percent": round(100 * int(d or 0) / int(t)) if t else 0,
        }
        for c, n, k, d, t in completion_rows
    ]

    # Contracts waiting for training: in force or awaiting signature, nobody assigned yet.
    waiting = db.session.scalars(
        sa.select(Contract)
        .options(joinedload(Contract.client))
        .where(
            Contract.status.in_(ASSIGNABLE_CONTRACT_STATES),
            ~sa.select(Assignment.id).where(Assignment.contract_id == Contract.id).exists(),
        )
        .order_by(Contract.start_on, Contract.id)
    ).all()

    # Go-lives per week: actual for the last 8 weeks (this one included), planned for the next 4.
    first = monday - timedelta(weeks=7)
    last = monday + timedelta(weeks=5) - timedelta(days=1)
    actual_rows = db.session.execute(
        sa.select(Assignment.go_live_on, sa.func.count())
        .where(Assignment.go_live_on.between(first, last))
        .group_by(Assignment.go_live_on)
    ).all()
    planned_all = db.session.execute(
        sa.select(Assignment.planned_go_live_on, sa.func.count())
        .where(pending, Assignment.planned_go_live_on.between(first, last))
        .group_by(Assignment.planned_go_live_on)
    ).all()
    chart_weeks = []
    for i in range(12):
        start = first + timedelta(weeks=i)
        end = start + timedelta(days=6)
        chart_weeks.append(
            {
                "start": start,
                "end": end,
                "actual": sum(n for d, n in actual_rows if start <= d <= end),
                "planned": sum(n for d, n in planned_all if start <= d <= end),
                "actual_filters": {"live_from": start, "live_to": end},
                "planned_filters": {"state": "pending", "planned_from": start, "planned_to": end},
            }
        )

    return {
        "on": on,
        "by_client": sorted(by_client.values(), key=lambda e: e["name"]),
        "unassigned": unassigned,
        "funnel": {status: funnel.get(status, 0) for status in FUNNEL},
        "left": funnel.get("left", 0),
        "weeks": weeks,
        "upcoming": upcoming,
        "overdue": overdue,
        "overdue_total": sum(o["count"] for o in overdue),
        "blocked_items": blocked_items,
        "blocked_item_count": blocked_counts[0],
        "blocked_assignment_count": blocked_counts[1],
        "completion": completion,
        "waiting_contracts": waiting,
        "chart_weeks": chart_weeks,
    }


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
