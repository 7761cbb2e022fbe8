"""The JSON API (/api/v1), authenticated with API tokens, errors as application/problem+json.

POST /api/v1/usage with ``Authorization: Bearer <token>`` and ``{"rows": [...]}``: each row has
the CSV's fields under their English names — client_id (or client, the exact name), date,
platform, consults, valid_consults, served_gmv_fen, refunds_fen (integer fen),
first_response_seconds, avg_response_seconds (decimal seconds), reply_3min_rate,
inquiry_conversion, satisfaction, dispute_refund_rate (percent numbers, 92.5 = 92.5 %), and
optionally holiday_headcount, promo_headcount, promo_shifts (the day's holiday allowance and
promotion staff: one-day dated extras on the client's contract, see docs/domain.md; a
client-scoped token may not send them). A client-scoped token may leave client_id out; a row of another client is a row error (422),
the same answer whether or not that client exists. The token needs the ``usage:write`` scope (403
without it; every token made before scopes existed holds it). At most 5,000 rows per request; the batch
is validated whole and stored all or nothing.

Answers: 200 {"inserted", "updated", "unchanged"}; RFC 9457 problems for 400 (malformed JSON
or shape, nested too deeply), 401 (missing, unknown or revoked token), 409 (a concurrent import of
the same rows), 413 (too many rows or too large), 422 (row errors, listed in "errors", including
unknown fields and numbers too large). Every other status under /api/ (404, 405, 500 …) is a
problem too: the app's error handlers answer problem+json for any path under /api/.
"""

import json
from decimal import Decimal

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException

from ops.api.problems import http_problem as api_http_problem
from ops.api.problems import problem as api_problem
from ops.auth.scopes import USAGE_WRITE
from ops.auth.tokens import authenticate_token
from ops.extensions import csrf, db
from ops.usage.parse import FIELDS, HugeNumber, UsageError, validate_usage_records
from ops.usage.services import UsageImportError, import_usage

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token-authenticated, no browser session

MAX_ROWS = 5000
ROW_FIELDS = set(FIELDS) | {"served_gmv_fen", "refunds_fen"}
_FIELD_BY_LABEL = {label: name for name, (label, _aliases) in FIELDS.items()}


def problem(status: int, detail: str, *, errors=None, headers=None):
    """An ``application/problem+json`` response (RFC 9457); ``errors`` are the batch's row errors."""
    rows = None
    if errors is not None:
        rows = [
            {"row": e.row, "field": _FIELD_BY_LABEL.get(e.column, e.column), "message": e.message}
            for e in errors
        ]
    return api_problem(status, detail, errors=rows, headers=headers)


@bp.errorhandler(HTTPException)
def http_problem(exc: HTTPException):
    if exc.code == 413:
        return problem(413, "请求体过大，请分批提交（每批最多 5000 行）。")
    return api_http_problem(exc)


def _unauthorized(detail: str, error: str | None = None):
    challenge = 'Bearer realm="api"' + (f', error="{error}"' if error else "")
    return problem(401, detail, headers={"WWW-Authenticate": challenge})


@bp.post("/usage")
def post_usage():
    header = request.headers.get("Authorization")
    if not header:
        return _unauthorized("缺少 API 令牌：请在请求头中提供 Authorization: Bearer <令牌>。")
    token = authenticate_token(header)
    if token is None:
        return _unauthorized("API 令牌无效或已被吊销。", "invalid_token")
    db.session.commit()  # the token's last use, whatever the batch's fate
    if USAGE_WRITE not in token.scope_set:
        return problem(403, f"该令牌没有“{USAGE_WRITE}”权限。")

    try:
        payload = json.loads(
            request.get_data(cache=False), parse_float=Decimal, parse_int=HugeNumber.parse_int
        )
    except RecursionError:
        return problem(400, "请求体的 JSON 嵌套过深。")
    except (UnicodeDecodeError, ValueError) as exc:
        return problem(400, f"请求体不是有效的 JSON：{exc}")
    rows = payload.get("rows") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not rows:
        return problem(400, '请求体必须是 {"rows": [...]}，且 rows 是非空数组。')
    if len(rows) > MAX_ROWS:
        return problem(413, f"一次最多提交 {MAX_ROWS} 行，本次 {len(rows)} 行，请分批提交。")
    bad = [n for n, row in enumerate(rows, start=1) if not isinstance(row, dict)]
    if bad:
        return problem(400, f"第 {bad[0]} 行不是 JSON 对象；rows 的每一项都必须是对象。")

    if token.client_id is not None:
        rows = [
            row if "client_id" in row or "client" in row else {**row, "client_id": token.client_id}
            for row in rows
        ]
    valid_rows, errors = validate_usage_records(rows)
    unknown = [
        UsageError(n, str(key), "未知字段")
        for n, row in enumerate(rows, start=1)
        for key in row
        if key not in ROW_FIELDS
    ]
    if unknown:
        errors = sorted(errors + unknown, key=lambda e: e.row)
    if errors:
        return problem(422, f"{len(errors)} 处错误，未导入任何数据。", errors=errors)
    try:
        result = import_usage(
            valid_rows, "api", f"API {token.prefix}", token=token, client_scope=token.client_id
        )
    except UsageImportError as exc:
        db.session.rollback()
        if all(e.row == 0 for e in exc.errors):
            return problem(409, exc.errors[0].message)
        return problem(422, f"{len(exc.errors)} 处错误，未导入任何数据。", errors=exc.errors)
    db.session.commit()
    response = current_app.response_class(
        json.dumps({"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged}),
        status=200,
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


post_usage.api_scope = USAGE_WRITE  # type: ignore[attr-defined]  # read by the API's scope matrix test
