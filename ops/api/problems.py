"""Every error under /api/ as ``application/problem+json`` (RFC 9457), in one place.

``problem(status, detail)`` builds the answer; ``http_problem(exc)`` turns any HTTPException raised
under /api/ into one: the request validation errors of flask-smorest/webargs (422, listed per field
in ``errors``), rate limits (429 with Retry-After), preconditions (412) and the rest.
"""

from __future__ import annotations

import json

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_TYPE = "application/problem+json"

DETAILS = {
    400: "请求格式有误。",
    401: "缺少或无效的 API 令牌。",
    403: "该令牌没有执行此操作的权限。",
    404: "没有这个地址或对象。",
    405: "该地址不支持这个请求方法。",
    409: "对象状态不允许此操作，或已被他人修改。",
    412: "对象已被修改（If-Match 不符），请重新读取后再提交。",
    413: "请求体过大，请分批提交（每批最多 5000 行）。",
    415: "请求体必须是 JSON（Content-Type: application/json）。",
    422: "请求参数有误，未做任何修改。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器内部错误，未保存任何数据；请稍后重试。",
}


def problem(status: int, detail: str, *, errors: list[dict] | None = None, headers=None):
    """An ``application/problem+json`` response (RFC 9457); ``errors`` lists field errors."""
    body: dict = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE, headers=headers
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def field_errors(messages, location: str | None = None, prefix: str = "") -> list[dict]:
    """marshmallow's nested ``{"field": ["message"]}`` as a flat list of ``{field, message}``."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(field_errors(value, location, name))
    elif isinstance(messages, list | tuple):
        for item in messages:
            if isinstance(item, dict | list | tuple):
                out.extend(field_errors(item, location, prefix))
            else:
                out.append({"field": prefix or "_schema", "location": location, "message": str(item)})
    else:
        out.append({"field": prefix or "_schema", "location": location, "message": str(messages)})
    return out


def http_problem(exc: HTTPException):
    """The problem+json answer of an HTTPException raised under /api/."""
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if code == 405:
        headers.update(h for h in exc.get_headers() if h[0] == "Allow")
    if code == 429:
        headers.setdefault("Retry-After", str(retry_after_seconds(exc)))
    errors = None
    if "messages" in data:  # webargs: {"json": {"field": [...]}, "query": {...}}
        errors = [e for location, msgs in data["messages"].items() for e in field_errors(msgs, location)]
    elif "errors" in data:
        errors = data["errors"]
    detail = data.get("message") or _description(exc) or DETAILS.get(code, "")
    return problem(code, detail, errors=errors, headers=headers or None)


def _description(exc: HTTPException) -> str:
    """A description the code gave on purpose (not werkzeug's English default)."""
    default = type(exc).description
    if exc.description and exc.description != default:
        return exc.description
    return DETAILS.get(exc.code or 500, "")


def retry_after_seconds(exc: HTTPException) -> int:
    """Retry-After for a rate limit: its window's length in seconds (never less than the real wait)."""
    limit = getattr(exc, "limit", None)
    item = getattr(limit, "limit", None)
    return max(1, int(item.get_expiry())) if item is not None else 60
