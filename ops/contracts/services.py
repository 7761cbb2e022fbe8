"""Contract actions. Each checks the state, writes and audits; the caller commits.

A state change locks the contract row first (``lock_contract``) and checks under the lock, so two
people (or a double-click) cannot both pass a check meant for one; one quote makes at most one
live contract (the quote row is locked, and a unique partial index backs the rule).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ops.audit.services import record, snapshot
from ops.clients.services import advance_stage
from ops.contracts import terms as contract_terms
from ops.contracts.models import ClauseTemplate, Contract, ContractClause, ContractKpi, VendorProfile
from ops.contracts.states import check_contract_transition, check_deposit_transition
from ops.errors import ServiceError
from ops.extensions import db
from ops.idempotency import claim
from ops.money import format_fen
from ops.numbering import next_number
from ops.ratecards.rules import EXTRA_LABELS
from ops.timeutil import today, utcnow
from ops.transactions import lock_row
from ops.uploads import remove_after_commit, store_upload

TERMS_FIELDS = (
    "start_on",
    "end_on",
    "auto_renew",
    "billing_cycle",
    "billing_timing",
    "due_rule",
    "due_value",
    "late_fee_bp_per_day",
    "late_fee_grace_days",
    "tax_rate_bp",
    "prices_include_tax",
    "invoice_type",
    "deposit_fen",
    "deposit_usage",
    "kpi_cap_bp",
    "breakin_months",
    "title",
    "notes",
    "client_legal_name",
    "client_tax_id",
    "client_address",
    "client_phone",
    "client_bank_name",
    "client_bank_account",
    "vendor_name",
    "vendor_tax_id",
    "vendor_address",
    "vendor_phone",
    "vendor_bank_name",
    "vendor_bank_account",
)
SIGNED_MAX_BYTES = 10 * 1024 * 1024


class ContractError(ServiceError):
    """A refused contract action; the message (or messages) are for the user."""

    def __init__(self, message: str | list[str]):
        self.messages = [message] if isinstance(message, str) else list(message)
        super().__init__("；".join(self.messages))


def vendor_profile() -> VendorProfile:
    """The vendor's details (created from the configured name on first use)."""
    profile = db.session.scalar(sa.select(VendorProfile).limit(1))
    if profile is None:
        profile = VendorProfile(name=current_app.config["VENDOR_NAME"])
        db.session.add(profile)
        db.session.flush()
    return profile


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def create_from_quote(quote, by, *, start_on: date | None = None, months: int = 12) -> Contract:
    """A draft contract holding a frozen copy of an accepted quote's terms.

    The quote row is locked first, so parallel requests take turns and the second finds the first
    one's contract; the unique partial index ``uq_contracts_quote_live`` backs the rule."""
    from ops.quotes.models import Quote

    quote = lock_row(Quote, quote.id)
    if quote.status != "accepted":
        raise ContractError("只有客户已接受的报价单才能生成合同。")
    existing = db.session.scalar(
        sa.select(Contract).where(Contract.quote_id == quote.id, Contract.status != "terminated")
    )
    if existing is not None:
        raise ContractError(f"该报价单已生成合同（{existing.number or '草稿'}）。")
    client = quote.client
    vendor = vendor_profile()
    start_on = start_on or (today().replace(day=1) + timedelta(days=32)).replace(day=1)
    card = quote.rate_card.data if quote.rate_card is not None else {}
    frozen = contract_terms.freeze_terms(
        quote.terms,
        {
            code: {"label": label, "unit": unit, "unit_price_fen": card.get("extras_fen", {}).get(code, 0)}
            for code, (label, unit) in EXTRA_LABELS.items()
        },
    )
    contract = Contract(
        client_id=client.id,
        quote_id=quote.id,
        status="draft",
        model=quote.model,
        terms=frozen,
        title=f"{client.name} 客服外包服务合同",
        start_on=start_on,
        end_on=add_months(start_on, months) - timedelta(days=1),
        billing_cycle="monthly",
        billing_timing="in_arrears" if quote.model != "fixed_seat" else "in_advance",
        deposit_fen=quote.total_fen,
        deposit_usage="refund_at_end",
        deposit_status="due" if quote.total_fen else "none",
        client_legal_name=client.legal_name or client.name,
        client_tax_id=client.tax_id or "",
        client_address=client.address,
        client_phone=client.phone,
        client_bank_name=client.bank_name,
        client_bank_account=client.bank_account,
        vendor_name=vendor.name,
        vendor_tax_id=vendor.tax_id,
        vendor_address=vendor.address,
        vendor_phone=vendor.phone,
        vendor_bank_name=vendor.bank_name,
        vendor_bank_account=vendor.bank_account,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(contract)
    for position, key in enumerate(("frt30", "reply90")):
        preset = contract_terms.PRESETS_BY_KEY[key]
        contract.kpis.append(
            ContractKpi(
                position=position,
                **{
                    k: preset[k]
                    for k in (
                        "metric",
                        "comparison",
                        "threshold",
                        "deduction_kind",
                        "deduction_bp",
                        "deduction_fen",
                    )
                },
            )
        )
    for position, template in enumerate(
        db.session.scalars(
            sa.select(ClauseTemplate)
            .where(ClauseTemplate.is_active.is_(True))
            .order_by(ClauseTemplate.position)
        )
    ):
        contract.clauses.append(
            ContractClause(
                template_id=template.id, position=position, title=template.title, body=template.body
            )
        )
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # the index caught a contract made behind the lock's back
        raise ContractError("该报价单已生成合同。") from exc
    record(
        "contract.created",
        contract,
        summary=f"from quote {quote.number} v{quote.version}",
        after={"quote_id": quote.id, "model": quote.model, "terms": frozen},
    )
    return contract


def _require_draft(contract: Contract) -> None:
    if contract.status != "draft":
        raise ContractError("只有草稿状态的合同可以修改；已提交签署或生效的合同条款已冻结。")


def validate_contract(contract: Contract) -> list[str]:
    """Everything billing reads, checked (Chinese messages)."""
    errors = contract_terms.validate_terms(contract.terms)
    if contract.start_on is None or contract.end_on is None:
        errors.append("请填写合同起止日期")
    elif contract.end_on <= contract.start_on:
        errors.append("合同结束日期必须晚于开始日期")
    if contract.due_rule == "day_of_next_month" and not 1 <= (contract.due_value or 0) <= 28:
        errors.append("付款日必须在每月 1 日到 28 日之间")
    if contract.due_rule == "net_days" and not 0 <= (contract.due_value or -1) <= 180:
        errors.append("账期天数必须在 0 到 180 天之间")
    if not 0 <= (contract.tax_rate_bp or 0) <= 10_000:
        errors.append("税率必须在 0% 到 100% 之间")
    if (contract.late_fee_bp_per_day or 0) < 0 or (contract.late_fee_grace_days or 0) < 0:
        errors.append("滞纳金比例和宽限天数不能为负数")
    if (contract.deposit_fen or 0) < 0:
        errors.append("定金不能为负数")
    if not 0 <= (contract.kpi_cap_bp or 0) <= 10_000:
        errors.append("KPI 扣款上限必须在 0% 到 100% 之间")
    if (contract.breakin_months or 0) < 0:
        errors.append("磨合期月数不能为负数")
    if contract.invoice_type == "special" and not contract.client_tax_id:
        errors.append("开具增值税专用发票需要客户的统一社会信用代码")
    return errors


def update_contract(contract: Contract, values: dict, by=None) -> None:
    """Change a draft contract's terms; refused (and nothing changed) when anything is invalid."""
    _require_draft(contract)
    before = snapshot(contract, TERMS_FIELDS)
    before_terms = dict(contract.terms)
    originals = {f: getattr(contract, f) for f in (*TERMS_FIELDS, "terms", "deposit_status")}
    for key, value in values.items():
        if key == "terms":
            contract.terms = value
        elif key in TERMS_FIELDS:
            setattr(contract, key, value)
    if contract.deposit_fen and contract.deposit_status == "none":
        contract.deposit_status = "due"
    elif not contract.deposit_fen and contract.deposit_status == "due":
        contract.deposit_status = "none"
    errors = validate_contract(contract)
    if errors:
        for field, value in originals.items():  # refused: the contract keeps its previous values
            setattr(contract, field, value)
        raise ContractError(errors)
    record(
        "contract.updated",
        contract,
        summary=contract.number or "draft",
        before={**before, "terms": before_terms},
        after={**snapshot(contract, TERMS_FIELDS), "terms": contract.terms},
    )


def set_kpis(contract: Contract, rows: list[dict], by=None) -> None:
    """Replace a draft contract's KPI clauses (rows: metric, comparison, threshold, deduction_*)."""
    _require_draft(contract)
    errors = []
    for i, row in enumerate(rows, 1):
        errors += [
            f"第 {i} 条 KPI：{e}"
            for e in contract_terms.validate_kpi(
                row["metric"],
                row["comparison"],
                row["threshold"],
                row["deduction_kind"],
                row.get("deduction_bp", 0),
                row.get("deduction_fen", 0),
            )
        ]
    if errors:
        raise ContractError(errors)
    before = [_kpi_dict(k) for k in contract.kpis]
    contract.kpis.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        contract.kpis.append(
            ContractKpi(
                position=position,
                metric=row["metric"],
                comparison=row["comparison"],
                threshold=row["threshold"],
                deduction_kind=row["deduction_kind"],
                deduction_bp=row.get("deduction_bp", 0),
                deduction_fen=row.get("deduction_fen", 0),
                note=row.get("note", ""),
            )
        )
    db.session.flush()
    record(
        "contract.kpis_set",
        contract,
        before={"kpis": before},
        after={"kpis": [_kpi_dict(k) for k in contract.kpis]},
    )


def _kpi_dict(k: ContractKpi) -> dict:
    return {
        "metric": k.metric,
        "comparison": k.comparison,
        "threshold": k.threshold,
        "deduction_kind": k.deduction_kind,
        "deduction_bp": k.deduction_bp,
        "deduction_fen": k.deduction_fen,
    }


def set_clauses(contract: Contract, rows: list[dict], by=None) -> None:
    """Replace a draft contract's breach clauses (rows: title, body, template_id)."""
    _require_draft(contract)
    errors = [
        f"第 {i} 条违约条款的标题和内容不能为空"
        for i, r in enumerate(rows, 1)
        if not r.get("title", "").strip() or not r.get("body", "").strip()
    ]
    if errors:
        raise ContractError(errors)
    before = [{"title": c.title, "body": c.body} for c in contract.clauses]
    contract.clauses.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        contract.clauses.append(
            ContractClause(
                position=position,
                title=row["title"].strip(),
                body=row["body"].strip(),
                template_id=row.get("template_id"),
            )
        )
    db.session.flush()
    record(
        "contract.clauses_set",
        contract,
        before={"clauses": before},
        after={"clauses": [{"title": c.title, "body": c.body} for c in contract.clauses]},
    )


def lock_contract(contract_id: int) -> Contract:
    """The contract, re-read and locked for the rest of the transaction (SELECT … FOR UPDATE on
    PostgreSQL; on SQLite the write lock, BEGIN IMMEDIATE). The session's copy is refreshed."""
    contract = lock_row(Contract, contract_id)
    if contract is None:
        raise ContractError("合同不存在。")
    return contract


def submit_for_signature(contract: Contract, by=None) -> None:
    """draft -> pending_signature: the terms are checked and the contract number is taken.

    Call it inside ``write_transaction()`` on a contract from ``lock_contract`` so that concurrent
    submissions queue for the number instead of failing (SQLite) or numbering twice (PostgreSQL)."""
    check_contract_transition(contract.status, "pending_signature")
    errors = validate_contract(contract)
    if errors:
        raise ContractError(errors)
    if not contract.number:
        contract.number = next_number("HT", contract.start_on.year if contract.start_on else today().year, 4)
    contract.status = "pending_signature"
    record(
        "contract.submitted",
        contract,
        summary=contract.number,
        before={"status": "draft"},
        after={"status": contract.status, "number": contract.number},
    )


def return_to_draft(contract: Contract, reason: str, by=None) -> None:
    contract = lock_contract(contract.id)
    check_contract_transition(contract.status, "draft")
    if not reason.strip():
        raise ContractError("退回草稿需要填写原因。")
    contract.status = "draft"
    record(
        "contract.returned_to_draft",
        contract,
        summary=reason.strip()[:300],
        before={"status": "pending_signature"},
        after={"status": "draft"},
    )


def activate(contract: Contract, by=None, *, signed_on: date | None = None) -> None:
    """pending_signature -> active. Needs the signed copy and, when there is a deposit, its receipt."""
    contract = lock_contract(contract.id)
    check_contract_transition(contract.status, "active")
    if contract.deposit_fen and contract.deposit_status not in ("received", "applied"):
        raise ContractError("定金尚未到账，合同不能生效。请先登记定金收款。")
    if not contract.signed_file:
        raise ContractError("请先上传双方盖章的合同扫描件（PDF）。")
    contract.status = "active"
    contract.activated_at = utcnow()
    contract.signed_on = signed_on or contract.signed_on or today()
    record(
        "contract.activated",
        contract,
        summary=contract.number,
        before={"status": "pending_signature"},
        after={"status": "active", "signed_on": contract.signed_on},
    )
    advance_stage(contract.client, "contracted", reason=f"合同 {contract.number} 生效")


def terminate(contract: Contract, reason: str, effective_on: date | None, by=None) -> None:
    contract = lock_contract(contract.id)
    check_contract_transition(contract.status, "terminated")
    if not reason or not reason.strip():
        raise ContractError("终止合同需要填写原因。")
    if effective_on is None:
        raise ContractError("终止合同需要填写生效日期。")
    if effective_on < contract.start_on:
        raise ContractError("终止日期不能早于合同开始日期。")
    contract.status = "terminated"
    contract.terminated_on = effective_on
    contract.termination_reason = reason.strip()
    record(
        "contract.terminated",
        contract,
        summary=reason.strip()[:300],
        before={"status": "active"},
        after={"status": "terminated", "terminated_on": effective_on},
    )


def expire_contracts(on: date | None = None) -> list[Contract]:
    """Move active contracts whose end date has passed to ``expired`` (idempotent)."""
    on = on or today()
    expired = list(
        db.session.scalars(sa.select(Contract).where(Contract.status == "active", Contract.end_on < on))
    )
    for contract in expired:
        check_contract_transition(contract.status, "expired")
        contract.status = "expired"
        record(
            "contract.expired",
            contract,
            summary=contract.number,
            before={"status": "active"},
            after={"status": "expired"},
        )
    return expired


def contracts_ending_within(days: int = 30, on: date | None = None):
    """A select of active contracts whose end date falls within ``days`` days."""
    on = on or today()
    return (
        sa.select(Contract)
        .where(
            Contract.status == "active", Contract.end_on >= on, Contract.end_on <= on + timedelta(days=days)
        )
        .order_by(Contract.end_on)
    )


# --- deposit -------------------------------------------------------------------------------


def receive_deposit(
    contract: Contract,
    amount_fen: int,
    received_on: date,
    reference: str,
    by=None,
    *,
    idempotency_key: str | None = None,
) -> None:
    """due -> received, checked under the contract's lock (a second receipt at once is refused)."""
    contract = lock_contract(contract.id)
    claim(idempotency_key, "contract.deposit_received", object_id=contract.id, by=by)
    check_deposit_transition(contract.deposit_status, "received")
    if amount_fen != contract.deposit_fen:
        raise ContractError(f"到账金额与合同约定的定金不一致（约定 {format_fen(contract.deposit_fen)}）。")
    if received_on > today():
        raise ContractError("到账日期不能晚于今天。")
    contract.deposit_status = "received"
    contract.deposit_received_fen = amount_fen
    contract.deposit_received_on = received_on
    contract.deposit_reference = reference.strip()
    record(
        "contract.deposit_received",
        contract,
        summary=reference.strip()[:300],
        before={"deposit_status": "due"},
        after={"deposit_status": "received", "amount_fen": amount_fen, "received_on": received_on},
    )


def settle_deposit(
    contract: Contract,
    outcome: str,
    settled_on: date,
    reference: str,
    by=None,
    *,
    idempotency_key: str | None = None,
) -> None:
    """received -> applied | refunded | forfeited, with the date and a reference or reason."""
    contract = lock_contract(contract.id)
    claim(idempotency_key, "contract.deposit_settled", object_id=contract.id, by=by)
    check_deposit_transition(contract.deposit_status, outcome)
    if contract.deposit_received_on and settled_on < contract.deposit_received_on:
        raise ContractError("结清日期不能早于定金到账日期。")
    if outcome == "forfeited" and not reference.strip():
        raise ContractError("没收定金需要写明原因（如客户违约）。")
    before = contract.deposit_status
    contract.deposit_status = outcome
    contract.deposit_settled_on = settled_on
    contract.deposit_settled_reference = reference.strip()
    record(
        f"contract.deposit_{outcome}",
        contract,
        summary=reference.strip()[:300],
        before={"deposit_status": before},
        after={"deposit_status": outcome, "settled_on": settled_on},
    )


# --- signed copy ----------------------------------------------------------------------------


def upload_signed_copy(contract: Contract, file_storage, by=None) -> None:
    """Store the signed PDF (checked by content, size-limited, random name). Refused uploads store nothing."""
    if contract.status not in ("pending_signature", "active"):
        raise ContractError("只有待签署或生效中的合同可以上传签署件。")
    try:
        stored = store_upload(file_storage, {"pdf"}, SIGNED_MAX_BYTES)
    except ValueError as exc:
        raise ContractError(str(exc)) from exc
    previous = contract.signed_file
    contract.signed_file = stored.stored_name
    contract.signed_original_name = stored.original_name
    contract.signed_size = stored.size
    contract.signed_sha256 = stored.sha256
    contract.signed_uploaded_at = utcnow()
    contract.signed_uploaded_by_id = getattr(by, "id", None)
    record(
        "contract.signed_copy_uploaded",
        contract,
        summary=stored.original_name,
        before={"sha256": None} if previous is None else {"replaced": True},
        after={"size": stored.size, "sha256": stored.sha256},
    )
    if previous:
        remove_after_commit(previous)


def clause_templates():
    return db.session.scalars(
        sa.select(ClauseTemplate).order_by(ClauseTemplate.position, ClauseTemplate.id)
    ).all()


DEFAULT_CLAUSES = [
    (
        "服务质量违约",
        "乙方客服人员未达到本合同约定的 KPI 考核标准的，按本合同 KPI 条款约定扣减当期服务费；"
        "同一指标连续三个月未达标的，甲方有权书面通知乙方限期整改。",
    ),
    (
        "信息安全与保密",
        "乙方及其客服人员应对甲方店铺账号、客户信息及经营数据严格保密。因乙方原因造成数据泄露的，"
        "扣减当月服务费的 20%，并赔偿由此给甲方造成的直接损失。",
    ),
    (
        "付款违约",
        "甲方未按约定日期支付服务费的，自宽限期届满次日起按未付金额每日万分之五支付滞纳金；"
        "逾期超过 15 日的，乙方有权暂停服务。",
    ),
    (
        "定金条款",
        "定金自合同签订后支付。合同正常履行完毕的，定金按约定退还或抵扣最后一期服务费；"
        "甲方单方违约解除合同的，定金不予退还；乙方单方违约解除合同的，应双倍返还定金。",
    ),
    ("提前解除", "任何一方提前解除合同，应提前 30 日书面通知对方，并结清已发生的服务费用。"),
]


def ensure_default_clauses() -> int:
    """Fill an empty clause library with the shipped defaults. Returns how many were added."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(ClauseTemplate)):
        return 0
    for position, (title, body) in enumerate(DEFAULT_CLAUSES):
        db.session.add(ClauseTemplate(title=title, body=body, position=position))
    db.session.flush()
    return len(DEFAULT_CLAUSES)


# --- clause library and vendor profile (admin) --------------------------------------------------

CLAUSE_FIELDS = ("title", "body", "position", "is_active")
VENDOR_FIELDS = ("name", "tax_id", "address", "phone", "bank_name", "bank_account")


def _check_clause(title: str, body: str) -> None:
    errors = []
    if not (title or "").strip():
        errors.append("请填写条款标题。")
    if not (body or "").strip():
        errors.append("请填写条款内容。")
    if errors:
        raise ContractError(errors)


def create_clause_template(title: str, body: str, position: int = 0, by=None) -> ClauseTemplate:
    """Add a breach clause to the library."""
    _check_clause(title, body)
    template = ClauseTemplate(title=title.strip(), body=body.strip(), position=position, is_active=True)
    db.session.add(template)
    db.session.flush()
    record(
        "clause_template.created", template, summary=template.title, after=snapshot(template, CLAUSE_FIELDS)
    )
    return template


def update_clause_template(template: ClauseTemplate, title: str, body: str, position: int, by=None) -> None:
    """Change a library clause. Contracts keep the text they copied."""
    _check_clause(title, body)
    before = snapshot(template, CLAUSE_FIELDS)
    template.title, template.body, template.position = title.strip(), body.strip(), position
    record(
        "clause_template.updated",
        template,
        summary=template.title,
        before=before,
        after=snapshot(template, CLAUSE_FIELDS),
    )


def set_clause_template_active(template: ClauseTemplate, active: bool, by=None) -> None:
    """Deactivate (hide from new contracts) or reactivate a library clause."""
    if template.is_active == active:
        return
    template.is_active = active
    record(
        "clause_template.activated" if active else "clause_template.deactivated",
        template,
        summary=template.title,
        before={"is_active": not active},
        after={"is_active": active},
    )


def update_vendor_profile(values: dict, by=None) -> VendorProfile:
    """Change the vendor's own details (used by new contracts). The tax id must be a valid credit code."""
    from ops.clients.taxid import validate_credit_code

    profile = vendor_profile()
    cleaned = {f: (values.get(f) or "").strip() for f in VENDOR_FIELDS}
    errors = []
    if not cleaned["name"]:
        errors.append("请填写公司名称。")
    if cleaned["tax_id"]:
        try:
            cleaned["tax_id"] = validate_credit_code(cleaned["tax_id"])
        except ValueError as exc:
            errors.append(str(exc))
    if errors:
        raise ContractError(errors)
    before = snapshot(profile, VENDOR_FIELDS)
    for f, value in cleaned.items():
        setattr(profile, f, value)
    record(
        "vendor_profile.updated",
        profile,
        summary=profile.name,
        before=before,
        after=snapshot(profile, VENDOR_FIELDS),
    )
    return profile


# --- reading and documents ---------------------------------------------------------------------


def accepted_quotes_without_contract():
    """A select of accepted quotes that never became a contract."""
    from ops.quotes.models import Quote

    has_contract = sa.exists().where(Contract.quote_id == Quote.id)
    return (
        sa.select(Quote)
        .where(Quote.status == "accepted", ~has_contract)
        .order_by(Quote.decided_at.desc(), Quote.id.desc())
    )


def revised_terms(
    terms: dict,
    seat_rows: list[dict],
    commission_rate_bp: int,
    monthly_minimum_fen: int,
    extra_quantities: dict[str, int],
) -> dict:
    """A copy of the frozen terms with staff's edits: seats and rates per seat row (same rows, same
    order), the commission rate, the monthly minimum and the extras' quantities. New extras take the
    catalogue price less the quote's discount."""
    revised = dict(terms)
    revised["seats"] = [
        {**seat, "seats": row["seats"], "monthly_rate_fen": row["monthly_rate_fen"]}
        for seat, row in zip(terms.get("seats", []), seat_rows, strict=True)
    ]
    revised["commission_rate_bp"] = commission_rate_bp
    revised["monthly_minimum_fen"] = monthly_minimum_fen
    current = {e.get("code"): e for e in terms.get("extras", [])}
    catalogue = terms.get("extras_catalogue") or {}
    discount = terms.get("discount_bp", 0)
    extras = []
    for code, (label, unit) in EXTRA_LABELS.items():
        quantity = extra_quantities.get(code, 0)
        if not quantity:
            continue
        if code in current:
            extras.append({**current[code], "quantity": quantity})
        else:
            price = (catalogue.get(code) or {}).get("unit_price_fen", 0)
            extras.append(
                {
                    "code": code,
                    "label": label,
                    "unit": unit,
                    "quantity": quantity,
                    "unit_price_fen": contract_terms._discounted(price, discount),
                }
            )
    extras += [e for e in terms.get("extras", []) if e.get("code") not in EXTRA_LABELS]  # kept as agreed
    revised["extras"] = extras
    return revised


def contract_pdf_data(contract: Contract):
    """The plain values the contract PDF shows."""
    from ops.contracts import wording
    from ops.contracts.pdf import ContractPdfData, PdfExtra, PdfParty, PdfSeat

    t = contract.terms
    c = contract
    return ContractPdfData(
        number=c.number or "",
        client=PdfParty(
            c.client_legal_name,
            c.client_tax_id,
            c.client_address,
            c.client_phone,
            c.client_bank_name,
            c.client_bank_account,
        ),
        vendor=PdfParty(
            c.vendor_name,
            c.vendor_tax_id,
            c.vendor_address,
            c.vendor_phone,
            c.vendor_bank_name,
            c.vendor_bank_account,
        ),
        start_on=c.start_on,
        end_on=c.end_on,
        auto_renew=c.auto_renew,
        model_label=wording.MODELS.get(c.model, c.model),
        billing_cycle=wording.BILLING_CYCLES[c.billing_cycle],
        billing_timing=wording.BILLING_TIMINGS[c.billing_timing],
        due_text=wording.due_text(c.due_rule, c.due_value, c.billing_cycle),
        late_fee_text=wording.late_fee_text(c.late_fee_bp_per_day, c.late_fee_grace_days),
        tax_rate_bp=c.tax_rate_bp,
        prices_include_tax=c.prices_include_tax,
        invoice_type=wording.INVOICE_TYPES[c.invoice_type],
        deposit_fen=c.deposit_fen,
        deposit_usage=wording.DEPOSIT_USAGES[c.deposit_usage],
        kpi_cap_bp=c.kpi_cap_bp,
        breakin_months=c.breakin_months,
        seats=[
            PdfSeat(
                wording.SCOPES.get(s["scope"], s["scope"]),
                wording.SHIFTS.get(s["shift"], s["shift"]),
                s["seats"],
                s["monthly_rate_fen"],
            )
            for s in t.get("seats", [])
        ],
        commission_rate_bp=t.get("commission_rate_bp", 0) if c.model == "base_commission" else 0,
        commission_base=t.get("commission_base", ""),
        tier_mode=wording.TIER_MODES.get(t.get("tier_mode", ""), ""),
        tier_lines=wording.tier_lines(t),
        consult_multiplier_bp=t.get("consult_multiplier_bp", 10_000),
        monthly_minimum_fen=t.get("monthly_minimum_fen", 0),
        extras=[
            PdfExtra(e["label"], e["unit"], e["quantity"], e["unit_price_fen"]) for e in t.get("extras", [])
        ],
        kpis=[wording.kpi_text(k) for k in c.kpis],
        clauses=[(cl.title, cl.body) for cl in c.clauses],
        is_draft=c.status == "draft",
    )


def render_pdf(contract: Contract) -> bytes:
    """The contract's PDF (font from the app's configuration)."""
    from ops.contracts.pdf import render_contract_pdf

    return render_contract_pdf(contract_pdf_data(contract), ttf_path=current_app.config["PDF_FONT"])


def pdf_filename(contract: Contract) -> str:
    return f"{contract.number or f'contract-draft-{contract.id}'}.pdf"
