"""Helpers for the usage tests: CSV text and uploads."""

import io

import sqlalchemy as sa

from ops.usage.models import UsageDaily

ZH_HEADER = "客户名称,日期,平台,咨询量,有效咨询量,服务销售额(元),退款金额(元),首次响应时间(秒),3分钟回复率\n"


def zh_csv(name: str, rows: list[tuple]) -> str:
    """rows: (date, platform, consults, valid, gmv yuan, refunds yuan, first response s, reply rate)."""
    return ZH_HEADER + "".join(f"{name},{','.join(str(v) for v in row)}\n" for row in rows)


def upload(client, data: bytes, filename: str = "usage.csv", follow_redirects: bool = False):
    return client.post(
        "/usage/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=follow_redirects,
    )


def usage_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UsageDaily))
