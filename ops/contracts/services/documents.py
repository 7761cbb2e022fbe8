"""The contract as a document: the PDF's values, the PDF, its file name."""

from __future__ import annotations

from flask import current_app

from ops import vocab
from ops.contracts.models import Contract


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
                vocab.label_msgid("scope", s["scope"]),
                vocab.label_msgid("shift", s["shift"]),
                s["seats"],
                s["monthly_rate_fen"],
                s.get("monthly_total_fen"),
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
