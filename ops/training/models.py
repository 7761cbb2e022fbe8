from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.timeutil import utcnow

MATERIAL_CATEGORIES = (
    "product_manual",
    "scripts",
    "faq",
    "aftersales_policy",
    "logistics",
    "quick_replies",
    "platform_rules",
)
SESSION_MODES = ("onsite", "online")
SESSION_STATES = ("scheduled", "done", "cancelled")


class Material(db.Model):
    """A training material (产品手册, 话术, FAQ …) of one client, or general when client_id is empty."""

    __tablename__ = "materials"
    __table_args__ = (sa.CheckConstraint(_in("category", MATERIAL_CATEGORIES), name="category_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(30), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    client = relationship("Client")
    versions: Mapped[list["MaterialVersion"]] = relationship(
        back_populates="material", cascade="all, delete-orphan", order_by="MaterialVersion.version.desc()"
    )


class MaterialVersion(db.Model):
    """One uploaded file of a material; every upload is a new version and old ones are kept."""

    __tablename__ = "material_versions"
    __table_args__ = (sa.UniqueConstraint("material_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    stored_file: Mapped[str] = mapped_column(sa.String(80))
    original_name: Mapped[str] = mapped_column(sa.String(200))
    mimetype: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Uploads by client users notify staff on the dashboard until someone has looked at them.
    from_client: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    material: Mapped[Material] = relationship(back_populates="versions")
    uploaded_by = relationship("User")


session_materials = sa.Table(
    "session_materials",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("material_id", sa.ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True),
)


class TrainingSession(db.Model):
    __tablename__ = "training_sessions"
    __table_args__ = (
        sa.CheckConstraint(_in("mode", SESSION_MODES), name="mode_known"),
        sa.CheckConstraint(_in("status", SESSION_STATES), name="status_known"),
        sa.CheckConstraint("exam_pass_mark BETWEEN 0 AND 100", name="pass_mark_range"),
        sa.CheckConstraint("exam_max_attempts >= 1", name="attempts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True
    )
    contract_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contracts.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    mode: Mapped[str] = mapped_column(sa.String(10), default="online")
    trainer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the list's upcoming/past filter
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    meeting_link: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="scheduled", index=True)
    has_exam: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    exam_pass_mark: Mapped[int] = mapped_column(sa.Integer, default=80)  # score out of 100
    exam_max_attempts: Mapped[int] = mapped_column(sa.Integer, default=3)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client = relationship("Client")
    trainer = relationship("User")
    materials = relationship("Material", secondary=session_materials, order_by="Material.title")
    invitations: Mapped[list["SessionInvite"]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )


class SessionInvite(db.Model):
    """An agent invited to a session; attendance is recorded after it."""

    __tablename__ = "session_invites"
    __table_args__ = (sa.UniqueConstraint("session_id", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    attended: Mapped[bool | None] = mapped_column(sa.Boolean)  # None = not recorded yet
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship(back_populates="invitations")
    agent = relationship("Agent")


class ExamAttempt(db.Model):
    __tablename__ = "exam_attempts"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "agent_id", "attempt_no"),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    attempt_no: Mapped[int] = mapped_column(sa.Integer)
    score: Mapped[int] = mapped_column(sa.Integer)
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    agent = relationship("Agent")
