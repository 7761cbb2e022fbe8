"""Forms for the usage upload and the API token pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ops.urls import db_int

MAX_CSV_BYTES = 20 * 1024 * 1024


class UsageUploadForm(FlaskForm):
    file = FileField(
        _l("用量 CSV 文件（UTF-8 或 GB18030 编码，不超过 20 MB）"),
        validators=[FileRequired(_l("请选择要上传的 CSV 文件"))],
    )
    submit = SubmitField(_l("校验并导入"))


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
        description=_l("员工令牌可以提交所有客户的数据；客户令牌只能提交该客户的数据。"),
    )
    submit = SubmitField(_l("创建令牌"))
