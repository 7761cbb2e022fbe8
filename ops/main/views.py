from flask import Blueprint, current_app, redirect, render_template, session, url_for
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
    """A liveness probe for load balancers and the benchmark's baseline: no login, no database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


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
