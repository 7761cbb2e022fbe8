"""/api/v1 agents and assignments (read), agents created in bulk (clients:write, all or nothing).

Never a credential, a phone number or a note: only name, status, skills, platforms, and where an
agent works. A client token sees the agents assigned to its client and its assignments.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest import abort
from sqlalchemy.orm import joinedload

from ops.api.core import (
    ListArgs,
    api_actor,
    api_blueprint,
    check_id,
    client_scope,
    json_response,
    page_of,
    page_schema,
    requires,
    scoped,
    single,
    token,
)
from ops.api.problems import problem
from ops.api.schemas import AgentBulkResultSchema, AgentBulkSchema, AgentSchema, AssignmentSchema
from ops.auth.scopes import CLIENTS_WRITE, READ
from ops.extensions import db
from ops.onboarding.models import Agent, Assignment
from ops.onboarding.services.agent_import import AgentImportError, create_agents

blp = api_blueprint("staffing", "客服与上岗安排")


class AgentListArgs(ListArgs):
    status = ma.fields.String(validate=ma.validate.Length(max=12))


class AssignmentListArgs(ListArgs):
    client_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    contract_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    agent_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))


def _visible_agents():
    stmt = sa.select(Agent)
    cid = client_scope()
    if cid is not None:
        stmt = stmt.where(sa.exists().where(Assignment.agent_id == Agent.id, Assignment.client_id == cid))
    return stmt


@blp.route("/agents", methods=["GET"])
@requires(READ)
@blp.arguments(AgentListArgs, location="query")
@blp.response(200, page_schema(AgentSchema))
def list_agents(args):
    """客服列表（客户令牌只看到安排在本客户的客服）"""
    stmt = _visible_agents()
    if args.get("status"):
        stmt = stmt.where(Agent.status == args["status"])
    return page_of(stmt, Agent, args)


@blp.route("/agents/<int:agent_id>", methods=["GET"])
@requires(READ)
@blp.response(200, AgentSchema)
@blp.alt_response(304, description="未修改")
def get_agent(agent_id):
    """单个客服（不含手机号、备注、平台账号），带 ETag"""
    check_id(agent_id)
    agent = db.session.scalar(_visible_agents().where(Agent.id == agent_id))
    if agent is None:
        abort(404)
    return single(agent, AgentSchema())


@blp.route("/agents/bulk", methods=["POST"])
@requires(CLIENTS_WRITE)
@blp.arguments(AgentBulkSchema)
@blp.response(201, AgentBulkResultSchema)
def create_agents_bulk(data):
    """批量添加客服：全部成功或全部不添加（422 列出每一行的错误）"""
    try:
        agents = create_agents(data["agents"], by=api_actor(token()))
    except AgentImportError as exc:
        db.session.rollback()
        errors = [{"row": e.row, "field": str(e.column), "message": str(e.message)} for e in exc.errors]
        return problem(422, f"{exc.total} 处错误，未添加任何客服。", errors=errors)
    db.session.commit()
    return json_response({"created": AgentSchema().dump(agents, many=True)}, 201)


@blp.route("/assignments", methods=["GET"])
@requires(READ)
@blp.arguments(AssignmentListArgs, location="query")
@blp.response(200, page_schema(AssignmentSchema))
def list_assignments(args):
    """上岗安排（客服 × 合同 × 班次；可按 client_id、contract_id、agent_id 筛选）"""
    stmt = scoped(sa.select(Assignment).options(joinedload(Assignment.agent)), Assignment.client_id)
    for key in ("client_id", "contract_id", "agent_id"):
        if args.get(key):
            stmt = stmt.where(getattr(Assignment, key) == args[key])
    return page_of(stmt, Assignment, args)
