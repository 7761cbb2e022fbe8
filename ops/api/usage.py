"""GET /api/v1/usage/daily: the stored daily usage rows (read; GET /api/v1/usage stays a 405, as before). POST /api/v1/usage, the import, stays in
ops/usage/api.py with its payload and answers unchanged; it is described here for the document."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from ops.api.core import UpdatedSinceArgs, api_blueprint, page_of, page_schema, requires, scoped
from ops.api.schemas import UsageRowSchema
from ops.auth.scopes import READ
from ops.usage.models import UsageDaily

blp = api_blueprint("usage", "每日用量")


class UsageListArgs(UpdatedSinceArgs):
    client_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    start = ma.fields.Date(metadata={"description": "从这一天起（含）"})
    end = ma.fields.Date(metadata={"description": "到这一天为止（含）"})
    platform = ma.fields.String(validate=ma.validate.Length(max=20))


@blp.route("/usage/daily", methods=["GET"])
@requires(READ)
@blp.arguments(UsageListArgs, location="query")
@blp.response(200, page_schema(UsageRowSchema))
def list_usage(args):
    """每日用量（可按 client_id、日期范围、平台、updated_since 筛选）"""
    stmt = scoped(sa.select(UsageDaily), UsageDaily.client_id)
    if args.get("client_id"):
        stmt = stmt.where(UsageDaily.client_id == args["client_id"])
    if args.get("start"):
        stmt = stmt.where(UsageDaily.day >= args["start"])
    if args.get("end"):
        stmt = stmt.where(UsageDaily.day <= args["end"])
    if args.get("platform"):
        stmt = stmt.where(UsageDaily.platform == args["platform"])
    return page_of(stmt, UsageDaily, args, updated_column=UsageDaily.updated_at)


USAGE_POST_DOC = {
    "post": {
        "tags": ["每日用量"],
        "summary": "提交每日用量（整批校验，全部导入或全部不导入）",
        "description": "字段见 docs/api.md；客户令牌可省略 client_id。需要 usage:write 权限。",
        "operationId": "post_usage",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["rows"],
                        "properties": {
                            "rows": {
                                "type": "array",
                                "minItems": 1,
                                "description": "每批最多 5000 行；更多行的请求得到 413。",
                                "items": {"type": "object", "additionalProperties": True},
                            }
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "已导入",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["inserted", "updated", "unchanged"],
                            "properties": {
                                "inserted": {"type": "integer"},
                                "updated": {"type": "integer"},
                                "unchanged": {"type": "integer"},
                            },
                        }
                    }
                },
            },
            "default": {"$ref": "#/components/responses/DEFAULT_ERROR"},
        },
    }
}
