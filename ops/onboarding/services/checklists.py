"""Checklists: the default template admins edit, and each assignment's own items (the gate's input).

Checklist rules (states, transitions, the gate) live in ``ops.onboarding.checklist`` (pure).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ops.audit.services import record, snapshot
from ops.extensions import db
from ops.onboarding import checklist
from ops.onboarding.checklist import ChecklistError
from ops.onboarding.models import (
    AUTO_RULES,
    Assignment,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateItem,
)
from ops.onboarding.services.common import WRITERS, OnboardingError, _check_role
from ops.timeutil import utcnow
from ops.transactions import lock_row

# --- the template ----------------------------------------------------------------------------

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


# --- an assignment's items -------------------------------------------------------------------


def gate(assignment: Assignment) -> tuple[bool, list[str]]:
    """(may go live, open required items) for the assignment's checklist."""
    return checklist.can_go_live(assignment.items)


ITEM_FIELDS = ("state", "evidence", "blocked_reason", "done_by_id", "verified_by_id")


def _change_item(item: ChecklistItem, target: str, *, by, evidence: str = "", reason: str = "") -> None:
    _check_role(by, WRITERS, _("您没有修改上线清单的权限。"))
    lock_row(Assignment, item.assignment_id)  # go-live reads the whole checklist under this lock
    item = lock_row(ChecklistItem, item.id)
    if item.assignment.end_on is not None:
        raise OnboardingError(_("该分配已结束，清单不能再修改。"))
    if item.assignment.cancelled_at is not None:
        raise OnboardingError(_("该分配已取消，清单已关闭。"))
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
    closed = item.assignment.end_on is not None or item.assignment.cancelled_at is not None
    if user is None or user.role not in WRITERS or closed:
        return []
    targets = checklist.allowed_targets(
        item.state, required=item.required, needs_verification=item.needs_verification
    )
    actions = [a for a, t in ACTION_TARGETS.items() if t in targets]
    if "verify" in actions and item.done_by_id is not None and item.done_by_id == user.id:
        actions.remove("verify")
    return actions
