"""Forms of the 数电票 pages: the fapiao recorded on an invoice, the import file, an item code."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ops.fapiao.rules import FAPIAO_STATUS_LABELS, MAX_ITEM_NAME


def _status_choices():
    return [SelectChoice(code, _l(label)) for code, label in FAPIAO_STATUS_LABELS.items()]


class FapiaoForm(FlaskForm):
    # Checked by the service (20 digits, not on another invoice), so its message lands on the field.
    number = StringField(
        _l("发票号码"),
        validators=[DataRequired(_l("请填写发票号码。")), Length(max=40)],
        description=_l("数电票号码：20 位数字。"),
    )
    issued_on = DateField(_l("开票日期"), validators=[InputRequired(_l("请填写开票日期。"))])
    status = SelectField(_l("发票状态"), choices=_status_choices)
    submit = SubmitField(_l("保存发票信息"))


class FapiaoImportForm(FlaskForm):
    file = FileField(
        _l("文件（.xlsx 或 .csv）"),
        validators=[FileRequired(_l("请选择要上传的文件。"))],
        description=_l("列：账单编号、发票号码、开票日期、发票状态（可省略，默认已开具）。"),
    )
    submit = SubmitField(_l("导入"))


class ItemCodeForm(FlaskForm):
    item_name = StringField(
        _l("项目名称"), validators=[DataRequired(_l("请填写项目名称。")), Length(max=MAX_ITEM_NAME)]
    )
    tax_code = StringField(
        _l("税收分类编码"),
        validators=[DataRequired(_l("请填写税收分类编码。")), Length(max=30)],
        description=_l("19 位数字，以主管税务机关核定的为准。"),
    )
    unit = StringField(_l("单位"), validators=[Optional(), Length(max=20)])
    submit = SubmitField(_l("保存"))
