"""Agents imported from a CSV file: checked whole, created all together or not at all.

The file's rows are read and checked by ``ops.onboarding.agent_csv`` (pure); here they are checked
against the agents already stored (employee number, phone) and created through ``create_agent``,
which audits each agent ("agent.created"); one more entry ("agent.imported") records the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ops import i18n
from ops.audit.services import record
from ops.extensions import db
from ops.onboarding.agent_csv import AgentCsvResult, AgentRow, RowError, parse_agent_csv, phone_key
from ops.onboarding.models import Agent
from ops.onboarding.services.agents import create_agent
from ops.onboarding.services.common import OnboardingError
from ops.transactions import take_write_lock

MSG_CONFLICT = _l("另一位同事同时添加了相同工号的客服，未导入任何客服：请重新上传")


class AgentImportError(OnboardingError):
    """A refused import (nothing was stored): ``errors`` lists the bad rows (the first
    ``agent_csv.MAX_ERRORS``), ``total`` counts them all."""

    def __init__(self, errors: list[RowError], total: int):
        self.errors = list(errors)
        self.total = max(total, len(self.errors))
        super().__init__(f"{self.total} 处错误，未导入任何数据")


@dataclass
class AgentImport:
    agents: list[Agent]
    ignored_columns: list[str]


def check_against_stored(result: AgentCsvResult) -> None:
    """Add an error for each row whose employee number or phone an agent already has."""
    if not result.rows:
        return
    numbers = {r.employee_no.lower() for r in result.rows}
    taken = dict(
        db.session.execute(
            sa.select(sa.func.lower(Agent.employee_no), Agent.name).where(
                sa.func.lower(Agent.employee_no).in_(numbers)
            )
        ).all()
    )
    phones = {
        phone_key(phone): (no, name)
        for no, name, phone in db.session.execute(
            sa.select(Agent.employee_no, Agent.name, Agent.phone).where(Agent.phone != "")
        ).all()
    }
    bad: set[int] = set()
    for row in result.rows:
        if row.employee_no.lower() in taken:
            result.add(
                row.row,
                _("工号"),
                _(
                    "工号 %(no)s 已被客服 %(name)s 使用",
                    no=row.employee_no,
                    name=taken[row.employee_no.lower()],
                ),
            )
            bad.add(row.row)
        key = phone_key(row.phone)
        if key and key in phones:
            no, name = phones[key]
            result.add(
                row.row,
                _("手机"),
                _(
                    "手机号 %(phone)s 已登记在客服 %(name)s（工号 %(no)s）名下",
                    phone=row.phone,
                    name=name,
                    no=no,
                ),
            )
            bad.add(row.row)
    result.rows = [r for r in result.rows if r.row not in bad]
    result.errors.sort(key=lambda e: e.row)


def check_agent_file(binary) -> AgentCsvResult:
    """Read and check the file, against the stored agents too; writes nothing."""
    result = parse_agent_csv(binary)
    if result.ok:
        check_against_stored(result)
    return result


def import_agents(binary, *, by=None) -> AgentImport:
    """Create every agent of the CSV file, or none: raises AgentImportError listing every bad row."""
    take_write_lock()
    result = check_agent_file(binary)
    if not result.ok:
        raise AgentImportError(result.errors, result.error_count)
    agents = _create_all(result.rows, by)
    record(
        "agent.imported",
        object_type="agents",
        summary=i18n._l("CSV 导入 %(n)s 名客服", n=len(agents)),
        after={"count": len(agents), "agent_ids": [a.id for a in agents]},
        actor=by,
    )
    return AgentImport(agents=agents, ignored_columns=result.ignored_columns)


def _create_all(rows: list[AgentRow], by) -> list[Agent]:
    agents = []
    try:
        for row in rows:
            agents.append(create_agent(row.data(), by=by))
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise AgentImportError([RowError(0, "", MSG_CONFLICT)], 1) from exc
    except OnboardingError as exc:  # a clash found by create_agent (another import, just committed)
        raise AgentImportError([RowError(row.row, "", exc.message)], 1) from exc
    return agents


def create_agents(rows: list[dict], *, by=None) -> list[Agent]:
    """Create every agent of ``rows`` (``create_agent``'s fields), or none (the API's bulk create).

    Every row is checked — against the stored agents and the rows before it — and all refusals are
    raised together in one ``AgentImportError`` (``row`` counts from 1); nothing is stored then. A
    concurrent creation of the same employee number is caught by the UNIQUE index (nothing stored).
    """
    take_write_lock()
    errors: list[RowError] = []
    agents: list[Agent] = []
    seen: set[str] = set()
    for n, data in enumerate(rows, start=1):
        number = (data.get("employee_no") or "").strip().lower()
        if number and number in seen:
            errors.append(RowError(n, "employee_no", _("工号 %(no)s 在本批中重复", no=data["employee_no"])))
            continue
        seen.add(number)
        try:
            with db.session.begin_nested():
                agents.append(create_agent(data, by=by))
                db.session.flush()
        except OnboardingError as exc:
            errors.append(RowError(n, exc.field or "", exc.message))
        except IntegrityError:
            errors.append(RowError(n, "employee_no", MSG_CONFLICT))
    if errors:
        raise AgentImportError(errors, len(errors))
    record(
        "agent.imported",
        object_type="agents",
        summary=i18n._l("API 批量添加 %(n)s 名客服", n=len(agents)),
        after={"count": len(agents), "agent_ids": [a.id for a in agents]},
        actor=by,
    )
    return agents
