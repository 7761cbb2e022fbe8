"""Contract amendments (补充协议): seat rows and monthly extras changed from an effective date.

draft → sent → accepted | rejected, and draft | sent → withdrawn. An active contract has at most one
open (draft or sent) amendment; an accepted one is a term version (``ops.contracts.versions``) that
billing and the seat bound read. Every action locks the contract row first, then writes and audits;
the caller commits.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ops.audit.services import record
from ops.billing.models import Invoice
from ops.contracts.amendment_pdf import AmendmentPdfData, render_amendment_pdf
from ops.contracts.models import OPEN_AMENDMENT_STATES, Contract, ContractAmendment
from ops.contracts.services.common import ContractError, lock_contract
from ops.contracts.terms import ContractTerms, validate_terms
from ops.contracts.versions import Version, terms_on
from ops.extensions import db
from ops.i18n import N_
from ops.timeutil import utcnow

# status → the statuses it may move to
TRANSITIONS = {
    "draft": ("sent", "withdrawn"),
    "sent": ("accepted", "rejected", "withdrawn"),
}
STATUS_LABELS = {
    "draft": N_("草稿"),
    "sent": N_("待客户确认"),
    "accepted": N_("已生效"),
    "rejected": N_("客户已拒绝"),
    "withdrawn": N_("已撤回"),
}


def accepted_versions(contract_id: int) -> list[Version]:
    """The contract's accepted amendments as (effective_on, terms), in effective-date order."""
    rows = db.session.execute(
        sa.select(ContractAmendment.effective_on, ContractAmendment.terms)
        .where(ContractAmendment.contract_id == contract_id, ContractAmendment.status == "accepted")
        .order_by(ContractAmendment.effective_on, ContractAmendment.seq)
    )
    return [(effective_on, terms) for effective_on, terms in rows]


def terms_in_force(contract: Contract, on: date) -> ContractTerms:
    """The contract's terms in force on ``on``: its frozen terms with the accepted amendments applied."""
    return terms_on(contract.terms or {"model": contract.model}, accepted_versions(contract.id), on)


def _invoiced_until(contract_id: int) -> date | None:
    """The last day of the latest issued (or paid) invoice period of the contract, or None."""
    return db.session.scalar(
        sa.select(sa.func.max(Invoice.period_end)).where(
            Invoice.contract_id == contract_id, Invoice.status.in_(("issued", "paid"))
        )
    )


def _check_terms(contract: Contract, terms: dict[str, Any]) -> dict[str, Any]:
    amended = {"seats": list(terms.get("seats") or []), "extras": list(terms.get("extras") or [])}
    errors = validate_terms({**(contract.terms or {"model": contract.model}), **amended})  # type: ignore[typeddict-item]
    if errors:
        raise ContractError(errors, field="seats")
    return amended


def _check_effective_on(contract: Contract, effective_on: date | None) -> date:
    if effective_on is None:
        raise ContractError("请填写补充协议的生效日期。", field="effective_on")
    if not contract.start_on < effective_on <= contract.end_on:
        raise ContractError(
            f"生效日期应在合同期内（{contract.start_on.isoformat()} 之后，至 {contract.end_on.isoformat()}）。",
            field="effective_on",
        )
    invoiced = _invoiced_until(contract.id)
    if invoiced is not None and effective_on <= invoiced:
        raise ContractError(
            f"已开票的账期到 {invoiced.isoformat()} 为止，补充协议不能改写已开票的期间：生效日期应晚于该日。",
            field="effective_on",
        )
    return effective_on


def amendment_pdf(amendment: ContractAmendment) -> bytes:
    """The amendment's PDF: the stored one once sent, else rendered now (a draft)."""
    if amendment.pdf is not None:
        return amendment.pdf
    return _render(amendment)


def _render(amendment: ContractAmendment) -> bytes:
    contract = amendment.contract
    data = AmendmentPdfData(
        number=amendment.number,
        contract_number=contract.number or "",
        client_name=contract.client_legal_name or contract.client.name,
        vendor_name=contract.vendor_name,
        effective_on=amendment.effective_on,
        reason=amendment.reason,
        seats=list(amendment.terms.get("seats") or []),
        extras=list(amendment.terms.get("extras") or []),
        status_label=STATUS_LABELS[amendment.status],
    )
    return render_amendment_pdf(data, ttf_path=current_app.config.get("PDF_FONT"))


def _store_pdf(amendment: ContractAmendment) -> None:
    amendment.pdf = _render(amendment)
    amendment.pdf_sha256 = hashlib.sha256(amendment.pdf).hexdigest()


def _snap(amendment: ContractAmendment) -> dict[str, Any]:
    return {
        "number": amendment.number,
        "status": amendment.status,
        "effective_on": amendment.effective_on,
        "terms": amendment.terms,
        "reason": amendment.reason,
    }


def create_amendment(
    contract: Contract, *, effective_on: date | None, terms: dict[str, Any], reason: str, by=None
) -> ContractAmendment:
    """A draft amendment of an active contract, numbered <contract number>-B<seq>."""
    contract = lock_contract(contract.id)
    if contract.status != "active":
        raise ContractError("只有生效中的合同可以签订补充协议。")
    open_count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ContractAmendment)
        .where(
            ContractAmendment.contract_id == contract.id, ContractAmendment.status.in_(OPEN_AMENDMENT_STATES)
        )
    )
    if open_count:
        raise ContractError("该合同已有一份未完成的补充协议：请先发送确认或撤回它。")
    amended = _check_terms(contract, terms)
    effective = _check_effective_on(contract, effective_on)
    seq = (
        db.session.scalar(
            sa.select(sa.func.max(ContractAmendment.seq)).where(ContractAmendment.contract_id == contract.id)
        )
        or 0
    ) + 1
    amendment = ContractAmendment(
        contract_id=contract.id,
        seq=seq,
        number=f"{contract.number}-B{seq}",
        effective_on=effective,
        terms=amended,
        reason=(reason or "").strip(),
        status="draft",
        created_by_id=getattr(by, "id", None),
        decision_note="",
    )
    db.session.add(amendment)
    db.session.flush()
    record(
        "contract_amendment.created", amendment, summary=amendment.number, after=_snap(amendment), actor=by
    )
    return amendment


def _locked(amendment: ContractAmendment, target: str) -> tuple[Contract, ContractAmendment]:
    contract = lock_contract(amendment.contract_id)
    db.session.refresh(amendment)
    if target not in TRANSITIONS.get(amendment.status, ()) and not (
        target == "draft" and amendment.status == "draft"
    ):
        raise ContractError(f"补充协议当前状态为「{STATUS_LABELS[amendment.status]}」，不能执行该操作。")
    return contract, amendment


def update_amendment(
    amendment: ContractAmendment, *, effective_on: date | None, terms: dict[str, Any], reason: str, by=None
) -> ContractAmendment:
    """Edit a draft amendment's effective date, seat rows, extras and reason."""
    contract, amendment = _locked(amendment, "draft")
    before = _snap(amendment)
    amendment.terms = _check_terms(contract, terms)
    amendment.effective_on = _check_effective_on(contract, effective_on)
    amendment.reason = (reason or "").strip()
    record(
        "contract_amendment.updated",
        amendment,
        summary=amendment.number,
        before=before,
        after=_snap(amendment),
        actor=by,
    )
    return amendment


def send_amendment(amendment: ContractAmendment, by=None) -> ContractAmendment:
    """draft → sent: the client can accept or reject it in the portal."""
    contract, amendment = _locked(amendment, "sent")
    if contract.status != "active":
        raise ContractError("合同已不在生效中，不能发送补充协议。")
    _check_effective_on(contract, amendment.effective_on)
    before = _snap(amendment)
    amendment.status = "sent"
    amendment.sent_at = utcnow()
    _store_pdf(amendment)
    record(
        "contract_amendment.sent",
        amendment,
        summary=amendment.number,
        before=before,
        after=_snap(amendment),
        actor=by,
    )
    return amendment


def _decide(amendment: ContractAmendment, target: str, by, note: str) -> ContractAmendment:
    contract, amendment = _locked(amendment, target)
    if target == "accepted":
        if contract.status != "active":
            raise ContractError("合同已不在生效中，不能接受补充协议。")
        # Invoices may have been issued since it was sent: it must still not rewrite them.
        _check_effective_on(contract, amendment.effective_on)
    before = _snap(amendment)
    amendment.status = target
    amendment.decided_at = utcnow()
    amendment.decided_by_id = getattr(by, "id", None)
    amendment.decision_note = note
    if target == "accepted":
        _store_pdf(amendment)  # the accepted document, as the client agreed to it
    record(
        f"contract_amendment.{target}",
        amendment,
        summary=f"{amendment.number} {note}".strip()[:300],
        before=before,
        after=_snap(amendment) | {"note": note},
        actor=by,
    )
    return amendment


def accept_amendment(
    amendment: ContractAmendment, by, note: str = "", *, on_behalf: bool = False
) -> ContractAmendment:
    """sent → accepted, by the client in the portal or, with a reason, by a manager on its behalf."""
    note = (note or "").strip()
    if on_behalf and not note:
        raise ContractError("代客户确认补充协议需要填写原因。", field="note")
    return _decide(amendment, "accepted", by, note)


def reject_amendment(amendment: ContractAmendment, by, note: str) -> ContractAmendment:
    """sent → rejected (a reason is required)."""
    note = (note or "").strip()
    if not note:
        raise ContractError("请填写拒绝原因。", field="note")
    return _decide(amendment, "rejected", by, note)


def withdraw_amendment(amendment: ContractAmendment, by, reason: str) -> ContractAmendment:
    """draft | sent → withdrawn: the vendor takes it back (a reason is required)."""
    reason = (reason or "").strip()
    if not reason:
        raise ContractError("请填写撤回原因。", field="note")
    return _decide(amendment, "withdrawn", by, reason)
