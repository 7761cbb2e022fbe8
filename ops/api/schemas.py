"""The marshmallow schemas of /api/v1: they validate requests, shape answers and write the OpenAPI
document (flask-smorest). Money in integer fen, rates in basis points, as everywhere.

Agents and assignments carry no credential, phone, ID number or note: only name, status, skills,
platforms and where they work (docs/api.md).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

MAX_INT = 2**31 - 1
MAX_FEN = 10**15  # far beyond any real amount; keeps every value inside BIGINT
Id = ma.fields.Integer


def _printable(value: str) -> None:
    """No NUL or lone surrogate: no database column could store them."""
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ma.ValidationError("包含无法保存的字符。")


def Text(max_length: int, **kwargs) -> f.String:  # noqa: N802  (a field factory, used like a field)
    return f.String(validate=[v.Length(max=max_length), _printable], **kwargs)


def PositiveId(**kwargs) -> f.Integer:  # noqa: N802
    return f.Integer(validate=v.Range(min=1, max=MAX_INT), strict=True, **kwargs)


class ReadOnly(ma.Schema):
    class Meta:
        ordered = True


# --- clients and contacts --------------------------------------------------------------------


class ContactSchema(ReadOnly):
    id = f.Integer(dump_only=True)
    client_id = f.Integer(dump_only=True)
    name = f.String()
    title = f.String()
    phone = f.String()
    email = f.String()
    wechat = f.String()
    is_primary = f.Boolean()
    is_finance = f.Boolean()
    locale = f.String()


class ClientSchema(ReadOnly):
    id = f.Integer()
    name = f.String()
    legal_name = f.String()
    tax_id = f.String(allow_none=True)
    category = f.String()
    stage = f.String()
    owner_id = f.Integer(allow_none=True)
    address = f.String()
    phone = f.String()
    bank_name = f.String()
    bank_account = f.String()
    notes = f.String()
    created_at = f.AwareDateTime()
    updated_at = f.AwareDateTime()
    archived_at = f.AwareDateTime(allow_none=True)
    contacts = f.List(f.Nested(ContactSchema))


class ClientWriteSchema(ma.Schema):
    """A client's fields as sent: ``name`` required when creating; PATCH sends only what changes."""

    class Meta:
        unknown = ma.RAISE

    name = Text(100, metadata={"description": "客户（店铺/品牌）名称"})
    legal_name = Text(200, metadata={"description": "公司全称"})
    tax_id = Text(18, allow_none=True, metadata={"description": "统一社会信用代码（18 位）"})
    category = Text(50)
    owner_id = PositiveId(allow_none=True, metadata={"description": "负责人（销售或经理）的用户 id"})
    address = Text(300)
    phone = Text(50)
    bank_name = Text(100)
    bank_account = Text(50)
    notes = Text(5000)


class ClientCreateSchema(ClientWriteSchema):
    name = Text(100, required=True, metadata={"description": "客户（店铺/品牌）名称"})


class ContactWriteSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = Text(50)
    title = Text(50)
    phone = Text(30)
    email = Text(200)
    wechat = Text(50)
    is_primary = f.Boolean()
    is_finance = f.Boolean()
    locale = f.String(validate=v.OneOf(("zh", "en")))


class ContactCreateSchema(ContactWriteSchema):
    name = Text(50, required=True)


class NeedsSchema(ReadOnly):
    id = f.Integer()
    client_id = f.Integer()
    version = f.Integer()
    platform = f.String()
    scope = f.String()
    shifts = f.List(f.String())
    avg_daily_consults = f.Integer()
    peak_daily_consults = f.Integer(allow_none=True)
    peak_hour_share_bp = f.Integer(allow_none=True)
    aht_seconds = f.Integer(allow_none=True)
    concurrency = f.Integer(allow_none=True)
    sl_target_bp = f.Integer(allow_none=True)
    sl_answer_seconds = f.Integer(allow_none=True)
    avg_order_value_fen = f.Integer(allow_none=True)
    inquiry_conversion_bp = f.Integer(allow_none=True)
    category = f.String()
    complexity = f.Integer()
    sku_count = f.Integer(allow_none=True)
    special_requirements = f.String()
    created_at = f.AwareDateTime()


# --- quotes and contracts ---------------------------------------------------------------------


class QuoteSchema(ReadOnly):
    id = f.Integer()
    client_id = f.Integer()
    number = f.String()
    version = f.Integer()
    status = f.String()
    model = f.String()
    terms = f.Dict()
    lines = f.List(f.Dict())
    subtotal_fen = f.Integer()
    discount_bp = f.Integer()
    discount_fen = f.Integer()
    total_fen = f.Integer(metadata={"description": "折扣后的月度估价（分）"})
    valid_days = f.Integer()
    valid_until = f.Date(allow_none=True)
    sent_at = f.AwareDateTime(allow_none=True)
    decided_at = f.AwareDateTime(allow_none=True)
    created_at = f.AwareDateTime()


class KpiBandSchema(ReadOnly):
    threshold = f.Integer()
    deduction_bp = f.Integer()
    deduction_fen = f.Integer()


class KpiClauseSchema(ReadOnly):
    metric = f.String()
    comparison = f.String(metadata={"description": "lte：不高于；gte：不低于"})
    deduction_kind = f.String()
    note = f.String()
    bands = f.List(f.Nested(KpiBandSchema))


class DepositSchema(ReadOnly):
    deposit_fen = f.Integer()
    deposit_usage = f.String()
    deposit_status = f.String()
    deposit_due_on = f.Date(allow_none=True)
    deposit_received_on = f.Date(allow_none=True)
    deposit_received_fen = f.Integer(allow_none=True)
    deposit_applied_fen = f.Integer()
    deposit_settled_on = f.Date(allow_none=True)


class ContractSchema(ReadOnly):
    id = f.Integer()
    number = f.String(allow_none=True)
    client_id = f.Integer()
    quote_id = f.Integer(allow_none=True)
    status = f.String()
    title = f.String()
    start_on = f.Date()
    end_on = f.Date()
    auto_renew = f.Boolean()
    model = f.String()
    terms = f.Dict(metadata={"description": "合同条款（席位、单价、附加费），金额以分计"})
    billing_cycle = f.String()
    billing_timing = f.String()
    due_rule = f.String()
    due_value = f.Integer()
    late_fee_bp_per_day = f.Integer()
    late_fee_grace_days = f.Integer()
    tax_rate_bp = f.Integer()
    prices_include_tax = f.Boolean()
    invoice_type = f.String()
    kpi_cap_bp = f.Integer()
    breakin_months = f.Integer()
    kpi_clauses = f.List(f.Nested(KpiClauseSchema), attribute="kpis")
    deposit = f.Method("dump_deposit")
    signed_on = f.Date(allow_none=True)
    activated_at = f.AwareDateTime(allow_none=True)
    terminated_on = f.Date(allow_none=True)
    created_at = f.AwareDateTime()
    updated_at = f.AwareDateTime()

    def dump_deposit(self, contract) -> dict:
        return DepositSchema().dump(contract)


# --- agents and assignments ---------------------------------------------------------------------


class AgentSchema(ReadOnly):
    """An agent without phone, notes or any credential."""

    id = f.Integer()
    name = f.String()
    status = f.String()
    skills = f.List(f.String())
    platforms = f.List(f.String())


class AgentRowSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = Text(50, required=True)
    employee_no = Text(30, required=True, metadata={"description": "工号（唯一）"})
    phone = Text(30)
    status = f.String(validate=v.OneOf(("recruiting", "training", "ready", "live", "left")))
    skills = f.List(Text(30), validate=v.Length(max=20))
    platforms = f.List(f.String(validate=v.OneOf(("taobao", "tmall", "jd", "pdd", "kuaishou", "douyin"))))
    notes = Text(2000)


class AgentBulkSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    agents = f.List(f.Nested(AgentRowSchema), required=True, validate=v.Length(min=1, max=500))


class AgentBulkResultSchema(ma.Schema):
    created = f.List(f.Nested(AgentSchema), required=True)


class AssignmentSchema(ReadOnly):
    id = f.Integer()
    agent_id = f.Integer()
    agent_name = f.String(attribute="agent.name")
    contract_id = f.Integer()
    client_id = f.Integer()
    scope = f.String()
    shift = f.String()
    planned_go_live_on = f.Date(allow_none=True)
    go_live_on = f.Date(allow_none=True)
    end_on = f.Date(allow_none=True)
    cancelled_at = f.AwareDateTime(allow_none=True)


# --- usage ------------------------------------------------------------------------------------


class UsageRowSchema(ReadOnly):
    id = f.Integer()
    client_id = f.Integer()
    date = f.Date(attribute="day")
    platform = f.String()
    consults = f.Integer()
    valid_consults = f.Integer()
    served_gmv_fen = f.Integer()
    refunds_fen = f.Integer()
    first_response_ms = f.Integer(allow_none=True)
    avg_response_ms = f.Integer(allow_none=True)
    reply_3min_bp = f.Integer(allow_none=True)
    inquiry_conversion_bp = f.Integer(allow_none=True)
    satisfaction_bp = f.Integer(allow_none=True)
    dispute_refund_bp = f.Integer(allow_none=True)
    updated_at = f.AwareDateTime()


# --- billing -----------------------------------------------------------------------------------


class InvoiceLineSchema(ReadOnly):
    position = f.Integer()
    kind = f.String()
    description = f.String()
    quantity = f.String(metadata={"description": "数量（十进制数字的文本）"})
    unit = f.String()
    unit_price_fen = f.Integer(allow_none=True)
    amount_fen = f.Integer()
    reason = f.String()


class InvoiceSchema(ReadOnly):
    id = f.Integer()
    number = f.String(allow_none=True)
    client_id = f.Integer()
    contract_id = f.Integer()
    period = f.String()
    period_start = f.Date()
    period_end = f.Date()
    status = f.String()
    issued_on = f.Date(allow_none=True)
    due_on = f.Date(allow_none=True)
    tax_rate_bp = f.Integer()
    prices_include_tax = f.Boolean()
    subtotal_fen = f.Integer()
    deductions_fen = f.Integer()
    deposit_offset_fen = f.Integer()
    adjustments_fen = f.Integer()
    net_fen = f.Integer()
    tax_fen = f.Integer()
    total_fen = f.Integer()
    paid_fen = f.Integer()
    allocated_fen = f.Integer()
    balance_fen = f.Method("dump_balance", metadata={"description": "未付余额（分）"})
    pdf_ready = f.Method("dump_pdf_ready")
    fapiao_number = f.String(allow_none=True, metadata={"description": "数电票号码（20 位），开票后录入"})
    fapiao_date = f.Date(allow_none=True)
    fapiao_status = f.String(
        allow_none=True, metadata={"description": "issued 已开具 / partly_red 部分红冲 / red 已红冲"}
    )
    lines = f.List(f.Nested(InvoiceLineSchema))
    updated_at = f.AwareDateTime()

    def dump_balance(self, invoice) -> int:
        from ops.billing.services.payments import balance_fen

        return balance_fen(invoice) if invoice.status in ("issued", "paid") else 0

    def dump_pdf_ready(self, invoice) -> bool:
        return invoice.pdf_sha256 is not None


class CreditNoteSchema(ReadOnly):
    id = f.Integer()
    number = f.String()
    invoice_id = f.Integer()
    client_id = f.Integer(attribute="invoice.client_id")
    status = f.String()
    issued_on = f.Date()
    reason = f.String()
    net_fen = f.Integer()
    tax_fen = f.Integer()
    total_fen = f.Integer()
    deposit_fen = f.Integer()
    allocated_fen = f.Integer()
    red_reason = f.String(
        metadata={
            "description": "红字确认单冲红原因：01 开票有误 02 销货退回 03 服务中止 04 销售折让（原账单有数电票时必填）"
        }
    )


class PaymentSchema(ReadOnly):
    id = f.Integer()
    invoice_id = f.Integer()
    client_id = f.Integer(attribute="invoice.client_id")
    paid_on = f.Date()
    amount_fen = f.Integer()
    method = f.String()
    reference = f.String()
    created_at = f.AwareDateTime()


class PaymentCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    invoice_id = PositiveId(required=True)
    amount_fen = f.Integer(required=True, strict=True, validate=v.Range(min=1, max=MAX_FEN))
    paid_on = f.Date(required=True)
    method = Text(30, required=True, metadata={"description": "收款方式，如 银行转账、支付宝、微信"})
    reference = Text(100, load_default="")


class StatementArgs(ma.Schema):
    start = f.Date(required=True, metadata={"description": "开始日期（含）"})
    end = f.Date(required=True, metadata={"description": "结束日期（含）"})


class StatementLineSchema(ReadOnly):
    date = f.Date(attribute="entry.on")
    kind = f.String(
        attribute="entry.kind", metadata={"description": "invoice / payment / credit_note / refund"}
    )
    reference = f.String(attribute="entry.reference")
    description = f.String(attribute="entry.description")
    debit_fen = f.Integer(attribute="entry.debit_fen")
    credit_fen = f.Integer(attribute="entry.credit_fen")
    balance_fen = f.Integer()


class StatementSchema(ReadOnly):
    client_id = f.Integer()
    start = f.Date()
    end = f.Date()
    opening_fen = f.Integer()
    debits_fen = f.Integer()
    credits_fen = f.Integer()
    closing_fen = f.Integer(metadata={"description": "期末余额（分）：正数为客户欠款，负数为客户余额"})
    lines = f.List(f.Nested(StatementLineSchema))


class DatedExtraSchema(ReadOnly):
    id = f.Integer()
    contract_id = f.Integer()
    code = f.String()
    label = f.String()
    start_on = f.Date()
    end_on = f.Date()
    headcount = f.Integer()
    shifts_per_day = f.Integer()
    unit = f.String()
    unit_price_fen = f.Integer()
    note = f.String()


class DatedExtraCreateSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    code = f.String(
        required=True,
        validate=v.OneOf(("holiday_person_day", "temp_person_shift_day", "overtime_person_day")),
    )
    start_on = f.Date(required=True)
    end_on = f.Date(required=True)
    headcount = f.Integer(required=True, strict=True, validate=v.Range(min=1, max=10_000))
    shifts_per_day = f.Integer(strict=True, load_default=1, validate=v.Range(min=1, max=3))
    unit_price_fen = f.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=v.Range(min=0, max=MAX_FEN),
        metadata={"description": "单价（分）；省略时取合同约定单价"},
    )
    label = Text(100, load_default="")
    note = Text(300, load_default="")


# --- 数电票 -------------------------------------------------------------------------------------


class FapiaoBuyerSchema(ReadOnly):
    name = f.String()
    tax_id = f.String()
    address = f.String()
    phone = f.String()
    bank_name = f.String()
    bank_account = f.String()


class FapiaoLineSchema(ReadOnly):
    seq = f.Integer()
    nature = f.String(metadata={"description": "normal 正常行 / discounted 被折扣行 / discount 折扣行"})
    nature_label = f.String()
    kind = f.String()
    item_name = f.String(metadata={"description": "项目名称"})
    tax_code = f.String(metadata={"description": "商品和服务税收分类编码"})
    sample_code = f.Boolean(metadata={"description": "true：示例编码，供应商尚未配置自己的编码"})
    spec = f.String()
    unit = f.String()
    quantity = f.String()
    unit_price = f.String(metadata={"description": "单价（不含税，元）"})
    amount_fen = f.Integer(metadata={"description": "金额（不含税，分）"})
    tax_rate_bp = f.Integer()
    tax_rate = f.String()
    tax_fen = f.Integer(metadata={"description": "税额（分）"})


class FapiaoIssuedSchema(ReadOnly):
    number = f.String()
    date = f.String(allow_none=True)
    status = f.String()
    status_label = f.String()


class FapiaoSchema(ReadOnly):
    """An invoice as the vendor's e-invoicing software imports it (the 数电票 batch file's rows)."""

    invoice_id = f.Integer()
    invoice_number = f.String()
    serial = f.String(metadata={"description": "发票流水号（本系统账单编号）"})
    fapiao_type = f.String(metadata={"description": "normal 普票 / special 专票"})
    fapiao_type_label = f.String()
    tax_included = f.Boolean(metadata={"description": "金额与单价是否含税（始终为 false：税额逐行给出）"})
    buyer = f.Nested(FapiaoBuyerSchema)
    remarks = f.String(metadata={"description": "备注"})
    amount_fen = f.Integer(metadata={"description": "金额合计（分）= 账单不含税金额"})
    tax_fen = f.Integer(metadata={"description": "税额合计（分）= 账单税额"})
    total_fen = f.Integer(metadata={"description": "价税合计（分）"})
    deposit_offset_fen = f.Integer(metadata={"description": "押金抵扣（分，写入备注，不是发票行）"})
    payable_fen = f.Integer(metadata={"description": "账单应付（分）"})
    lines = f.List(f.Nested(FapiaoLineSchema))
    fapiao = f.Nested(
        FapiaoIssuedSchema, allow_none=True, metadata={"description": "已录入的数电票；未开票为 null"}
    )
    problems = f.List(f.String(), metadata={"description": "不能导出的原因；为空表示可以开票"})
