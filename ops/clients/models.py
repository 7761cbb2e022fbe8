from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ops.clients.constants import STAGE_CODES
from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.fapiao.rules import FAPIAO_TYPES
from ops.timeutil import utcnow
from ops.vocab import NEEDS_SCOPE_CODES, PLATFORM_CODES


class Client(db.Model):
    __tablename__ = "clients"
    __table_args__ = (
        sa.CheckConstraint(_in("stage", STAGE_CODES), name="stage_known"),
        sa.CheckConstraint(_in("fapiao_type", FAPIAO_TYPES), name="fapiao_type_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)  # the shop/brand name used day to day
    legal_name: Mapped[str] = mapped_column(sa.String(200), default="")  # 公司全称 for contracts and invoices
    tax_id: Mapped[str | None] = mapped_column(sa.String(18), unique=True)  # 统一社会信用代码
    category: Mapped[str] = mapped_column(sa.String(50), default="", index=True)  # 类目
    stage: Mapped[str] = mapped_column(sa.String(20), default="lead", index=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    bank_name: Mapped[str] = mapped_column(sa.String(100), default="")  # 开户行, for invoicing details
    bank_account: Mapped[str] = mapped_column(sa.String(50), default="")
    # 发票类型 the client asks for: 普票 (normal) or 专票 (special, needs the full invoicing details).
    fapiao_type: Mapped[str] = mapped_column(sa.String(10), default="normal", server_default="normal")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )  # list sort
    # Archived clients are hidden from the client list (unless asked for) and from new quotes; every
    # record stays. Set and cleared by services.archive_client / restore_client.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Finance paused payment reminders (催款) for this client; set and cleared by
    # billing.services.pause_dunning / resume_dunning.
    dunning_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner = relationship("User", foreign_keys=[owner_id])
    shops: Mapped[list["ClientShop"]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientShop.id"
    )
    contacts: Mapped[list["ClientContact"]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientContact.id"
    )

    @property
    def client_id(self) -> int:
        """For get_scoped_or_404: a client belongs to itself."""
        return self.id

    @property
    def platforms(self) -> list[str]:
        return sorted({s.platform for s in self.shops})

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.name}>"


class ClientShop(db.Model):
    __tablename__ = "client_shops"
    __table_args__ = (sa.CheckConstraint(_in("platform", PLATFORM_CODES), name="platform_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(20), index=True)
    shop_name: Mapped[str] = mapped_column(sa.String(100))
    shop_url: Mapped[str] = mapped_column(sa.String(300), default="")

    client: Mapped[Client] = relationship(back_populates="shops")


class ClientContact(db.Model):
    __tablename__ = "client_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    title: Mapped[str] = mapped_column(sa.String(50), default="")  # e.g. 店长, 运营
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    wechat: Mapped[str] = mapped_column(sa.String(50), default="")
    is_primary: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Receives the billing e-mails (invoices, receipts, reminders); when no contact of the client is
    # flagged, every contact with an e-mail address receives them.
    is_finance: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh", server_default="zh")  # e-mail language

    client: Mapped[Client] = relationship(back_populates="contacts")


class Needs(db.Model):
    """One version of a client's needs (需求). A change makes a new version; old ones are kept."""

    __tablename__ = "client_needs"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "version"),
        sa.CheckConstraint("complexity BETWEEN 1 AND 5", name="complexity_range"),
        sa.CheckConstraint(_in("scope", NEEDS_SCOPE_CODES), name="scope_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    platform: Mapped[str] = mapped_column(sa.String(20))
    scope: Mapped[str] = mapped_column(sa.String(20))  # presales / aftersales / both
    shifts: Mapped[list] = mapped_column(sa.JSON, default=list)  # shift codes, e.g. ["day", "evening"]
    avg_daily_consults: Mapped[int] = mapped_column(sa.Integer)
    peak_daily_consults: Mapped[int | None] = mapped_column(sa.Integer)
    peak_hour_share_bp: Mapped[int | None] = mapped_column(
        sa.Integer
    )  # share of a day's consults in its peak hour
    aht_seconds: Mapped[int | None] = mapped_column(sa.Integer)  # average handle time
    concurrency: Mapped[int | None] = mapped_column(sa.Integer)  # chats one agent handles at once
    sl_target_bp: Mapped[int | None] = mapped_column(sa.Integer)  # e.g. 8000 = 80 % ...
    sl_answer_seconds: Mapped[int | None] = mapped_column(sa.Integer)  # ... answered within 30 s
    avg_order_value_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # 客单价
    inquiry_conversion_bp: Mapped[int | None] = mapped_column(sa.Integer)  # expected 询单转化率
    category: Mapped[str] = mapped_column(sa.String(50), default="")
    complexity: Mapped[int] = mapped_column(sa.Integer, default=3)  # product complexity 1-5
    sku_count: Mapped[int | None] = mapped_column(sa.Integer)
    special_requirements: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    client: Mapped[Client] = relationship()
    created_by = relationship("User")


class PlanItem(db.Model):
    """One line of a client's outsourcing plan (外包计划): a key concern or a key work item of a phase."""

    __tablename__ = "plan_items"
    __table_args__ = (
        sa.CheckConstraint("phase BETWEEN 1 AND 6", name="phase_range"),
        sa.CheckConstraint("kind IN ('concern', 'work')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    phase: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(10))  # concern (关注点) / work (工作项)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    title: Mapped[str] = mapped_column(sa.String(300))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The role that looks after it (sales / trainer / finance / manager) and the event that ticks it
    # by itself (ops.clients.plan.PLAN_EVENTS, "" = by hand or when its phase is done).
    owner_role: Mapped[str] = mapped_column(sa.String(20), default="")
    tick_event: Mapped[str] = mapped_column(sa.String(30), default="")
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    owner = relationship("User", foreign_keys=[owner_id])
    done_by = relationship("User", foreign_keys=[done_by_id])
