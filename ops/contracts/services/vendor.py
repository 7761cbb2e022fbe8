"""The vendor's own details (本公司信息), copied into every new contract."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ops.audit.services import record, snapshot
from ops.contracts.models import VendorProfile
from ops.contracts.services.common import ContractError
from ops.extensions import db

VENDOR_FIELDS = ("name", "tax_id", "address", "phone", "bank_name", "bank_account")


def vendor_profile() -> VendorProfile:
    """The vendor's details (created from the configured name on first use)."""
    profile = db.session.scalar(sa.select(VendorProfile).limit(1))
    if profile is None:
        profile = VendorProfile(name=current_app.config["VENDOR_NAME"])
        db.session.add(profile)
        db.session.flush()
    return profile


def vendor_identity() -> VendorProfile:
    """The vendor's details for a document (every PDF's 服务商): the /admin/vendor profile, or, before
    anyone saved one, an unsaved profile named ``OPS_VENDOR_NAME`` (nothing is written)."""
    profile = db.session.scalar(sa.select(VendorProfile).limit(1))
    if profile is not None:
        return profile
    return VendorProfile(
        name=current_app.config["VENDOR_NAME"],
        tax_id="",
        address="",
        phone="",
        bank_name="",
        bank_account="",
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
