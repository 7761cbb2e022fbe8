import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ops.auth import services
from ops.auth.forms import ChangePasswordForm, LoginForm, UserForm
from ops.auth.models import User
from ops.auth.permissions import home_for, require_roles_for_blueprint
from ops.auth.roles import ADMIN, ROLE_LABELS, ROLES
from ops.extensions import db
from ops.forms import ConfirmForm
from ops.urls import is_safe_next
from ops.web import paginate, perform

bp = Blueprint("auth", __name__)
admin_bp = Blueprint("users", __name__, url_prefix="/admin/users")
require_roles_for_blueprint(admin_bp, ADMIN)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, ip=request.remote_addr)
        except services.AccountError as exc:
            db.session.commit()  # keep the failure count and any lock
            flash(str(exc), "danger")
            return render_template("auth/login.html", form=form), 200
        db.session.commit()
        session.clear()
        login_user(user)
        session.permanent = True
        if user.locale:
            session["lang"] = user.locale
        target = form.next.data
        return redirect(target if is_safe_next(target) else home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.logout(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()

    def signed_in_again(_result):
        login_user(user)  # the session id carries the new session_version
        return home_for(user)

    return perform(
        lambda: services.change_password(user, form.old_password.data, form.new_password.data),
        form=form,
        render=lambda: render_template("auth/change_password.html", form=form),
        success=_("密码已修改。"),
        back=url_for("auth.change_password"),
        done=signed_in_again,
    )


# --- administration of users -------------------------------------------------------------


def client_choices() -> list[tuple[int, str]]:
    """(id, name) of the clients a client user may belong to."""
    from ops.clients.models import Client

    return [(c.id, c.name) for c in db.session.scalars(sa.select(Client).order_by(Client.name))]


def _user_form(**kwargs) -> UserForm:
    form = UserForm(**kwargs)
    form.client_id.choices = [(0, "—")] + client_choices()
    return form


@admin_bp.route("/")
def index():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    stmt = sa.select(User).order_by(User.username)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(User.username.ilike(like), User.display_name.ilike(like), User.email.ilike(like))
        )
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    if status == "active":
        stmt = stmt.where(User.is_active_user.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.is_active_user.is_(False))
    page = paginate(stmt)
    clients = dict(client_choices())
    return render_template(
        "auth/users.html",
        page=page,
        q=q,
        role=role,
        status=status,
        roles=ROLES,
        role_labels=ROLE_LABELS,
        clients=clients,
        confirm=ConfirmForm(),
    )


@admin_bp.route("/new", methods=["GET", "POST"])
def create():
    form = _user_form()

    def create_user():
        if not form.password.data:
            raise services.AccountError(_("请设置初始密码。"), field="password")
        return services.create_user(
            username=form.username.data,
            display_name=form.display_name.data,
            role=form.role.data,
            password=form.password.data,
            email=form.email.data,
            phone=form.phone.data,
            client_id=form.client_id.data or None,
        )

    return perform(
        create_user,
        form=form,
        render=lambda: render_template("auth/user_form.html", form=form, user=None),
        success=lambda user: _("用户 %(u)s 已创建，首次登录需修改密码。", u=user.username),
        back=url_for("users.create"),
        done=url_for("users.index"),
    )


@admin_bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
def edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(obj=user)
    if request.method == "GET":
        form.client_id.data = user.client_id or 0
    del form.username  # the login name never changes
    return perform(
        lambda: services.update_user(
            user,
            display_name=form.display_name.data,
            role=form.role.data,
            email=form.email.data,
            phone=form.phone.data,
            client_id=form.client_id.data or None,
        ),
        form=form,
        render=lambda: render_template("auth/user_form.html", form=form, user=user, confirm=ConfirmForm()),
        success=_("已保存。"),
        back=url_for("users.edit", user_id=user.id),
        done=url_for("users.index"),
    )


@admin_bp.route("/<int:user_id>/<any(activate, deactivate):action>", methods=["POST"])
def set_active(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    return perform(
        lambda: services.set_active(user, action == "activate", by=current_user),
        form=ConfirmForm(),
        success=_("用户 %(u)s 已启用。", u=user.username)
        if action == "activate"
        else _("用户 %(u)s 已停用，其登录会话已失效。", u=user.username),
        back=url_for("users.index"),
    )


@admin_bp.route("/<int:user_id>/reset-password", methods=["POST"])
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        temporary = services.reset_password(user)
        db.session.commit()
        flash(
            _(
                "用户 %(u)s 的临时密码：%(p)s（只显示这一次，请转告本人，登录后需修改）",
                u=user.username,
                p=temporary,
            ),
            "warning",
        )
    return redirect(url_for("users.edit", user_id=user.id))


@admin_bp.route("/<int:user_id>/unlock", methods=["POST"])
def unlock(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        services.unlock(user)
        db.session.commit()
        flash(_("用户 %(u)s 已解锁。", u=user.username), "success")
    return redirect(url_for("users.index"))
