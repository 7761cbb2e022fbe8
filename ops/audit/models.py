from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.timeutil import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(sa.String(100))  # username at the time, or "system"/"cli"
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    summary: Mapped[str] = mapped_column(sa.String(300), default="")  # as written, in Chinese
    # A summary the code wrote (not a person): its msgid and parameters, so a page shows it in the
    # reader's language (ops.audit.services.summary_text); None for summaries typed by people.
    summary_msgid: Mapped[str | None] = mapped_column(sa.String(300))
    summary_params: Mapped[dict | None] = mapped_column(sa.JSON)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    user = relationship("User", lazy="joined")
