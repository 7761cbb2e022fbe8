"""The client portal's contract pages (routes on the portal blueprint)."""

from ops.portal.views import bp  # noqa: F401
