"""Phase 1 rules: the default outsourcing plan, where a client stands in the pipeline, and what
changed between two versions of its needs.

Pure: plain values in, plain values out; no Flask, no database.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

PHASE_NUMBERS = (1, 2, 3, 4, 5, 6)

# The outsourcing plan (外包计划) every client starts from: for each phase its key concerns
# (重点关注) and key work (重点工作), after the seed article and docs/domain.md. Staff edit a client's
# copy; this template never changes an existing plan.
DEFAULT_PLAN: dict[int, dict[str, tuple[str, ...]]] = {
    1: {
        "concern": (
            "需求明确后才能报价：平台、类目、售前/售后范围与班次",
            "日均与高峰咨询量、客单价、商品复杂度是定价依据",
            "店铺的特殊要求（大促、夜间、售后赔付标准）",
        ),
        "work": (
            "与店铺负责人沟通并确认外包需求",
            "收集近 30 天咨询量、询单转化率与客单价数据",
            "制定外包计划：各阶段重点关注问题与重点工作",
        ),
    },
    2: {
        "concern": (
            "咨询量是报价的主要参考，不同类目价格差异较大",
            "计价方式：专人专席、底薪+提成或按咨询量",
            "折扣超出权限需经理审批",
        ),
        "work": (
            "根据需求测算坐席数并出具报价单",
            "与客户洽谈价格并确认报价",
        ),
    },
    3: {
        "concern": (
            "违约条款",
            "定金金额与退还、抵扣方式",
            "价格、结算周期与付款期限",
            "考核指标（KPI）与扣款上限、磨合期",
        ),
        "work": (
            "起草合同并约定考核指标",
            "完成合同签署并归档签字版",
            "确认定金到账",
        ),
    },
    4: {
        "concern": (
            "甲方提前准备培训材料：产品手册、话术、FAQ、售后政策",
            "培训方式：上门培训或线上培训",
            "客服须通过考试后方可上岗",
        ),
        "work": (
            "向客户发送培训材料清单并收齐材料",
            "安排培训场次并完成培训（一般 3–5 天）",
            "组织产品知识考试",
        ),
    },
    5: {
        "concern": (
            "客服接待账号与密码须提前准备并认证",
            "快捷回复短语较多的商品需提前设置",
            "上线后约一个月为磨合期",
        ),
        "work": (
            "子账号与密码准备并完成认证",
            "快捷短语导入",
            "分流设置与跟岗实习",
            "客服正式上线接待",
        ),
    },
    6: {
        "concern": (
            "结算周期：月度或季度",
            "底薪+提成：签约后预付定金，次月结算上月",
            "固定薪资：预付，或定金+后结算",
        ),
        "work": (
            "核对当期咨询量与业绩数据",
            "出具结算单与发票",
            "跟进回款",
        ),
    },
}

# Days after the plan's start date by which each phase's items are due: needs within days, a
# quote in a week, the contract in two, training (3-5 days) and go-live (3-7 days after the
# deposit) within the month, and the first settlement early in the month after a month of service.
PHASE_DUE_DAYS = {1: 3, 2: 7, 3: 14, 4: 21, 5: 28, 6: 65}


# Who looks after each phase's items by default (a concern, or a work item the table below does not name).
PHASE_ROLES = {1: "sales", 2: "sales", 3: "sales", 4: "trainer", 5: "trainer", 6: "finance"}

# What ticks a plan item by itself: the event, and the PipelineFacts test that says it happened.
PLAN_EVENTS = (
    "needs_recorded",
    "quote_sent",
    "quote_accepted",
    "contract_signed",
    "deposit_received",
    "materials_uploaded",
    "training_done",
    "agents_live",
    "invoice_issued",
)

# The template's work items: the role that owns each, and the event that ticks it ("" = by hand, or
# when its whole phase is done).
WORK_RULES: dict[str, tuple[str, str]] = {
    "与店铺负责人沟通并确认外包需求": ("sales", "needs_recorded"),
    "收集近 30 天咨询量、询单转化率与客单价数据": ("sales", "needs_recorded"),
    "制定外包计划：各阶段重点关注问题与重点工作": ("sales", ""),
    "根据需求测算坐席数并出具报价单": ("sales", "quote_sent"),
    "与客户洽谈价格并确认报价": ("sales", "quote_accepted"),
    "起草合同并约定考核指标": ("sales", "contract_signed"),
    "完成合同签署并归档签字版": ("sales", "contract_signed"),
    "确认定金到账": ("finance", "deposit_received"),
    "向客户发送培训材料清单并收齐材料": ("trainer", "materials_uploaded"),
    "安排培训场次并完成培训（一般 3–5 天）": ("trainer", "training_done"),
    "组织产品知识考试": ("trainer", "training_done"),
    "子账号与密码准备并完成认证": ("trainer", "agents_live"),
    "快捷短语导入": ("trainer", "agents_live"),
    "分流设置与跟岗实习": ("trainer", "agents_live"),
    "客服正式上线接待": ("manager", "agents_live"),
    "核对当期咨询量与业绩数据": ("finance", "invoice_issued"),
    "出具结算单与发票": ("finance", "invoice_issued"),
    "跟进回款": ("finance", ""),
}


def item_rule(phase: int, kind: str, title: str) -> tuple[str, str]:
    """(owner role, ticking event) of a template item; a concern belongs to its phase's role."""
    if kind == "work" and title in WORK_RULES:
        return WORK_RULES[title]
    return PHASE_ROLES.get(phase, "sales"), ""


@dataclass(frozen=True)
class TemplateItem:
    phase: int
    kind: str  # "concern" or "work"
    position: int
    title: str
    due_on: date
    owner_role: str = "sales"  # sales / trainer / finance / manager
    event: str = ""  # a PLAN_EVENTS code that ticks it, or ""


def plan_from_template(
    start_on: date, template: dict[int, dict[str, tuple[str, ...]]] | None = None
) -> list[TemplateItem]:
    """The items of a new plan starting on ``start_on``, in phase order, concerns before work."""
    template = DEFAULT_PLAN if template is None else template
    items: list[TemplateItem] = []
    for phase in PHASE_NUMBERS:
        due_on = start_on + timedelta(days=PHASE_DUE_DAYS[phase])
        position = 0
        for kind in ("concern", "work"):
            for title in template.get(phase, {}).get(kind, ()):
                items.append(
                    TemplateItem(phase, kind, position, title, due_on, *item_rule(phase, kind, title))
                )
                position += 1
    return items


@dataclass(frozen=True)
class PhaseProgress:
    phase: int
    done: int
    total: int
    overdue: int

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0


def events_happened(facts: "PipelineFacts") -> set[str]:
    """The PLAN_EVENTS that the client's facts show have happened."""
    happened = {
        "needs_recorded": facts.has_needs,
        "quote_sent": facts.quotes_sent > 0 or facts.quotes_accepted > 0,
        "quote_accepted": facts.quotes_accepted > 0,
        "contract_signed": facts.contracts_signed > 0,
        "deposit_received": facts.deposit_received,
        "materials_uploaded": facts.materials_uploaded > 0,
        "training_done": facts.training_done,
        "agents_live": facts.agents_live > 0,
        "invoice_issued": facts.invoices_issued > 0,
    }
    return {event for event, yes in happened.items() if yes}


def item_done_by(
    done_by_hand: bool, event: str, phase: int, happened: set[str], phases_done: set[int]
) -> str:
    """Why a plan item counts as done: "hand" (ticked by someone), "event" (what it waits for has
    happened), "phase" (the pipeline is past its phase), or "" (not done).

    So a client that is live shows no stale overdue items, and nobody ticks what the system knows.
    """
    if done_by_hand:
        return "hand"
    if event and event in happened:
        return "event"
    if phase in phases_done:
        return "phase"
    return ""


def plan_progress(items: Iterable[tuple[int, bool, date | None]], today: date) -> dict[int, PhaseProgress]:
    """Progress per phase from ``items``: (phase, is_done, due_on) triples.

    An item is overdue when it is not done and its due date is before ``today``.
    """
    counts = {phase: [0, 0, 0] for phase in PHASE_NUMBERS}
    for phase, is_done, due_on in items:
        row = counts[phase]
        row[1] += 1
        if is_done:
            row[0] += 1
        elif due_on is not None and due_on < today:
            row[2] += 1
    return {phase: PhaseProgress(phase, *row) for phase, row in counts.items()}


# --- where a client stands in the six phases ----------------------------------------------


@dataclass(frozen=True)
class PipelineFacts:
    """What is known about a client, gathered by the services (later modules add theirs).

    Each later module feeds its own fields; the defaults mean "nothing yet".
    """

    stage: str = "lead"
    has_needs: bool = False
    quotes_sent: int = 0
    quotes_accepted: int = 0
    contracts_signed: int = 0  # contracts active (or once active)
    training_done: bool = False  # agents trained and passed the exam
    agents_live: int = 0  # assignments gone live
    invoices_issued: int = 0
    deposit_received: bool = False  # a signed contract's deposit is in (or none was due)
    materials_uploaded: int = 0  # the client's training materials


# A client's stage vouches for the phases behind it even before later modules record their facts
# (e.g. a client entered as "live" has finished phases 1 to 5).
STAGE_PHASES_DONE = {"lead": 0, "negotiating": 1, "contracted": 3, "onboarding": 3, "live": 5}

PHASE_STATES = ("done", "current", "todo")


@dataclass(frozen=True)
class PhaseStatus:
    phase: int
    state: str  # done / current / todo
    started: bool  # some work recorded (e.g. a quote sent) though the phase is not done


def pipeline_phases(facts: PipelineFacts) -> list[PhaseStatus]:
    """The state of each of the six phases: every phase before the first unfinished one is done,
    that one is current, the rest are to do. Settlement (6) is done once an invoice is issued."""
    finished = {
        1: facts.has_needs,
        2: facts.quotes_accepted > 0,
        3: facts.contracts_signed > 0,
        4: facts.training_done,
        5: facts.agents_live > 0,
        6: facts.invoices_issued > 0,
    }
    started = {2: facts.quotes_sent > 0}
    floor = STAGE_PHASES_DONE.get(facts.stage, 0)
    done_through = 0
    for phase in PHASE_NUMBERS:
        if phase <= floor or finished[phase]:
            done_through = phase
        else:
            break
    result = []
    for phase in PHASE_NUMBERS:
        if phase <= done_through:
            state = "done"
        elif phase == done_through + 1:
            state = "current"
        else:
            state = "todo"
        result.append(PhaseStatus(phase, state, started.get(phase, False) and state != "done"))
    return result


def current_phase(facts: PipelineFacts) -> int | None:
    """The number of the current phase, or None when all six are done."""
    return next((p.phase for p in pipeline_phases(facts) if p.state == "current"), None)


# --- what changed between two versions of the needs ---------------------------------------

NEEDS_DIFF_FIELDS = (
    "platform",
    "scope",
    "shifts",
    "avg_daily_consults",
    "peak_daily_consults",
    "peak_hour_share_bp",
    "aht_seconds",
    "concurrency",
    "sl_target_bp",
    "sl_answer_seconds",
    "avg_order_value_fen",
    "inquiry_conversion_bp",
    "category",
    "complexity",
    "sku_count",
    "special_requirements",
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


def _comparable(value: object) -> object:
    if isinstance(value, list | tuple):
        return tuple(sorted(value))
    if value == "":
        return None
    return value


def diff_needs(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """The fields whose values differ between two needs versions (dicts of field -> value), in
    form order. ``before`` None (the first version) gives no changes. Shift lists compare as sets;
    an empty string equals a missing value."""
    if before is None:
        return []
    return [
        FieldChange(field, before.get(field), after.get(field))
        for field in NEEDS_DIFF_FIELDS
        if _comparable(before.get(field)) != _comparable(after.get(field))
    ]
