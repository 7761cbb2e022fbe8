"""Demo data for go-live: agents at every status, assignments with checklists in every state."""

from datetime import date, timedelta

from ops.extensions import db
from ops.onboarding import services
from ops.onboarding.models import Agent, Assignment
from ops.timeutil import today

NAMES = (
    "张晓雯",
    "李梦洁",
    "王思远",
    "刘佳怡",
    "陈子涵",
    "杨雨桐",
    "赵一鸣",
    "黄诗琪",
    "周欣然",
    "吴昊天",
    "徐静怡",
    "孙浩然",
    "胡雅婷",
    "朱俊杰",
    "高婉清",
    "林雨萱",
    "何文博",
    "郭晓燕",
    "马梓轩",
    "罗佳琪",
    "梁思雨",
    "宋嘉豪",
    "郑可欣",
    "谢明轩",
    "韩露",
)
SKILLS = (["售前"], ["售后"], ["售前", "售后"], ["售前", "英语"], ["售后", "纠纷处理"])
PLATFORM_SETS = (["tmall", "taobao"], ["pdd"], ["jd"], ["douyin", "kuaishou"], ["tmall", "jd", "pdd"])
BLOCK_REASONS = {  # item title -> why it is stuck
    "子账号已创建": "店铺尚未开通子账号名额，等待客户在卖家中心增购",
    "实人认证已完成（7 天内扫码）": "实人认证二维码已过期，等待店长重新发起",
    "快捷短语已导入": "快捷短语库客户还未提供最新版",
}


def _clamp(day: date, start: date, end: date) -> date:
    return max(start, min(day, end))


SEAT_OVERRIDE_REASON = "大促期间客户临时加人，经理批准超编"


def _assign(agent, contract, index: int, planned: date, by, manager=None) -> Assignment:
    """Assign within the contract's seats: a seat row with room (cycling by ``index``), or — when every
    seat is taken — the manager exceeds the seats with a reason (the demo shows such overrides)."""
    planned = _clamp(planned, contract.start_on, contract.end_on)
    scope = "aftersales" if index % 3 == 0 else "presales"
    shift = ("day", "evening", "day", "full")[index % 4]
    override = ""
    rows = services.seat_usage(contract, planned)
    if rows:
        free = [r for r in rows if r["used"] < r["sold"]]
        pick = (free or rows)[index % len(free or rows)]
        scope, shift = pick["scope"], pick["shift"]
        if not free:
            by, override = manager or by, SEAT_OVERRIDE_REASON
    return services.create_assignment(
        agent,
        contract,
        scope=scope,
        shift=shift,
        planned_go_live_on=planned,
        by=by,
        override_reason=override,
    )


def _tick(assignment: Assignment, count: int, doer, checker) -> None:
    """Mark the first ``count`` open items done (verified by a second person where required)."""
    for item in assignment.items[:count]:
        if item.state != "todo":
            continue
        services.mark_item_done(item, by=doer, evidence="已核对，截图见项目群")
        if item.needs_verification:
            services.mark_item_verified(item, by=checker)


def load_onboarding_demo(contracts: list, users: dict) -> list[Agent]:
    """~25 agents, assignments on the demo's active (and pending-signature) contracts, checklists in
    every state, encrypted credentials for some, one overdue planned go-live, some live, one ended.
    Ensures the default checklist template and the platform rules. The caller commits."""
    services.ensure_default_template()
    services.ensure_platform_rules()
    trainer = users.get("trainer") or users.get("manager") or users.get("admin")
    manager = users.get("manager") or users.get("admin") or trainer
    on = today()

    agents = []
    for i, name in enumerate(NAMES):
        agents.append(
            services.create_agent(
                {
                    "name": name,
                    "employee_no": f"YF-{i + 1:04d}",
                    "phone": f"138{(i * 7919 + 1357) % 100000000:08d}",
                    "skills": SKILLS[i % len(SKILLS)],
                    "platforms": PLATFORM_SETS[i % len(PLATFORM_SETS)],
                    "status": "recruiting",
                },
                by=trainer,
            )
        )
    db.session.flush()
    active = [c for c in contracts if c.status == "active"]
    pending = [c for c in contracts if c.status == "pending_signature"]
    if not active or trainer is None:
        return agents

    def contract_for(i):
        return active[i % len(active)]

    # 0-3 stay recruiting (no assignment). 4-11 live, one of them through a manager's override.
    for i in range(4, 12):
        contract = contract_for(i)
        go_live_on = _clamp(on - timedelta(days=70 - 6 * i), contract.start_on, on)
        assignment = _assign(agents[i], contract, i, go_live_on, trainer, manager)
        _tick(assignment, len(assignment.items) - (1 if i == 11 else 0), trainer, manager)
        services.set_credential(
            assignment,
            agents[i].platforms[0],
            f"{contract.client.name[:6]}:客服{i:02d}",
            f"Yf#{i:02d}demo!",
            by=trainer,
        )
        services.go_live(
            assignment,
            by=manager,
            on=go_live_on,
            override_reason="大促前客户要求提前上线，质检次日补开" if i == 11 else "",
        )
    # 12: live, then ended (the agent left).
    contract = contract_for(12)
    start = _clamp(on - timedelta(days=40), contract.start_on, on - timedelta(days=5))
    assignment = _assign(agents[12], contract, 12, start, trainer, manager)
    _tick(assignment, len(assignment.items), trainer, manager)
    services.go_live(assignment, by=trainer, on=start)
    services.end_assignment(assignment, by=manager, end_on=on - timedelta(days=2), agent_left=True)
    # 13-15 ready: checklist complete, go-live planned this week or next.
    for i in range(13, 16):
        assignment = _assign(agents[i], contract_for(i), i, on + timedelta(days=i - 12), trainer, manager)
        _tick(assignment, len(assignment.items), trainer, manager)
        if i == 13:
            services.set_credential(
                assignment,
                "tmall",
                f"{contract_for(i).client.name[:6]}:客服{i:02d}",
                "Ready#2026",
                by=trainer,
            )
        services.set_agent_status(agents[i], "ready", by=trainer, reason="清单已完成，等待上线")
    # 16-21 training: items in every state; 16 is overdue, 17-18 blocked, 19 has an n/a item.
    for i in range(16, 22):
        planned = on - timedelta(days=4) if i == 16 else on + timedelta(days=3 * (i - 14))
        assignment = _assign(agents[i], contract_for(i), i, planned, trainer, manager)
        titles = list(BLOCK_REASONS)
        block_title = {17: titles[0], 18: titles[1], 21: titles[2]}.get(i)
        if block_title:
            item = next(
                (it for it in assignment.items if it.title == block_title and it.state == "todo"), None
            )
            item = item or next(it for it in assignment.items if it.state == "todo" and it.required)
            services.mark_item_blocked(item, by=trainer, reason=BLOCK_REASONS[block_title])
        _tick(assignment, 2 + (i % 4), trainer, manager)
        if i in (19, 20):
            optional = next((it for it in assignment.items if not it.required and it.state == "todo"), None)
            if optional is not None:
                services.mark_item_na(optional, by=trainer)
    # 22-23 on a contract awaiting signature (go-live planned after it starts).
    for i in (22, 23):
        contract = pending[0] if pending else contract_for(i)
        _assign(agents[i], contract, i, contract.start_on + timedelta(days=5 + i - 22), trainer, manager)
    # 24 left before ever being assigned.
    services.set_agent_status(agents[24], "left", by=trainer, reason="入职前放弃")
    db.session.flush()
    return agents
