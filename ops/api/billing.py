"""/api/v1 invoices (with lines, and the PDF as stored), credit notes, payments, client statements
(对账单) — read; payments recorded (billing:write) through ``record_payment``, with an optional
``Idempotency-Key`` header so a retried POST records once."""

from __future__ import annotations

import hashlib
import re

import marshmallow as ma
import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import selectinload

from ops.api.core import (
    IDEMPOTENCY_HEADER,
    ClientFilterArgs,
    UpdatedSinceArgs,
    api_actor,
    api_blueprint,
    get_scoped,
    json_response,
    link_to,
    page_of,
    page_schema,
    requires,
    scoped,
    single,
    token,
)
from ops.api.problems import problem
from ops.api.schemas import (
    CreditNoteSchema,
    FapiaoSchema,
    InvoiceSchema,
    PaymentCreateSchema,
    PaymentSchema,
    StatementArgs,
    StatementSchema,
)
from ops.auth.scopes import BILLING_WRITE, READ
from ops.billing.models import CreditNote, Invoice, Payment
from ops.billing.services.credits import client_statement
from ops.billing.services.payments import record_payment
from ops.clients.models import Client
from ops.errors import ServiceError
from ops.extensions import db
from ops.fapiao.export import EXPORTABLE_STATES, fapiao_record
from ops.fapiao.services import item_codes
from ops.idempotency import KEY_PATTERN, AlreadyRecorded, claimed, remember_result
from ops.web import send_document

blp = api_blueprint("billing", "账单、红字冲销、收款与对账单")

# What a client's token sees of its invoices: what its portal shows (never a draft).
INVOICES_SEEN = (Invoice.status, ("issued", "paid", "void"))
PDF_RETRY_SECONDS = 5


class InvoiceListArgs(UpdatedSinceArgs):
    client_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    status = ma.fields.String(validate=ma.validate.Length(max=10))
    period = ma.fields.String(
        validate=ma.validate.Regexp(r"^\d{4}-(\d{2}|Q[1-4])$"),
        metadata={"description": "账期，如 2026-10 或 2026-Q4"},
    )


def _invoices():
    return scoped(sa.select(Invoice), Invoice.client_id, INVOICES_SEEN)


@blp.route("/invoices", methods=["GET"])
@requires(READ)
@blp.arguments(InvoiceListArgs, location="query")
@blp.response(200, page_schema(InvoiceSchema))
def list_invoices(args):
    """账单列表（含明细行；可按 client_id、status、period、updated_since 筛选）"""
    stmt = _invoices().options(selectinload(Invoice.lines), selectinload(Invoice.credit_notes))
    for key in ("client_id", "status", "period"):
        if args.get(key):
            stmt = stmt.where(getattr(Invoice, key) == args[key])
    return page_of(stmt, Invoice, args, updated_column=Invoice.updated_at)


@blp.route("/invoices/<int:invoice_id>", methods=["GET"])
@requires(READ)
@blp.response(200, InvoiceSchema)
@blp.alt_response(304, description="未修改")
def get_invoice(invoice_id):
    """单个账单（含明细行），带 ETag"""
    return single(get_scoped(Invoice, invoice_id, client_visible=INVOICES_SEEN), InvoiceSchema())


@blp.route("/invoices/<int:invoice_id>/pdf", methods=["GET"])
@requires(READ)
@blp.response(200, content_type="application/pdf", description="开具时保存的 PDF")
@blp.alt_response(409, description="账单尚未开具，或 PDF 仍在生成（稍后重试，见 Retry-After）")
def get_invoice_pdf(invoice_id):
    """账单 PDF（开具时保存的原件）"""
    invoice = get_scoped(Invoice, invoice_id, client_visible=INVOICES_SEEN)
    if invoice.number is None:
        return problem(409, "草稿账单没有 PDF：开具后才能下载。")
    if invoice.pdf_sha256 is None:
        return problem(
            409,
            "PDF 正在生成，请稍后重试。",
            headers={"Retry-After": str(PDF_RETRY_SECONDS)},
        )
    return send_document(invoice.pdf, f"{invoice.number}.pdf", "application/pdf")


@blp.route("/invoices/<int:invoice_id>/fapiao", methods=["GET"])
@requires(READ)
@blp.response(200, FapiaoSchema)
@blp.alt_response(304, description="未修改")
@blp.alt_response(409, description="草稿或已作废的账单不开数电票")
def get_invoice_fapiao(invoice_id):
    """数电票开票数据（与批量开票 Excel 文件的一张发票相同：购买方、逐行项目名称、税收分类编码、金额与税额）"""
    invoice = get_scoped(Invoice, invoice_id, client_visible=INVOICES_SEEN)
    if invoice.status not in EXPORTABLE_STATES:
        return problem(409, "只有已开具（含已结清）的账单才有数电票开票数据。")
    return single(fapiao_record(invoice, item_codes()), FapiaoSchema())


@blp.route("/credit-notes", methods=["GET"])
@requires(READ)
@blp.arguments(ClientFilterArgs, location="query")
@blp.response(200, page_schema(CreditNoteSchema))
def list_credit_notes(args):
    """红字冲销（贷项通知单）列表"""
    stmt = scoped(
        sa.select(CreditNote)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .options(selectinload(CreditNote.invoice)),
        Invoice.client_id,
    )
    if args.get("client_id"):
        stmt = stmt.where(Invoice.client_id == args["client_id"])
    return page_of(stmt, CreditNote, args)


class PaymentListArgs(ClientFilterArgs):
    invoice_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))


@blp.route("/payments", methods=["GET"])
@requires(READ)
@blp.arguments(PaymentListArgs, location="query")
@blp.response(200, page_schema(PaymentSchema))
def list_payments(args):
    """收款列表（可按 client_id、invoice_id 筛选）"""
    stmt = scoped(
        sa.select(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .options(selectinload(Payment.invoice)),
        Invoice.client_id,
    )
    if args.get("client_id"):
        stmt = stmt.where(Invoice.client_id == args["client_id"])
    if args.get("invoice_id"):
        stmt = stmt.where(Payment.invoice_id == args["invoice_id"])
    return page_of(stmt, Payment, args)


@blp.route("/payments", methods=["POST"])
@requires(BILLING_WRITE)
@blp.arguments(PaymentCreateSchema)
@blp.response(201, PaymentSchema)
@blp.alt_response(200, schema=PaymentSchema, description="同一 Idempotency-Key 已登记过：返回原来的收款")
@blp.doc(
    parameters=[{"in": "header", "name": name, **spec} for name, spec in IDEMPOTENCY_HEADER.items()],
    responses={
        201: {
            "links": {
                "GetInvoice": link_to(
                    "/api/v1/invoices/{invoice_id}", invoice_id="$response.body#/invoice_id"
                )
            }
        }
    },
)
def create_payment(data):
    """登记收款（不能超过未付余额；结清后账单变为已付）"""
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and not re.fullmatch(KEY_PATTERN, key):
        return problem(
            422,
            "Idempotency-Key 须为 16–64 个字母、数字、_ 或 -。",
            errors=[{"field": "Idempotency-Key", "location": "headers", "message": "格式无效"}],
        )
    invoice = get_scoped(Invoice, data["invoice_id"], client_visible=INVOICES_SEEN)
    stored_key = _claim_key(key)
    try:
        payment = record_payment(
            invoice,
            data["amount_fen"],
            data["paid_on"],
            data["method"],
            data["reference"],
            by=api_actor(token()),
            idempotency_key=stored_key,
        )
        remember_result(stored_key, payment.id)  # the retry is answered with exactly this payment
    except AlreadyRecorded:
        db.session.rollback()
        return _recorded_before(stored_key, invoice, data)
    except ServiceError as exc:
        db.session.rollback()
        return problem(exc.status, str(exc.message))
    db.session.commit()
    return single(payment, PaymentSchema(), 201)


def _claim_key(key: str | None) -> str | None:
    """The stored key of a client's Idempotency-Key: one namespace per token, within the column's 64."""
    if key is None:
        return None
    return "api-" + hashlib.sha256(f"{token().id}:{key}".encode()).hexdigest()[:56]


def _recorded_before(stored_key: str | None, invoice: Invoice, data: dict):
    """The answer to a retried POST: the payment its key recorded (200, not 201). The key sent with
    another invoice or amount is a conflict (nothing recorded)."""
    used = claimed(stored_key)
    payment = db.session.get(Payment, used.object_id) if used and used.object_id else None
    if payment is None or payment.invoice_id != invoice.id or payment.amount_fen != data["amount_fen"]:
        return problem(409, "该 Idempotency-Key 已用于另一笔收款（账单或金额不同），本次未登记。")
    return json_response(PaymentSchema().dump(payment), 200)


@blp.route("/clients/<int:client_id>/statement", methods=["GET"])
@requires(READ)
@blp.arguments(StatementArgs, location="query")
@blp.response(200, StatementSchema)
def get_statement(args, client_id):
    """客户对账单：期初余额、期间的账单/收款/红字冲销/退款及期末余额（分）"""
    client = get_scoped(Client, client_id, Client.id)
    if args["end"] < args["start"]:
        return problem(422, "结束日期不能早于开始日期。", errors=[{"field": "end", "message": "早于 start"}])
    statement = client_statement(client.id, args["start"], args["end"])
    data = StatementSchema().dump(statement) | {"client_id": client.id}
    return json_response(data)
