from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from ops.auth.passwords import password_problem
from ops.auth.roles import ROLE_LABELS, ROLES
from ops.auth.scopes import LEGACY_SCOPES, SCOPE_LABELS
from ops.forms import MultiCheckboxField
from ops.urls import db_int

PASSWORD_HINT = _l("至少 10 个字符；不能包含用户名，也不能是常见或容易猜到的密码。")


class PasswordPolicy:
    """The password policy (ops.auth.passwords) as a field validator. The username is read from the
    form's ``username_field`` when the form has it, else it is the logged-in user's."""

    def __init__(self, username_field: str | None = None):
        self.username_field = username_field

    def __call__(self, form, field):
        if not field.data:
            return
        if self.username_field and self.username_field in form:
            username = form[self.username_field].data
        else:
            username = current_user.username if current_user.is_authenticated else None
        problem = password_problem(field.data, username)
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。"))])
    next = HiddenField()
    submit = SubmitField(_l("登录"))


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    new_password = PasswordField(
        _l("新密码"),
        validators=[DataRequired(_l("请输入新密码。")), PasswordPolicy()],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        _l("确认新密码"),
        validators=[
            DataRequired(_l("请再次输入新密码。")),
            EqualTo("new_password", _l("两次输入的新密码不一致。")),
        ],
    )
    submit = SubmitField(_l("修改密码"))


def _role_choices():
    return [(r, ROLE_LABELS[r]) for r in ROLES]


class UserForm(FlaskForm):
    username = StringField(
        _l("用户名"),
        validators=[
            DataRequired(_l("请输入用户名。")),
            Length(min=3, max=64, message=_l("用户名长度为 3 到 64 个字符。")),
            Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("用户名只能包含字母、数字和 _ . @ -。")),
        ],
    )
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=100)])
    role = SelectField(_l("角色"), choices=_role_choices, validators=[DataRequired()])
    client_id = SelectField(_l("所属客户（客户用户必填）"), coerce=db_int, choices=[], validate_choice=False)
    email = EmailField(_l("邮箱"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("手机"), validators=[Optional(), Length(max=30)])
    password = PasswordField(
        _l("初始密码"),
        validators=[Optional(), PasswordPolicy(username_field="username")],
        description=PASSWORD_HINT,
    )
    submit = SubmitField(_l("保存"))


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("名称"),
        validators=[DataRequired(_l("请填写令牌名称")), Length(max=100)],
        description=_l("例如：晨光家居 ERP 每日推送"),
    )
    client_id = SelectField(
        _l("权限范围"),
        coerce=db_int,
        choices=[],
        validate_choice=True,
        description=_l("员工令牌可以访问所有客户的数据；客户令牌只能访问该客户的数据。"),
    )
    scopes = MultiCheckboxField(
        _l("权限"),
        choices=[SelectChoice(code, label) for code, label in SCOPE_LABELS.items()],
        default=list(LEGACY_SCOPES),
        description=_l("客户令牌只能持有“读取”和“提交用量”。写入权限不包含读取，需要时请一并勾选。"),
    )
    submit = SubmitField(_l("创建令牌"))
