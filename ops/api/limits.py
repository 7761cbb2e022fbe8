"""Rate limits per API token (Flask-Limiter): ``OPS_API_RATE_LIMIT`` (default 600 per minute), kept in
memory, or in Redis when ``OPS_REDIS_URL`` is set (shared by every process). A request over the limit
gets a 429 problem with Retry-After."""

from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_limiter import Limiter


def rate_key() -> str:
    """The bearer secret's digest (each token counts alone), or the address without a token."""
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hashlib.sha256(header.strip().encode()).hexdigest()[:32]
    return "addr:" + (request.remote_addr or "")


def api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# No X-RateLimit headers: Flask-Limiter would put a Retry-After on every answer, even a 200. A 429
# carries Retry-After = the limit's window (ops.api.problems), an upper bound of the wait.
limiter = Limiter(rate_key, default_limits=[], headers_enabled=False, key_prefix="ops-api")
