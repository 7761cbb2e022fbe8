"""/api/v1 quotes and contracts (read; contracts with terms, KPI clauses and deposit), and a
contract's dated extras (节假日补贴, 大促临时客服: billing:write)."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ops.api.core import (
    ListArgs,
    UpdatedSinceArgs,
    api_actor,
    api_blueprint,
    get_scoped,
    page_of,
    page_schema,
    requires,
    scoped,
    single,
    token,
    write,
)
from ops.api.schemas import (
    ContractSchema,
    DatedExtraCreateSchema,
    DatedExtraSchema,
    QuoteSchema,
)
from ops.auth.scopes import BILLING_WRITE, READ
from ops.billing.models import ContractExtraEntry
from ops.billing.services import extras
from ops.contracts.models import Contract, ContractKpi
from ops.quotes.models import Quote
from ops.quotes.states import CLIENT_VISIBLE as CLIENT_VISIBLE_QUOTES

blp = api_blueprint("sales", "报价与合同")

# What a client's token sees of its own quotes and contracts: what its portal shows (no drafts).
QUOTES_SEEN = (Quote.status, CLIENT_VISIBLE_QUOTES)
CONTRACTS_SEEN = (Contract.status, ("pending_signature", "active", "expired", "terminated"))


class QuoteListArgs(ListArgs):
    client_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    status = ma.fields.String(validate=ma.validate.Length(max=20))


class ContractListArgs(UpdatedSinceArgs):
    client_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    status = ma.fields.String(validate=ma.validate.Length(max=20))


def _filtered(stmt, model, args):
    if args.get("client_id"):
        stmt = stmt.where(model.client_id == args["client_id"])
    if args.get("status"):
        stmt = stmt.where(model.status == args["status"])
    return stmt


@blp.route("/quotes", methods=["GET"])
@requires(READ)
@blp.arguments(QuoteListArgs, location="query")
@blp.response(200, page_schema(QuoteSchema))
def list_quotes(args):
    """报价列表（可按 client_id、status 筛选）"""
    stmt = _filtered(scoped(sa.select(Quote), Quote.client_id, QUOTES_SEEN), Quote, args)
    return page_of(stmt, Quote, args)


@blp.route("/quotes/<int:quote_id>", methods=["GET"])
@requires(READ)
@blp.response(200, QuoteSchema)
@blp.alt_response(304, description="未修改")
def get_quote(quote_id):
    """单个报价，带 ETag"""
    return single(get_scoped(Quote, quote_id, client_visible=QUOTES_SEEN), QuoteSchema())


_CONTRACT_LOAD = selectinload(Contract.kpis).selectinload(ContractKpi.bands)


@blp.route("/contracts", methods=["GET"])
@requires(READ)
@blp.arguments(ContractListArgs, location="query")
@blp.response(200, page_schema(ContractSchema))
def list_contracts(args):
    """合同列表（含条款、KPI 条款、押金；可按 client_id、status、updated_since 筛选）"""
    stmt = _filtered(
        scoped(sa.select(Contract).options(_CONTRACT_LOAD), Contract.client_id, CONTRACTS_SEEN),
        Contract,
        args,
    )
    return page_of(stmt, Contract, args, updated_column=Contract.updated_at)


@blp.route("/contracts/<int:contract_id>", methods=["GET"])
@requires(READ)
@blp.response(200, ContractSchema)
@blp.alt_response(304, description="未修改")
def get_contract(contract_id):
    """单个合同，带 ETag"""
    return single(get_scoped(Contract, contract_id, client_visible=CONTRACTS_SEEN), ContractSchema())


@blp.route("/contracts/<int:contract_id>/dated-extras", methods=["GET"])
@requires(READ)
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(DatedExtraSchema))
def list_dated_extras(args, contract_id):
    """合同的按日附加费（节假日补贴、大促临时客服、加班补贴）"""
    contract = get_scoped(Contract, contract_id, client_visible=CONTRACTS_SEEN)
    stmt = sa.select(ContractExtraEntry).where(ContractExtraEntry.contract_id == contract.id)
    return page_of(stmt, ContractExtraEntry, args)


@blp.route("/contracts/<int:contract_id>/dated-extras", methods=["POST"])
@requires(BILLING_WRITE)
@blp.arguments(DatedExtraCreateSchema)
@blp.response(201, DatedExtraSchema)
def create_dated_extra(data, contract_id):
    """登记按日附加费（在其日期所在的账期计费；单价省略时取合同约定单价）"""
    contract = get_scoped(Contract, contract_id, client_visible=CONTRACTS_SEEN)
    return write(
        lambda: extras.add_entry(contract, **data, source="api", by=api_actor(token())),
        lambda entry: single(entry, DatedExtraSchema(), 201),
    )
