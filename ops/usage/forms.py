"""The usage upload form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from ops.uploads import LIMIT_HELP


class UsageUploadForm(FlaskForm):
    file = FileField(
        _l("用量 CSV 文件（UTF-8 或 GB18030 编码）"),
        validators=[FileRequired(_l("请选择要上传的 CSV 文件"))],
        description=LIMIT_HELP,
    )
    submit = SubmitField(_l("校验并导入"))
