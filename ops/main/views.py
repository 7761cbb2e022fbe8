from flask import Blueprint, current_app, jsonify, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from ops import hooks
from ops.auth.permissions import home_for
from ops.extensions import db
from ops.forms import LanguageForm
from ops.urls import is_safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    if current_user.is_client:
        target = home_for(current_user)
        if target != url_for("main.index"):
            return redirect(target)
    return render_template("main/index.html", panels=dashboard_panels())


def dashboard_panels() -> list:
    """Panels later modules contribute to the staff dashboard (each a callable returning a dict)."""
    panels = []
    for provider in hooks.providers(hooks.DASHBOARD_PANELS):
        panel = provider()
        if panel:
            panels.append(panel)
    return panels


@bp.route("/healthz")
def healthz():
    """Health for load balancers and monitoring, no login: JSON with the database and the queue
    (backend, age of the last consumer heartbeat, tasks pending). 200 when the pages work ("ok", or
    "degraded" when no consumer beat for 3 minutes); 503 when the database does not answer."""
    from ops.tasks.health import health

    body, status = health()
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
            db.session.commit()
    target = form.next.data
    return redirect(target if is_safe_next(target) else url_for("main.index"))
