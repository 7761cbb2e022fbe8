from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.onboarding.states import AGENT_STATES, assignment_state
from ops.timeutil import today, utcnow
from ops.vocab import SCOPE_CODES as SCOPES
from ops.vocab import SHIFT_CODES as SHIFTS

ITEM_STATES = ("todo", "done", "verified", "blocked", "na")
AUTO_RULES = ("training_attended", "exam_passed")


class Agent(db.Model):
    """A chat agent (客服) of the vendor."""

    __tablename__ = "agents"
    __table_args__ = (sa.CheckConstraint(_in("status", AGENT_STATES), name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), index=True)
    employee_no: Mapped[str] = mapped_column(sa.String(30), unique=True)
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="recruiting", index=True)
    skills: Mapped[list] = mapped_column(sa.JSON, default=list)  # e.g. ["售前", "售后", "英语"]
    platforms: Mapped[list] = mapped_column(sa.JSON, default=list)  # platform codes
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignments: Mapped[list["Assignment"]] = relationship(back_populates="agent", order_by="Assignment.id")


class Assignment(db.Model):
    """An agent on a client's contract: scope, shift and the dates billing prorates seats by.

    Days served run from ``go_live_on`` (counts) to ``end_on`` (does not count).
    """

    __tablename__ = "assignments"
    __table_args__ = (
        sa.CheckConstraint(_in("scope", SCOPES), name="scope_known"),
        sa.CheckConstraint(_in("shift", SHIFTS), name="shift_known"),
        sa.CheckConstraint(
            "end_on IS NULL OR go_live_on IS NULL OR end_on > go_live_on", name="end_after_go_live"
        ),
        sa.CheckConstraint("cancelled_at IS NULL OR go_live_on IS NULL", name="cancelled_never_live"),
        sa.Index("ix_assignments_contract_dates", "contract_id", "go_live_on", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("agents.id", ondelete="RESTRICT"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="RESTRICT"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="RESTRICT"), index=True)
    scope: Mapped[str] = mapped_column(sa.String(12))
    shift: Mapped[str] = mapped_column(sa.String(10))
    planned_go_live_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    go_live_on: Mapped[date | None] = mapped_column(sa.Date, index=True)  # actual (a list filter)
    end_on: Mapped[date | None] = mapped_column(sa.Date)
    went_live_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    override_reason: Mapped[str] = mapped_column(
        sa.Text, default=""
    )  # manager's reason when the gate was overridden
    seat_override_reason: Mapped[str] = mapped_column(
        sa.Text, default=""
    )  # manager's reason when the contract's seats were exceeded
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agent: Mapped[Agent] = relationship(back_populates="assignments")
    contract = relationship("Contract")
    client = relationship("Client")
    items: Mapped[list["ChecklistItem"]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", order_by="ChecklistItem.position"
    )
    credential: Mapped["Credential | None"] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", uselist=False
    )

    @property
    def status(self) -> str:
        """pending, live, ended or cancelled, today (``ops.onboarding.states.assignment_state``)."""
        return assignment_state(
            cancelled=self.cancelled_at is not None,
            go_live_on=self.go_live_on,
            end_on=self.end_on,
            on=today(),
        )


class ChecklistTemplate(db.Model):
    __tablename__ = "checklist_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list["ChecklistTemplateItem"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="ChecklistTemplateItem.position"
    )


class ChecklistTemplateItem(db.Model):
    __tablename__ = "checklist_template_items"
    __table_args__ = (
        sa.CheckConstraint(f"auto_rule IS NULL OR {_in('auto_rule', AUTO_RULES)}", name="auto_rule_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checklist_templates.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(50), default="")
    required: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    needs_verification: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    evidence_note: Mapped[str] = mapped_column(sa.String(300), default="")
    auto_rule: Mapped[str | None] = mapped_column(sa.String(30))  # ticked by training records

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class ChecklistItem(db.Model):
    """An assignment's own copy of a template item, with its state and who did what when."""

    __tablename__ = "checklist_items"
    __table_args__ = (
        sa.CheckConstraint(_in("state", ITEM_STATES), name="state_known"),
        sa.Index("ix_checklist_items_assignment_state", "assignment_id", "state"),
        # The onboarding dashboard's blocked items: the few blocked ones, not a pass over every item.
        sa.Index("ix_checklist_items_state_assignment", "state", "assignment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    title: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(50), default="")
    required: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    needs_verification: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    evidence_note: Mapped[str] = mapped_column(sa.String(300), default="")
    auto_rule: Mapped[str | None] = mapped_column(sa.String(30))
    state: Mapped[str] = mapped_column(sa.String(10), default="todo")
    blocked_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    evidence: Mapped[str] = mapped_column(sa.String(300), default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="items")
    done_by = relationship("User", foreign_keys=[done_by_id])
    verified_by = relationship("User", foreign_keys=[verified_by_id])


class Credential(db.Model):
    """A platform sub-account for an assignment. The password is Fernet-encrypted with OPS_VAULT_KEY."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), unique=True
    )
    platform: Mapped[str] = mapped_column(sa.String(20), default="")
    account_name: Mapped[str] = mapped_column(sa.String(100))
    password_ciphertext: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    assignment: Mapped[Assignment] = relationship(back_populates="credential")


class PlatformRule(db.Model):
    """A platform's service rule (deadline and consequence), maintained by staff as data."""

    __tablename__ = "platform_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(20), index=True)
    event: Mapped[str] = mapped_column(sa.String(200))
    deadline: Mapped[str] = mapped_column(sa.String(100))
    consequence: Mapped[str] = mapped_column(sa.String(300), default="")
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    from_seed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
