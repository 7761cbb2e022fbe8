"""One root for every error a service raises on purpose, and what the web layer makes of it.

A service refuses an action by raising ``ServiceError`` (or a domain subclass) with a message a
user can read — in Chinese, through ``_()`` where it is shown — and, when one form field is to
blame, that field's name. The web layer (``ops.web.perform``) rolls back, and either puts the
message on the field or flashes it; nothing else catches these. ``NotAllowed`` and ``Conflict``
carry a status for answers that are not a page (the API, JSON endpoints): 403 and 409.

ServiceError derives from ValueError so WTForms turns one raised while a field parses its input
into that field's error, and so older callers that catch ValueError keep working.
"""

from __future__ import annotations

from ops.i18n import LazyText


class ServiceError(ValueError):
    """A refused action: ``message`` for the user, ``field`` the form field to blame (or None)."""

    status = 422
    category = "danger"  # how the web layer flashes it
    keep_changes = False  # True: what the service wrote before refusing stands (committed, not rolled back)

    def __init__(self, message: str | LazyText = "", field: str | None = None):
        super().__init__(message)
        self.message = message  # a str or a lazy translation, rendered when shown
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(ServiceError):
    """The user may not do this (HTTP 403)."""

    status = 403


class Conflict(ServiceError):
    """The object is not in a state that allows this, or someone else changed it first (HTTP 409)."""

    status = 409
