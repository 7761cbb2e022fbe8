"""Client actions. Each checks, writes and audits; the caller commits."""

import sqlalchemy as sa

from ops.audit.services import record
from ops.clients.constants import STAGE_ORDER
from ops.clients.models import Client, Needs
from ops.extensions import db


def current_needs(client_id: int) -> Needs | None:
    """The newest version of a client's needs, or None."""
    return db.session.scalar(
        sa.select(Needs).where(Needs.client_id == client_id).order_by(Needs.version.desc()).limit(1)
    )


def advance_stage(client: Client, stage: str, *, reason: str = "") -> bool:
    """Move the client's pipeline stage forward to ``stage`` (never backwards; paused and
    churned clients are left alone). Returns True when the stage changed."""
    if client.stage not in STAGE_ORDER or stage not in STAGE_ORDER:
        return False
    if STAGE_ORDER.index(stage) <= STAGE_ORDER.index(client.stage):
        return False
    before = client.stage
    client.stage = stage
    record("client.stage_advanced", client, summary=reason or f"{before} -> {stage}",
           before={"stage": before}, after={"stage": stage})
    return True
