"""Contract actions. Each checks the state, writes and audits; the caller commits.

One module per noun: ``contracts`` (a contract's life and terms), ``deposits``, ``clauses`` (a
contract's breach clauses and the library), ``signed`` (the signed copy), ``vendor`` (本公司信息),
``documents`` (the PDF); ``common`` holds the error, the row lock and the draft check. The names
are re-exported here, so ``from ops.contracts import services`` keeps working.
"""

from ops.contracts.services.clauses import (
    CLAUSE_FIELDS,
    DEFAULT_CLAUSES,
    clause_templates,
    create_clause_template,
    ensure_default_clauses,
    set_clause_template_active,
    set_clauses,
    update_clause_template,
)
from ops.contracts.services.common import ContractError, lock_contract, require_draft
from ops.contracts.services.contracts import (
    TERMS_FIELDS,
    accepted_quotes_without_contract,
    activate,
    add_months,
    cancel,
    contracts_ending_within,
    create_from_quote,
    expire_contracts,
    return_to_draft,
    revised_terms,
    set_kpis,
    submit_for_signature,
    terminate,
    update_contract,
    validate_contract,
)
from ops.contracts.services.deposits import (
    apply_deposit_offset,
    deposit_remainder_fen,
    receive_deposit,
    release_deposit_offset,
    settle_deposit,
    waive_deposit_rest,
)
from ops.contracts.services.documents import contract_pdf_data, pdf_filename, render_pdf
from ops.contracts.services.expiry import EXPIRY_NOTICE_DAYS, announce_expiring_contracts
from ops.contracts.services.signed import signed_download_name, upload_signed_copy
from ops.contracts.services.vendor import (
    VENDOR_FIELDS,
    update_vendor_profile,
    vendor_identity,
    vendor_profile,
)
from ops.contracts.states import check_contract_transition, check_deposit_transition

__all__ = [
    "EXPIRY_NOTICE_DAYS",
    "announce_expiring_contracts",
    "CLAUSE_FIELDS",
    "DEFAULT_CLAUSES",
    "TERMS_FIELDS",
    "VENDOR_FIELDS",
    "ContractError",
    "accepted_quotes_without_contract",
    "activate",
    "add_months",
    "cancel",
    "check_contract_transition",
    "check_deposit_transition",
    "clause_templates",
    "contract_pdf_data",
    "contracts_ending_within",
    "create_clause_template",
    "create_from_quote",
    "ensure_default_clauses",
    "expire_contracts",
    "lock_contract",
    "pdf_filename",
    "receive_deposit",
    "render_pdf",
    "require_draft",
    "return_to_draft",
    "revised_terms",
    "set_clause_template_active",
    "set_clauses",
    "set_kpis",
    "settle_deposit",
    "waive_deposit_rest",
    "apply_deposit_offset",
    "deposit_remainder_fen",
    "release_deposit_offset",
    "signed_download_name",
    "submit_for_signature",
    "terminate",
    "update_clause_template",
    "update_contract",
    "update_vendor_profile",
    "upload_signed_copy",
    "validate_contract",
    "vendor_identity",
    "vendor_profile",
]
