"""Permission helpers every blueprint uses: a role decorator and user-scoped loading.

Rule (docs/architecture.md, "Security rules"): load scoped to the user, then authorise, then act.
A client user asking for another client's object gets 404, never a hint that it exists.
"""

from functools import wraps

from flask import abort, current_app, url_for
from flask_login import current_user

from ops.auth.roles import CLIENT
from ops.extensions import db, login_manager


def roles_required(*roles: str):
    """View decorator: anonymous users go to the login page, other roles get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def require_roles_for_blueprint(bp, *roles: str) -> None:
    """Guard a whole blueprint: every endpoint needs one of ``roles``."""

    @bp.before_request
    def _guard():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)
        return None


def can_see_client(client_id: int | None) -> bool:
    return current_user.is_authenticated and (
        current_user.is_staff or (current_user.is_client and client_id == current_user.client_id)
    )


def get_scoped_or_404(model, object_id: int, *, client_attr: str = "client_id", roles=None):
    """Load ``model`` by id, 404 when missing or when it belongs to another client.

    ``roles`` (optional) additionally restricts which roles may load it (403 otherwise).
    Models reached through a parent name the attribute holding the client id in ``client_attr``.
    """
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    if not can_see_client(getattr(obj, client_attr) if client_attr else None):
        abort(404)
    if roles is not None and current_user.role not in roles:
        abort(403)
    return obj


def home_for(user) -> str:
    return (
        url_for("portal.index")
        if user.role == CLIENT and "portal.index" in current_app.view_functions
        else url_for("main.index")
    )
