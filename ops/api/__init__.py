"""The REST API v1 (docs/api.md): flask-smorest blueprints per resource group, the OpenAPI 3.1
document at /api/v1/openapi.json, its readable docs at /api/v1/docs, rate limits per token.

Adding an endpoint: write its schema in ``ops/api/schemas.py``, its view in the resource group's
module with ``@requires(scope)`` above ``@blp.arguments``/``@blp.response``, call a named service
through ``write``; add a row to the scope matrix in tests/api/test_scopes.py (docs/api.md, step by step).
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from ops.api.core import api
from ops.api.limits import api_rate_limit, limiter

OPENAPI_PREFIX = "/api/v1"

reference_bp = Blueprint("api_reference", __name__, url_prefix=OPENAPI_PREFIX)


@reference_bp.route("/docs")
def docs():
    """The API's readable reference (Swagger UI, served from static/vendor, no CDN)."""
    return render_template("api/docs.html")


def _resource_blueprints():
    from ops.api import billing, clients, sales, staffing, usage

    return [clients.blp, sales.blp, staffing.blp, billing.blp, usage.blp]


# Blueprints that answer without a login session: tokens authenticate each operation, and the
# document and its docs page are public (they describe the API, they hold no data).
PUBLIC_BLUEPRINTS = {
    "api-docs",
    "api_reference",
    "api_clients",
    "api_sales",
    "api_staffing",
    "api_billing",
    "api_usage",
}


def init_api(app: Flask, usage_bp: Blueprint) -> None:
    """Register the API on ``app``: document, blueprints, rate limits. ``usage_bp`` is the existing
    POST /api/v1/usage blueprint (its own module), limited like the rest and described in the document."""
    app.config.setdefault("API_TITLE", "客服外包运营平台 API")
    app.config.setdefault("API_VERSION", "v1")
    app.config["OPENAPI_VERSION"] = "3.1.0"
    app.config["OPENAPI_URL_PREFIX"] = OPENAPI_PREFIX
    app.config["OPENAPI_JSON_PATH"] = "openapi.json"
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "令牌、权限范围、分页、错误与限流见 docs/api.md。所有金额以分计，比率以基点计。"
            },
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "ops_…"}
                }
            },
        },
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    api.init_app(app)
    blueprints = _resource_blueprints()
    for blp in blueprints:
        api.register_blueprint(blp)
    from ops.api.usage import USAGE_POST_DOC

    usage_rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "api.post_usage")
    api.spec.path(rule=usage_rule, operations=USAGE_POST_DOC, parameters=[])
    app.register_blueprint(reference_bp)

    limiter.init_app(app)
    for blp in [*blueprints, usage_bp]:
        limiter.shared_limit(api_rate_limit, scope="api-v1")(blp)  # one allowance per token, all operations
