"""Go-live checklist rules. Pure: plain values in, plain values out; no Flask app, no database.

Item states (docs/domain.md, "The pipeline with each client", go-live): ``todo``, ``done``,
``verified`` (checked by a second person), ``blocked`` (with a reason) and ``na`` (不适用).

The gate: an assignment may go live when every *required* item is ``done``, or ``verified`` where
the item needs a second person's verification. ``na`` only ever satisfies an item that is not
required: a required item cannot be marked 不适用 at all (``check_item_transition`` refuses it), so
a required step can never be waved through by a single click; an item that really does not apply
to a shop (e.g. the phone binding outside Pinduoduo) is made optional in the template instead.
Only a manager's override with a reason (audited by the service) passes a closed gate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ops import vocab
from ops.errors import ServiceError
from ops.i18n import N_, _l

TODO, DONE, VERIFIED, BLOCKED, NA = "todo", "done", "verified", "blocked", "na"
# Shown with label("checklist_item_state", code).
ITEM_STATE_LABELS = vocab.register(
    "checklist_item_state",
    {TODO: N_("待办"), DONE: N_("已完成"), VERIFIED: N_("已复核"), BLOCKED: N_("受阻"), NA: N_("不适用")},
)
ITEM_STATE_BADGES = {
    TODO: "bg-secondary",
    DONE: "bg-primary",
    VERIFIED: "bg-success",
    BLOCKED: "bg-danger",
    NA: "bg-light text-dark border",
}

# Which state may follow which (the actions on the checklist page).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    TODO: (DONE, BLOCKED, NA),
    DONE: (VERIFIED, TODO),
    BLOCKED: (TODO, DONE),
    NA: (TODO,),
    VERIFIED: (TODO,),
}

AUTO_TRAINING_ATTENDED = "training_attended"
AUTO_EXAM_PASSED = "exam_passed"
AUTO_RULE_LABELS = {
    AUTO_TRAINING_ATTENDED: _l("参加该客户的培训后自动勾选"),
    AUTO_EXAM_PASSED: _l("通过该客户的考试后自动勾选"),
}
AUTO_EVIDENCE = "培训记录自动勾选"  # stored on auto-ticked items; tells them apart from a person's tick

# Stored as they read in Chinese; shown through pgettext("checklist category", …) (the .po has them).
CATEGORIES = ("账号", "权限", "认证", "系统", "培训", "质检")


@dataclass(frozen=True)
class TemplateItem:
    """One default checklist item (the shipped template; admins edit their copy in the database)."""

    title: str
    category: str
    required: bool = True
    needs_verification: bool = False
    evidence_note: str = ""
    auto_rule: str | None = None


DEFAULT_TEMPLATE_NAME = "默认上线清单"
DEFAULT_TEMPLATE_ITEMS: tuple[TemplateItem, ...] = (
    TemplateItem("子账号已创建", "账号", evidence_note="子账号名，如 店铺名:客服01"),
    TemplateItem("权限已设置", "权限", evidence_note="角色与权限截图或说明"),
    TemplateItem(
        "实人认证已完成（7 天内扫码）",
        "认证",
        needs_verification=True,
        evidence_note="淘宝子账号须在创建后 7 天内完成扫码实人认证",
    ),
    TemplateItem(
        "手机号已绑定（拼多多子账号需唯一手机号）",
        "账号",
        required=False,
        evidence_note="绑定的手机号尾号",
    ),
    TemplateItem("分流/接待组已设置", "系统", evidence_note="接待组名称与分流权重"),
    TemplateItem("快捷短语已导入", "系统", needs_verification=True, evidence_note="导入条数，抽查几条"),
    TemplateItem("已参加培训", "培训", auto_rule=AUTO_TRAINING_ATTENDED),
    TemplateItem("产品考试已通过", "培训", auto_rule=AUTO_EXAM_PASSED),
    TemplateItem("跟岗/旁听已完成", "培训", evidence_note="跟岗日期与带教人"),
    TemplateItem("质检已开启", "质检", evidence_note="质检规则或抽检比例"),
)


class ChecklistError(ServiceError):
    """A refused checklist action; the message is for the user (Chinese)."""


def allowed_targets(state: str, *, required: bool, needs_verification: bool) -> tuple[str, ...]:
    """The states an item in ``state`` may move to (what the page offers as buttons)."""
    targets = TRANSITIONS.get(state, ())
    if required:
        targets = tuple(t for t in targets if t != NA)
    if not needs_verification:
        targets = tuple(t for t in targets if t != VERIFIED)
    return targets


def check_item_transition(
    state: str,
    target: str,
    *,
    required: bool = True,
    needs_verification: bool = False,
    done_by_id: int | None = None,
    actor_id: int | None = None,
    reason: str = "",
) -> None:
    """Raise ChecklistError unless ``state -> target`` is allowed for this item and actor.

    - verification needs an item that asks for it, and a different person from the one who
      marked it done (an auto-ticked item, done by nobody, may be verified by anyone);
    - blocking needs a reason; a required item cannot be marked 不适用.
    """
    if target not in TRANSITIONS.get(state, ()):
        raise ChecklistError(
            _l(
                "不能从“%(a)s”改为“%(b)s”。",
                a=_l(ITEM_STATE_LABELS.get(state, state)),
                b=_l(ITEM_STATE_LABELS.get(target, target)),
            )
        )
    if target == NA and required:
        raise ChecklistError(_l("必填项不能标记为不适用；如确实不适用，请由管理员在模板中设为非必填。"))
    if target == VERIFIED:
        if not needs_verification:
            raise ChecklistError(_l("该项无需复核。"))
        if done_by_id is not None and actor_id == done_by_id:
            raise ChecklistError(_l("复核须由另一位同事完成，不能复核自己标记完成的事项。"))
    if target == BLOCKED and not (reason or "").strip():
        raise ChecklistError(_l("请填写受阻原因。"))


def is_satisfied(item: Any) -> bool:
    """True when the item no longer holds up go-live.

    ``item`` is anything with ``state``, ``required`` and ``needs_verification`` attributes.
    """
    if item.state == VERIFIED:
        return True
    if item.state == DONE:
        return not item.needs_verification
    if item.state == NA:
        return not item.required
    return not item.required


def open_reason(item: Any) -> str:
    """Why a required item still holds up go-live (for the refusal message)."""
    if item.state == BLOCKED:
        return str(_l("“%(t)s”受阻：%(r)s", t=item.title, r=getattr(item, "blocked_reason", "") or "—"))
    if item.state == DONE and item.needs_verification:
        return str(_l("“%(t)s”待第二人复核", t=item.title))
    if item.state == NA:
        return str(_l("“%(t)s”为必填项，不能不适用", t=item.title))
    return str(_l("“%(t)s”尚未完成", t=item.title))


def can_go_live(items: Sequence[Any]) -> tuple[bool, list[str]]:
    """(may go live, reasons) — the reasons name every required item still open, in order."""
    reasons = [open_reason(item) for item in items if item.required and not is_satisfied(item)]
    if not list(items):
        reasons.append(str(_l("清单为空：请先建立上线清单。")))
    return (not reasons, reasons)


def completion(items: Iterable[Any]) -> tuple[int, int]:
    """(done, total): items done or verified, out of all items except those marked 不适用."""
    counted = [item for item in items if item.state != NA]
    return sum(1 for item in counted if item.state in (DONE, VERIFIED)), len(counted)


def auto_tick_target(state: str, *, auto_ticked: bool, fact_holds: bool) -> str | None:
    """The state an auto-rule item moves to given the training fact, or None to leave it.

    A fact that holds ticks an open (todo) item; a fact that no longer holds reopens the item
    only when the tick was automatic. Items a person touched (blocked, verified, ticked by hand)
    are left alone.
    """
    if fact_holds and state == TODO:
        return DONE
    if not fact_holds and state == DONE and auto_ticked:
        return TODO
    return None


def date_problems(
    contract_start: date,
    contract_end: date,
    *,
    planned_go_live_on: date | None = None,
    go_live_on: date | None = None,
    end_on: date | None = None,
) -> dict[str, str]:
    """Field -> message for assignment dates outside the contract or in the wrong order.

    Go-live dates (planned and actual) fall within the contract (start and end included); the
    end date comes strictly after the actual go-live (the go-live day is served, the end day not).
    """
    problems: dict[str, str] = {}
    for field, day, label in (
        ("planned_go_live_on", planned_go_live_on, _l("计划上线日期")),
        ("go_live_on", go_live_on, _l("上线日期")),
    ):
        if day is None:
            continue
        if day < contract_start:
            problems[field] = str(
                _l("%(label)s不能早于合同开始日期（%(d)s）。", label=label, d=contract_start.isoformat())
            )
        elif day > contract_end:
            problems[field] = str(
                _l("%(label)s不能晚于合同结束日期（%(d)s）。", label=label, d=contract_end.isoformat())
            )
    if end_on is not None and go_live_on is not None and end_on <= go_live_on:
        problems["end_on"] = str(
            _l("结束日期必须晚于上线日期（%(d)s）：上线当天计费，结束当天不计。", d=go_live_on.isoformat())
        )
    return problems


# --- items that depend on the platform ------------------------------------------------------------

SUB_ACCOUNT_TITLE = "子账号已创建"  # ticked when the sub-account is saved in the vault
REAL_PERSON_TITLE = "实人认证已完成（7 天内扫码）"
PHONE_TITLE = "手机号已绑定（拼多多子账号需唯一手机号）"
TAOBAO_FAMILY = frozenset({"taobao", "tmall"})  # real-person QR scan within 7 days (seller centre)
PDD = "pdd"  # a unique bound phone number per sub-account


@dataclass(frozen=True)
class PlatformFit:
    """How one template item is copied for an assignment's platforms: skipped, or with these values."""

    keep: bool
    required: bool
    evidence_note: str


def fit_to_platforms(title: str, required: bool, evidence_note: str, platforms: Iterable[str]) -> PlatformFit:
    """The item as the assignment's platforms need it (docs/domain.md, go-live).

    - The real-person verification (Taobao/Tmall: QR scan within 7 days) is only copied for a Taobao
      or Tmall shop.
    - The phone binding is required for a Pinduoduo shop (a unique bound phone per sub-account);
      elsewhere it stays as the template has it (optional: it can be marked 不适用).
    - Every other item, and every item when the platforms are unknown (none given), is copied as it is.
    """
    known = set(platforms)
    if not known:
        return PlatformFit(True, required, evidence_note)
    if title == REAL_PERSON_TITLE:
        return PlatformFit(bool(known & TAOBAO_FAMILY), required, evidence_note)
    if title == PHONE_TITLE and PDD in known:
        return PlatformFit(True, True, evidence_note or "拼多多子账号须绑定唯一手机号，不可与其他子账号重复")
    return PlatformFit(True, required, evidence_note)
