"""The JSON API (/api/v1), authenticated with API tokens, errors as application/problem+json."""

from flask import Blueprint

from ops.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # token-authenticated, no browser session
