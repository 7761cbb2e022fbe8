"""Serving a material's stored versions: one helper for the staff pages and the client portal."""

import sqlalchemy as sa
from flask import abort

from ops.extensions import db
from ops.training.models import Material, MaterialVersion
from ops.uploads import send_stored


def download_version(material: Material, version_no: int):
    """Serve one version of an already authorised material as an attachment (404 if it is missing)."""
    version = db.session.scalar(
        sa.select(MaterialVersion).where(
            MaterialVersion.material_id == material.id, MaterialVersion.version == version_no
        )
    )
    if version is None:
        abort(404)
    try:
        return send_stored(version.stored_file, version.original_name, version.mimetype)
    except FileNotFoundError:
        abort(404)
