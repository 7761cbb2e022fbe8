"""The client portal's training pages (routes on the portal blueprint)."""

from ops.portal.views import bp  # noqa: F401
