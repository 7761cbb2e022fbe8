"""A contract's life: made from an accepted quote, its terms and KPIs edited while draft, then
submitted, returned, activated, terminated or expired.

A state change locks the contract row first (``lock_contract``) and checks under the lock, so two
people (or a double-click) cannot both pass a check meant for one; one quote makes at most one
live contract (the quote row is locked, and a unique partial index backs the rule). The caller commits.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ops import i18n
from ops.audit.services import record, snapshot
from ops.clients.services import advance_stage
from ops.contracts import terms as contract_terms
from ops.contracts.models import ClauseTemplate, Contract, ContractClause, ContractKpi, ContractKpiBand
from ops.contracts.services.common import ContractError, lock_contract, require_draft
from ops.contracts.services.vendor import vendor_profile
from ops.contracts.states import check_contract_transition
from ops.contracts.terms import ContractTerms, ExtraTerms, KpiTerms
from ops.events.services import emit
from ops.extensions import db
from ops.numbering import next_number
from ops.ratecards.rules import EXTRA_LABELS, MONTHLY_EXTRA_CODES
from ops.timeutil import today, utcnow
from ops.transactions import lock_row

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
    "late_fee_auto",
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


# A contract in these states no longer holds its quote (see ``LIVE_CONTRACT_SQL``).
FREEING_STATES = ("terminated", "cancelled")


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
        sa.select(Contract).where(Contract.quote_id == quote.id, Contract.status.not_in(FREEING_STATES))
    )
    if existing is not None:
        raise ContractError(
            f"该报价单已生成合同（{existing.number or '草稿'}），一份报价只能有一份有效合同；"
            "如需重新生成，请先取消该合同。"
        )
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
    for position, key in enumerate(("frt30", "delay")):
        preset = contract_terms.PRESETS_BY_KEY[key]
        contract.kpis.append(_new_kpi(position, contract_terms.kpi_from_preset(preset)))
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
    require_draft(contract)
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


def set_kpis(contract: Contract, rows: list[KpiTerms], by=None) -> None:
    """Replace a draft contract's KPI clauses (rows: metric, comparison, threshold, deduction_*)."""
    require_draft(contract)
    errors = []
    for i, row in enumerate(rows, 1):
        errors += [
            f"第 {i} 条 KPI：{e}"
            for e in contract_terms.validate_kpi(
                row["metric"], row["comparison"], row["deduction_kind"], row.get("bands") or []
            )
        ]
    if errors:
        raise ContractError(errors)
    before = [_kpi_dict(k) for k in contract.kpis]
    contract.kpis.clear()
    db.session.flush()
    for position, row in enumerate(rows):
        contract.kpis.append(_new_kpi(position, row))
    db.session.flush()
    record(
        "contract.kpis_set",
        contract,
        before={"kpis": before},
        after={"kpis": [_kpi_dict(k) for k in contract.kpis]},
    )


def _new_kpi(position: int, row: KpiTerms) -> ContractKpi:
    """A ContractKpi with its bands; a percent clause keeps only percentages, a fixed one amounts."""
    percent = row["deduction_kind"] == "percent"
    return ContractKpi(
        position=position,
        metric=row["metric"],
        comparison=row["comparison"],
        deduction_kind=row["deduction_kind"],
        note=row.get("note", ""),
        bands=[
            ContractKpiBand(
                position=i,
                threshold=b["threshold"],
                deduction_bp=b.get("deduction_bp", 0) if percent else 0,
                deduction_fen=0 if percent else b.get("deduction_fen", 0),
            )
            for i, b in enumerate(row["bands"])
        ],
    )


def _kpi_dict(k: ContractKpi) -> KpiTerms:
    return {
        "metric": k.metric,
        "comparison": k.comparison,
        "deduction_kind": k.deduction_kind,
        "bands": [
            {"threshold": b.threshold, "deduction_bp": b.deduction_bp, "deduction_fen": b.deduction_fen}
            for b in k.bands
        ],
    }


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
    if contract.deposit_status == "partial":
        raise ContractError("定金尚未全额到账，合同不能生效：请登记其余款项，或由经理写明原因免收余额。")
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
    emit("contract.activated", contract, client_id=contract.client_id, contract_id=contract.id)
    advance_stage(
        contract.client, "contracted", reason=i18n._l("合同 %(number)s 生效", number=contract.number)
    )


def terminate(
    contract: Contract, reason: str, effective_on: date | None, by=None, *, for_breach: bool = False
) -> None:
    """active -> terminated. ``for_breach`` (违约终止): the client's default; the deposit is kept
    for forfeiture (the final run does not offset it; finance forfeits it)."""
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
    contract.terminated_for_breach = for_breach
    record(
        "contract.terminated",
        contract,
        summary=reason.strip()[:300],
        before={"status": "active"},
        after={"status": "terminated", "terminated_on": effective_on, "for_breach": for_breach},
    )


def cancel(contract: Contract, reason: str, by=None) -> None:
    """draft | pending_signature -> cancelled: a contract made in error, or a deal that fell through.

    The contract is kept (with why and when); its quote is free for a new contract. A contract
    that received a deposit must have it refunded first (nothing would be left to settle it from).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ContractError("取消合同需要填写原因。", field="reason")
    contract = lock_contract(contract.id)
    check_contract_transition(contract.status, "cancelled")
    if contract.deposit_status in ("received", "partial"):  # partial: the partial-deposits part
        raise ContractError("该合同的定金已到账，请先退还定金再取消合同。")
    before = {"status": contract.status, "deposit_status": contract.deposit_status}
    contract.status = "cancelled"
    contract.cancelled_at = utcnow()
    contract.cancellation_reason = reason
    if contract.deposit_status == "due":
        contract.deposit_status = "none"  # nothing was received and nothing is owed any more
    record(
        "contract.cancelled",
        contract,
        summary=reason[:300],
        before=before,
        after={"status": "cancelled", "deposit_status": contract.deposit_status, "reason": reason},
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


# --- reading and documents ---------------------------------------------------------------------


def accepted_quotes_without_contract():
    """A select of accepted quotes that never became a contract."""
    from ops.quotes.models import Quote

    has_contract = sa.exists().where(Contract.quote_id == Quote.id, Contract.status != "cancelled")
    return (
        sa.select(Quote)
        .where(Quote.status == "accepted", ~has_contract)
        .order_by(Quote.decided_at.desc(), Quote.id.desc())
    )


def revised_terms(
    terms: ContractTerms,
    seat_rows: list[dict],
    commission_rate_bp: int,
    monthly_minimum_fen: int,
    extra_quantities: dict[str, int],
) -> ContractTerms:
    """A copy of the frozen terms with staff's edits: seats and rates per seat row (same rows, same
    order), the commission rate, the monthly minimum and the extras' quantities. New extras take the
    catalogue price less the quote's discount."""
    revised = terms.copy()
    revised["seats"] = []
    for seat, row in zip(terms.get("seats", []), seat_rows, strict=True):
        edited: dict = {**seat, "seats": row["seats"], "monthly_rate_fen": row["monthly_rate_fen"]}
        if (row["seats"], row["monthly_rate_fen"]) != (seat["seats"], seat["monthly_rate_fen"]):
            edited.pop("monthly_total_fen", None)  # a new seat count or rate: seats × rate again
        revised["seats"].append(edited)  # type: ignore[arg-type]
    revised["commission_rate_bp"] = commission_rate_bp
    revised["monthly_minimum_fen"] = monthly_minimum_fen
    current = {e.get("code"): e for e in terms.get("extras", [])}
    catalogue = terms.get("extras_catalogue") or {}
    discount = terms.get("discount_bp", 0)
    extras: list[ExtraTerms] = []
    for code in MONTHLY_EXTRA_CODES:  # holiday allowance, promotion staff: dated extras instead
        label, unit = EXTRA_LABELS[code]
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
    # Other extras, and monthly holiday/promotion extras agreed before they became dated, kept as agreed.
    extras += [e for e in terms.get("extras", []) if e.get("code") not in MONTHLY_EXTRA_CODES]
    revised["extras"] = extras
    return revised
