"""Admin pages for API tokens: list, create (the secret is shown once), revoke."""

import sqlalchemy as sa
from flask import Blueprint, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ops.auth.forms import ApiTokenForm
from ops.auth.models import ApiToken, User
from ops.auth.permissions import require_roles_for_blueprint
from ops.auth.roles import ADMIN
from ops.auth.scopes import SCOPE_LABELS
from ops.auth.tokens import create_token, revoke_token
from ops.clients.models import Client
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.web import paginate, perform

bp = Blueprint("tokens", __name__, url_prefix="/admin/api-tokens")
require_roles_for_blueprint(bp, ADMIN)


@bp.route("/")
def index():
    stmt = (
        sa.select(ApiToken)
        .options(joinedload(ApiToken.client))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    page = paginate(stmt)
    user_ids = {t.created_by_id for t in page.items if t.created_by_id}
    users = (
        dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    return render_template(
        "tokens/index.html", page=page, users=users, confirm=ConfirmForm(), scope_labels=SCOPE_LABELS
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = ApiTokenForm()
    form.client_id.choices = [(0, _("员工（可提交所有客户的数据）"))] + [
        (c.id, _("%(name)s（#%(id)s）", name=c.name, id=c.id))
        for c in db.session.execute(sa.select(Client.id, Client.name).order_by(Client.name))
    ]
    return perform(
        lambda: create_token(
            form.name.data, form.client_id.data or None, by=current_user, scopes=form.scopes.data
        ),
        form=form,
        success=None,
        back=url_for("tokens.create"),
        # Rendered, not redirected: the secret must never travel through the session cookie.
        done=lambda made: make_response(
            render_template("tokens/created.html", token=made[0], secret=made[1], scope_labels=SCOPE_LABELS)
        ),
        render=lambda: render_template("tokens/form.html", form=form),
    )


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    return perform(
        lambda: revoke_token(token, by=current_user),
        form=ConfirmForm(),
        success=_("令牌“%(n)s”已吊销，使用它的请求会立即被拒绝。", n=token.name),
        back=url_for("tokens.index"),
    )
