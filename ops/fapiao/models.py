from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ops.dbtypes import UTCDateTime
from ops.extensions import db
from ops.extensions import one_of as _in
from ops.fapiao.rules import ITEM_KINDS
from ops.timeutil import utcnow


class FapiaoItemCode(db.Model):
    """What an invoice line kind is called on the fapiao, as the vendor configured it (finance, admin).

    A kind without a row uses the sample of ``ops.fapiao.rules.SAMPLE_ITEM_CODES``, shown as 示例.
    """

    __tablename__ = "fapiao_item_codes"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ITEM_KINDS), name="kind_known"),
        sa.CheckConstraint("length(tax_code) = 19", name="tax_code_length"),
    )

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    item_name: Mapped[str] = mapped_column(sa.String(90))  # 项目名称
    tax_code: Mapped[str] = mapped_column(sa.String(19))  # 税收分类编码, 19 digits
    unit: Mapped[str] = mapped_column(sa.String(20), default="")  # 单位
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
