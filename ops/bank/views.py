"""Bank statements under the billing area (finance, managers, admins): the statements and their
import, bank formats, a statement's transactions, the unmatched queue, a manual match, ignoring."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN, FINANCE, MANAGER
from ops.bank import services
from ops.bank.engine import matching
from ops.bank.engine.statement import (
    StatementError,
    decode_statement,
    layout_problems,
    parse_statement,
    preview_lines,
)
from ops.bank.forms import FormatForm, IgnoreForm, ImportForm, UndoForm, manual_match_form
from ops.bank.models import TRANSACTION_STATES, BankFormat, BankStatement, BankTransaction
from ops.billing.models import Invoice, Payment
from ops.clients.models import Client
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.money import format_fen
from ops.urls import db_int
from ops.web import paginate, perform

bp = Blueprint("bank", __name__, url_prefix="/billing/bank")
require_roles_for_blueprint(bp, ADMIN, MANAGER, FINANCE)

STATE_LABELS = {
    "unmatched": _l("未匹配"),
    "matched": _l("已匹配"),
    "partial": _l("部分匹配"),
    "ignored": _l("已忽略"),
}
STATE_BADGES = {
    "unmatched": "bg-warning text-dark",
    "matched": "bg-success",
    "partial": "bg-info text-dark",
    "ignored": "bg-secondary",
}
RULE_LABELS = {
    matching.RULE_INVOICE_NUMBER: _l("摘要中的账单号"),
    matching.RULE_ACCOUNT_AMOUNT: _l("已知付款账号 + 金额"),
    matching.RULE_NAME_AMOUNT: _l("付款户名 + 金额"),
    matching.RULE_MANUAL: _l("手工匹配"),
}
REASON_LABELS = {
    matching.REASON_NUMBERS_OF_CLIENTS: _l("摘要中的账单号属于不同客户"),
    matching.REASON_SAME_AMOUNT: _l("金额与该账单未付余额相同"),
    matching.REASON_SAME_AMOUNT_TWICE: _l("该客户有多张相同余额的账单"),
    matching.REASON_SIMILAR_NAME: _l("付款户名与客户名称相似"),
    matching.REASON_PARTIAL: _l("该客户付款，金额少于账单余额（部分付款？）"),
    matching.REASON_OVER: _l("该客户付款，金额超过全部未付余额"),
    matching.REASON_KNOWN_PAYER: _l("该客户付款，没有金额相符的账单"),
}


@bp.app_context_processor
def bank_labels():
    return {
        "bank_states": STATE_LABELS,
        "bank_badges": STATE_BADGES,
        "bank_rules": RULE_LABELS,
        "bank_reasons": REASON_LABELS,
    }


def _format_choices() -> list[SelectChoice]:
    rows = db.session.execute(sa.select(BankFormat.id, BankFormat.name).order_by(BankFormat.name))
    return [SelectChoice(i, name) for i, name in rows]


def _transaction_list(stmt, status: str, q: str):
    if status in TRANSACTION_STATES:
        stmt = stmt.where(BankTransaction.status == status)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(
                BankTransaction.payer_name.ilike(like),
                BankTransaction.reference.ilike(like),
                BankTransaction.payer_account.ilike(like),
                BankTransaction.serial.ilike(like),
            )
        )
    return paginate(
        stmt.options(
            joinedload(BankTransaction.client),
            selectinload(BankTransaction.payments).joinedload(Payment.invoice),
        ).order_by(BankTransaction.booked_on.desc(), BankTransaction.id.desc()),
        per_page=50,
    )


def _suggested(transactions) -> dict:
    """Client names and invoice numbers the page's suggestions name (two queries for the page)."""
    client_ids = {s["client_id"] for t in transactions for s in t.suggestions}
    invoice_ids = {s["invoice_id"] for t in transactions for s in t.suggestions if s.get("invoice_id")}
    rows = db.session.execute(sa.select(Client.id, Client.name).where(Client.id.in_(client_ids)))
    clients = {client_id: name for client_id, name in rows}
    invoices = {i.id: i for i in db.session.scalars(sa.select(Invoice).where(Invoice.id.in_(invoice_ids)))}
    return {"clients": clients, "invoices": invoices}


# --- statements and import --------------------------------------------------------------------------


@bp.route("/")
def index():
    form = ImportForm(formdata=None)
    form.format_id.choices = _format_choices()
    page = paginate(
        sa.select(BankStatement)
        .options(joinedload(BankStatement.format), joinedload(BankStatement.imported_by))
        .order_by(BankStatement.imported_at.desc(), BankStatement.id.desc()),
        per_page=25,
    )
    rows = db.session.execute(
        sa.select(BankTransaction.status, sa.func.count()).group_by(BankTransaction.status)
    )
    counts = {status: n for status, n in rows}
    return render_template("bank/index.html", page=page, form=form, counts=counts)


@bp.route("/import", methods=["POST"])
def import_statement():
    form = ImportForm()
    form.format_id.choices = _format_choices()

    def action():
        bank_format = db.session.get(BankFormat, form.format_id.data)
        upload = form.file.data
        return services.import_statement(
            bank_format, upload.filename or "statement.csv", upload.read(), by=current_user
        )

    def done(result):
        if result.statement is None:
            return url_for("bank.index")
        return url_for("bank.statement", statement_id=result.statement.id)

    def message(result) -> str:
        if result.statement is None:
            return _("没有新的流水：文件中的 %(n)s 笔收入都已导入过，未做任何更改。", n=result.incoming)
        return _(
            "已导入 %(new)s 笔收入（%(duplicates)s 笔已导入过，%(outgoing)s 笔支出未导入），自动匹配 %(matched)s 笔。",
            new=result.new,
            duplicates=result.duplicates,
            outgoing=result.outgoing,
            matched=result.matched,
        )

    return perform(action, form=form, success=message, back=url_for("bank.index"), done=done)


@bp.route("/statements/<int:statement_id>")
def statement(statement_id: int):
    bank_statement = db.get_or_404(BankStatement, statement_id)
    status = request.args.get("status", "")
    q = request.args.get("q", "").strip()
    page = _transaction_list(
        sa.select(BankTransaction).where(BankTransaction.statement_id == bank_statement.id), status, q
    )
    return render_template(
        "bank/statement.html",
        statement=bank_statement,
        page=page,
        status=status,
        q=q,
        suggested=_suggested(page.items),
        ignore_form=IgnoreForm(formdata=None),
        undo_form=UndoForm(formdata=None),
        confirm=ConfirmForm(),
    )


@bp.route("/queue")
def queue():
    q = request.args.get("q", "").strip()
    page = _transaction_list(sa.select(BankTransaction), "unmatched", q)
    return render_template(
        "bank/queue.html",
        page=page,
        q=q,
        suggested=_suggested(page.items),
        ignore_form=IgnoreForm(formdata=None),
    )


@bp.route("/ignored")
def ignored():
    q = request.args.get("q", "").strip()
    page = _transaction_list(sa.select(BankTransaction), "ignored", q)
    return render_template("bank/ignored.html", page=page, q=q, confirm=ConfirmForm())


# --- formats ----------------------------------------------------------------------------------------


@bp.route("/formats")
def formats():
    rows = db.session.scalars(sa.select(BankFormat).order_by(BankFormat.name)).all()
    return render_template("bank/formats.html", formats=rows)


def _preview(form: FormatForm) -> dict | None:
    """The sample file's first lines, and its first transactions read with the mapping typed so far."""
    upload = form.sample.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    try:
        text, encoding = decode_statement(upload.read())
    except StatementError as exc:
        return {"error": str(exc)}
    preview = {"encoding": encoding, "lines": preview_lines(text), "rows": None, "error": None, "outgoing": 0}
    if not layout_problems(form.layout()):
        try:
            parsed = parse_statement(text, form.layout())
        except StatementError as exc:
            preview["error"] = str(exc)
        else:
            preview["rows"] = parsed.rows[:10]
            preview["outgoing"] = parsed.outgoing
            preview["incoming"] = len(parsed.rows)
    return preview


@bp.route("/formats/new", methods=["GET", "POST"])
def new_format():
    form = FormatForm()
    preview = None

    def render():
        return render_template("bank/format_form.html", form=form, preview=preview)

    if not form.is_submitted():
        return render()
    if form.preview.data:
        form.validate()  # show what is missing; nothing is saved
        preview = _preview(form)
        return render()
    return perform(
        lambda: services.create_format(form.name.data, form.layout(), by=current_user),
        form=form,
        render=render,
        success=lambda f: _("银行格式“%(name)s”已保存。", name=f.name),
        back=url_for("bank.formats"),
    )


# --- one transaction: match, ignore -----------------------------------------------------------------


def _back_to_queue() -> str:
    return url_for("bank.queue")


@bp.route("/transactions/<int:transaction_id>/match", methods=["GET", "POST"])
def match(transaction_id: int):
    transaction = db.get_or_404(BankTransaction, transaction_id)
    client_id = request.values.get("client_id", type=db_int)
    if client_id is None and transaction.suggestions:
        client_id = transaction.suggestions[0]["client_id"]
    client = db.session.get(Client, client_id) if client_id else None
    invoices = (
        db.session.scalars(
            sa.select(Invoice)
            .where(
                Invoice.client_id == client.id,
                Invoice.status == "issued",
                Invoice.total_fen - Invoice.paid_fen - Invoice.allocated_fen > 0,
            )
            .order_by(Invoice.issued_on, Invoice.number)
        ).all()
        if client is not None
        else []
    )
    form = manual_match_form(invoices, formdata=None if request.method == "GET" else request.form)
    clients = db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name)).all()

    def render():
        return render_template(
            "bank/match.html",
            transaction=transaction,
            client=client,
            clients=clients,
            invoices=invoices,
            form=form,
            suggested=_suggested([transaction]),
        )

    if request.method == "GET":
        return render()
    return perform(
        lambda: services.match_manually(
            transaction,
            client.id if client else None,
            {i.id: form[f"invoice_{i.id}"].data for i in invoices},
            by=current_user,
        ),
        form=form,
        render=render,
        success=_matched_message,
        back=_back_to_queue(),
    )


def _matched_message(transaction) -> str:
    """What a manual match did: payments recorded, and the excess kept as credit only when there is one."""
    if transaction.credit_fen and transaction.matched_fen:
        return _(
            "已匹配：收款 %(paid)s 已登记到所选账单，余额 %(credit)s 计入客户余额（预收款）。",
            paid=format_fen(transaction.matched_fen),
            credit=format_fen(transaction.credit_fen),
        )
    if transaction.credit_fen:
        return _("已匹配：%(credit)s 全部计入客户余额（预收款）。", credit=format_fen(transaction.credit_fen))
    return _("已匹配：收款 %(paid)s 已登记到所选账单。", paid=format_fen(transaction.matched_fen))


@bp.route("/transactions/<int:transaction_id>/undo", methods=["POST"])
def undo(transaction_id: int):
    transaction = db.get_or_404(BankTransaction, transaction_id)
    form = UndoForm()
    return perform(
        lambda: services.undo_match(transaction, form.reason.data, by=current_user),
        form=form,
        success=_("已撤销匹配：收款已删除，这笔流水回到未匹配队列。"),
        back=url_for("bank.statement", statement_id=transaction.statement_id),
    )


@bp.route("/transactions/<int:transaction_id>/ignore", methods=["POST"])
def ignore(transaction_id: int):
    transaction = db.get_or_404(BankTransaction, transaction_id)
    form = IgnoreForm()
    return perform(
        lambda: services.ignore_transaction(transaction, form.reason.data, by=current_user),
        form=form,
        success=_("已忽略这笔流水。"),
        back=_back_to_queue(),
    )


@bp.route("/transactions/<int:transaction_id>/unignore", methods=["POST"])
def unignore(transaction_id: int):
    transaction = db.get_or_404(BankTransaction, transaction_id)
    return perform(
        lambda: services.unignore_transaction(transaction, by=current_user),
        form=ConfirmForm(),
        success=_("这笔流水已放回未匹配队列。"),
        back=_back_to_queue(),
    )
