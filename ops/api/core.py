"""The machinery every /api/v1 operation is written on (docs/api.md).

- ``api``: the flask-smorest ``Api`` (OpenAPI 3.1 document from the marshmallow schemas that
  validate requests); errors are left to the app's handlers, which answer problem+json under /api/.
- ``operation(blp, scope)``: authenticates the bearer token, checks its scope, and records the scope
  on the view (the scope matrix test reads it). ``token()`` is the request's token.
- ``scoped(stmt, column)``: a client token sees only its client's rows (another's are absent: 404).
- ``page_of(stmt, model, args)``: cursor pagination (``limit``, opaque ``cursor``, ``next_cursor``).
- ``single(obj, schema)``: one object with a strong ETag; ``If-None-Match`` answers 304.
- ``check_if_match(obj, schema)``: locks the row to update; a stale ``If-Match`` is refused with 412.
- ``write(action)``: run one service, commit, or roll back and answer its refusal as a problem.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import http
import json
from collections.abc import Callable
from datetime import UTC
from types import SimpleNamespace
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, g, request
from flask_smorest import Api, Blueprint, abort
from flask_smorest.spec import prepare_response

from ops.api.problems import PROBLEM_TYPE, problem
from ops.auth.models import ApiToken
from ops.auth.tokens import authenticate_token
from ops.errors import ServiceError
from ops.extensions import csrf, db
from ops.transactions import lock_row

MAX_LIMIT = 200
MAX_ID = 2**31 - 1  # the largest INTEGER key
DEFAULT_LIMIT = 50


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem: every error the API answers."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    errors = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "字段错误：field、message（以及 location 或 row）"}
    )


class OpsApi(Api):
    """flask-smorest's Api, with errors documented as problem+json and answered by the app's handlers."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # ops.register_errorhandlers answers every status under /api/ as problem+json

    def _register_responses(self):
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "错误（RFC 9457 problem）", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


api = OpsApi()


def api_blueprint(name: str, description: str) -> Blueprint:
    """A resource group's blueprint under /api/v1 (token-authenticated: no session, no CSRF)."""
    blp = Blueprint(f"api_{name}", __name__, url_prefix="/api/v1", description=description)
    csrf.exempt(blp)
    return blp


# --- authentication and scopes -----------------------------------------------------------------


def token() -> ApiToken:
    """The request's authenticated token (set by ``operation``)."""
    return g.api_token


def api_actor(tok: ApiToken) -> SimpleNamespace:
    """Who the audit log names for a write through the API: the token, not a person."""
    return SimpleNamespace(id=None, role="", username=f"API 令牌 {tok.name}（{tok.prefix}）"[:100])


def _unauthorized(detail: str, error: str | None = None):
    challenge = 'Bearer realm="api"' + (f', error="{error}"' if error else "")
    return problem(401, detail, headers={"WWW-Authenticate": challenge})


def authenticate():
    """The request's token, or a 401 problem response."""
    header = request.headers.get("Authorization")
    if not header:
        return None, _unauthorized("缺少 API 令牌：请在请求头中提供 Authorization: Bearer <令牌>。")
    tok = authenticate_token(header)
    if tok is None:
        return None, _unauthorized("API 令牌无效或已被吊销。", "invalid_token")
    db.session.commit()  # the token's last use, whatever the request's fate
    return tok, None


def requires(scope: str):
    """The view needs a token holding ``scope``: 401 without a valid token, 403 without the scope."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            tok, refusal = authenticate()
            if refusal is not None:
                return refusal
            if scope not in tok.scope_set:
                return problem(403, f"该令牌没有“{scope}”权限。")
            if request.method in ("POST", "PATCH") and not request.is_json:
                return problem(415, "请求体必须是 JSON（Content-Type: application/json）。")
            g.api_token = tok
            return view(*args, **kwargs)

        wrapper.api_scope = scope  # type: ignore[attr-defined]
        return wrapper

    return decorate


def client_scope() -> int | None:
    """The client id the request's token is limited to (None: a staff token)."""
    return token().client_id


def scoped(stmt, column, client_visible: tuple | None = None):
    """``stmt`` limited to the token's client: another client's rows are simply absent.

    ``client_visible`` = (status column, states): what a client sees of its own objects, as the
    portal shows them (no draft quote, contract or invoice); staff tokens see every state.
    """
    cid = client_scope()
    if cid is None:
        return stmt
    stmt = stmt.where(column == cid)
    if client_visible is not None:
        stmt = stmt.where(client_visible[0].in_(client_visible[1]))
    return stmt


def get_scoped(model, object_id: int, column=None, client_visible: tuple | None = None):
    """One object by id, visible to the token; otherwise 404 (as if it did not exist)."""
    check_id(object_id)
    column = column if column is not None else model.client_id
    obj = db.session.scalar(scoped(sa.select(model).where(model.id == object_id), column, client_visible))
    if obj is None:
        abort(404)
    return obj


def check_id(object_id: int) -> None:
    """404 for an id no INTEGER key can hold (the URL converter lets BIGINTs through; PostgreSQL would
    refuse the comparison)."""
    if not 0 < object_id <= MAX_ID:
        abort(404)


# --- lists: limit, cursor, updated_since -----------------------------------------------------


class ListArgs(ma.Schema):
    """Query parameters every list accepts."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"每页条数（默认 {DEFAULT_LIMIT}，最多 {MAX_LIMIT}）"},
    )
    cursor = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "上一页返回的 next_cursor（不透明字符串）"},
    )


class UpdatedSinceArgs(ListArgs):
    updated_since = ma.fields.AwareDateTime(
        default_timezone=UTC,
        metadata={"description": "只返回此时间（ISO 8601）之后修改过的对象"},
    )


class ClientFilterArgs(ListArgs):
    client_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The last id of the previous page; a cursor the API did not make is a 422."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, value = text.partition(":")
        last_id = int(value)
        if version != "v1" or not 0 <= last_id < 2**63:
            raise ValueError(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        abort(422, messages={"query": {"cursor": ["无效的 cursor：请使用上一页返回的 next_cursor。"]}})
    return last_id


def page_of(stmt, model, args: dict, *, updated_column=None):
    """One page of ``stmt`` in id order: ``{"items": [...], "next_cursor": str | None}`` (the objects;
    the operation's ``@blp.response`` page schema dumps them).

    Walking the pages from no cursor to ``next_cursor`` None returns every row once; rows added
    meanwhile with a higher id appear on a later page. ``updated_since`` keeps rows whose
    ``updated_column`` is later (a sync reads from its last run's start).
    """
    limit = args["limit"]
    if args.get("cursor"):
        stmt = stmt.where(model.id > decode_cursor(args["cursor"]))
    if updated_column is not None and args.get("updated_since") is not None:
        stmt = stmt.where(updated_column > args["updated_since"].astimezone(UTC))
    rows = list(db.session.scalars(stmt.order_by(model.id).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": rows,
        "next_cursor": encode_cursor(rows[-1].id) if more else None,
    }


def page_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of ``item`` (named after it in the OpenAPI document)."""
    name = item.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True,
                required=True,
                metadata={"description": "下一页的 cursor；没有下一页时为 null"},
            ),
        },
    )


# --- single objects: ETag, If-None-Match, If-Match ---------------------------------------------


def json_response(data: Any, status: int = 200, headers=None):
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, default=str),
        status=status,
        mimetype="application/json",
        headers=headers,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def etag_of(data: Any) -> str:
    """A strong ETag's value (unquoted): the SHA-256 of the representation, so any change to what a
    client sees changes it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def single(obj, schema: ma.Schema, status: int = 200):
    """One object as JSON with its ETag; a matching ``If-None-Match`` answers 304 with no body."""
    data = schema.dump(obj)
    tag = etag_of(data)
    if status == 200 and request.if_none_match.contains_weak(tag):  # RFC 9110: weak comparison here
        response = current_app.response_class(status=304)
        response.set_etag(tag)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = json_response(data, status)
    response.set_etag(tag)
    return response


def check_if_match(obj, schema: ma.Schema) -> None:
    """Lock ``obj``'s row for the update that follows (the caller's copy is refreshed with it), then
    412 when the request carries ``If-Match`` and it names another version. Under the lock, the
    version compared and the fields a partial update keeps are the ones the write replaces: two
    updates at once take turns instead of one losing the other's change."""
    lock_row(type(obj), obj.id)
    if not request.headers.get("If-Match"):
        return
    if not request.if_match.contains(etag_of(schema.dump(obj))):  # strong comparison; "*" matches
        abort(412)


# --- writes -------------------------------------------------------------------------------------


def write(action: Callable[[], Any], answer: Callable[[Any], Any]):
    """Run one service call as the unit of work: commit and answer, or roll back and answer the
    service's refusal as a problem (422 with the field to blame, or the refusal's own status)."""
    try:
        result = action()
    except ServiceError as exc:
        db.session.rollback()
        errors = [{"field": exc.field, "message": str(exc.message)}] if exc.field else None
        return problem(exc.status, str(exc.message), errors=errors)
    db.session.commit()
    return answer(result)


def link_to(path: str, method: str = "get", **parameters: str) -> dict:
    """An OpenAPI link from an answer to another operation (Schemathesis follows them statefully):
    ``link_to("/api/v1/clients/{client_id}", client_id="$response.body#/id")``."""
    pointer = "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method
    return {"operationRef": pointer, "parameters": parameters}


IDEMPOTENCY_HEADER = {
    "Idempotency-Key": {
        "description": "可选：16–64 个字符（字母、数字、_、-）。同一个键重复提交只登记一次。",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
    }
}
