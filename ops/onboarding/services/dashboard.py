"""Lists and the dashboard: the filters of the agent and assignment lists, and the dashboard's figures
aggregated in SQL with the very same conditions."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ops.clients.models import Client
from ops.contracts.models import Contract
from ops.extensions import db
from ops.onboarding import checklist
from ops.onboarding.models import AGENT_STATES, Agent, Assignment, ChecklistItem
from ops.onboarding.services.common import ASSIGNABLE_CONTRACT_STATES
from ops.onboarding.states import ASSIGNMENT_STATE_LABELS, FUNNEL
from ops.timeutil import today


def current_condition(on: date):
    """SQL: the assignment is not cancelled and has not ended by ``on`` (the end day is not served)."""
    return sa.and_(
        Assignment.cancelled_at.is_(None), sa.or_(Assignment.end_on.is_(None), Assignment.end_on > on)
    )


def assignment_state_condition(state: str, on: date):
    """SQL for ``ops.onboarding.states.assignment_state`` (the same rule, in the same order)."""
    if state == "pending":
        return sa.and_(Assignment.go_live_on.is_(None), current_condition(on))
    if state == "live":
        return sa.and_(Assignment.go_live_on.is_not(None), current_condition(on))
    if state == "ended":
        return sa.and_(
            Assignment.cancelled_at.is_(None), Assignment.end_on.is_not(None), Assignment.end_on <= on
        )
    if state == "cancelled":
        return Assignment.cancelled_at.is_not(None)
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


def clients_with_agents(on: date | None = None):
    """SELECT of the ids of the clients with agents serving or onboarding there now, by name: the rows
    of the dashboard's per-client table, which the view pages through."""
    current = current_condition(on or today())
    return (
        sa.select(Client.id)
        .where(sa.select(Assignment.id).where(Assignment.client_id == Client.id, current).exists())
        .order_by(Client.name, Client.id)
    )


def dashboard_data(on: date | None = None, client_ids: list[int] | None = None) -> dict:
    """Every figure of the onboarding dashboard, aggregated in SQL (a fixed number of queries
    whatever the number of agents). Each figure carries the filters of the list behind it.
    ``client_ids``: the clients of the per-client table's page (None: every client)."""
    on = on or today()
    monday = week_start(on)
    current = current_condition(on)
    pending = assignment_state_condition("pending", on)

    # Agents by status per client (agents serving or onboarding there now).
    by_client: dict[int, dict] = {}
    by_client_stmt = (
        sa.select(Assignment.client_id, Client.name, Agent.status, sa.func.count(sa.distinct(Agent.id)))
        .join(Agent, Agent.id == Assignment.agent_id)
        .join(Client, Client.id == Assignment.client_id)
        .where(current)
        .group_by(Assignment.client_id, Client.name, Agent.status)
    )
    if client_ids is not None:
        by_client_stmt = by_client_stmt.where(Assignment.client_id.in_(client_ids))
    rows = db.session.execute(by_client_stmt)
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
    completion.sort(key=lambda c: (c["percent"], c["name"], c["client_id"]))  # the least complete first

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
        "by_client": sorted(by_client.values(), key=lambda e: (e["name"], e["client_id"])),
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


PANEL_FILTERS = {  # the staff dashboard's onboarding panel: each count is the list behind its link
    "pending": {"state": "pending"},
    "overdue": {"overdue": 1},
    "blocked": {"blocked": 1},
}


def panel_counts(on: date | None = None) -> dict[str, int]:
    """{pending, overdue, blocked}: assignments counted with the assignment list's own filters."""
    on = on or today()
    return {
        name: db.session.scalar(filter_assignments(sa.select(sa.func.count(Assignment.id)), filters, on)) or 0
        for name, filters in PANEL_FILTERS.items()
    }
