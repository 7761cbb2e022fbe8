"""Forms of the bank-statement pages: a bank format, an import, ignoring, a manual match."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ops.bank.engine.statement import DATE_FORMATS, Layout
from ops.forms import YuanField
from ops.urls import db_int

DATE_FORMAT_LABELS = {
    "%Y-%m-%d": "2026-10-08",
    "%Y/%m/%d": "2026/10/08",
    "%Y%m%d": "20261008",
    "%Y-%m-%d %H:%M:%S": "2026-10-08 09:30:00",
    "%Y/%m/%d %H:%M:%S": "2026/10/08 09:30:00",
    "%Y年%m月%d日": _l("2026年10月08日"),
}
COLUMN_HELP = _l("填写银行导出文件表头中该列的名称，与文件中的文字完全一致。")


def _column(label, required: bool = True, description=COLUMN_HELP):
    validators = [DataRequired(_l("请填写该列在表头中的名称。"))] if required else []
    return StringField(label, validators=[*validators, Length(max=40)], description=description)


class FormatForm(FlaskForm):
    name = StringField(
        _l("格式名称"),
        validators=[DataRequired(_l("请填写格式名称。")), Length(max=60)],
        description=_l("例如：招商银行网银导出"),
    )
    date_column = _column(_l("日期列"))
    date_format = SelectField(
        _l("日期格式"),
        choices=[SelectChoice(f, DATE_FORMAT_LABELS[f]) for f in DATE_FORMATS],
        validate_choice=True,
    )
    amount_column = _column(
        _l("金额列（有正负号）"),
        required=False,
        description=_l("负数为支出。若收入、支出分两列，留空并填写下面两项。"),
    )
    credit_column = _column(_l("收入（贷方）列"), required=False, description=_l("只有收入记为客户付款。"))
    debit_column = _column(
        _l("支出（借方）列"), required=False, description=_l("可选：支出行会被忽略并计数。")
    )
    payer_name_column = _column(_l("对方户名列"))
    payer_account_column = _column(_l("对方账号列"))
    reference_column = _column(_l("摘要 / 用途列"))
    serial_column = _column(
        _l("流水号列（可选）"), required=False, description=_l("有流水号时，用它识别重复导入的交易。")
    )
    sample = FileField(_l("样例文件（可选，用于预览）"))
    preview = SubmitField(_l("预览"))
    submit = SubmitField(_l("保存格式"))

    def layout(self) -> Layout:
        return Layout(
            date_column=self.date_column.data or "",
            date_format=self.date_format.data or "",
            payer_name_column=self.payer_name_column.data or "",
            payer_account_column=self.payer_account_column.data or "",
            reference_column=self.reference_column.data or "",
            amount_column=self.amount_column.data or "",
            credit_column=self.credit_column.data or "",
            debit_column=self.debit_column.data or "",
            serial_column=self.serial_column.data or "",
        )


class ImportForm(FlaskForm):
    format_id = SelectField(_l("银行格式"), coerce=db_int, choices=[], validate_choice=True)
    file = FileField(_l("银行流水文件（CSV）"), validators=[FileRequired(_l("请选择要上传的 CSV 文件。"))])
    submit = SubmitField(_l("导入"))


class IgnoreForm(FlaskForm):
    reason = StringField(
        _l("忽略原因"),
        validators=[DataRequired(_l("请填写忽略原因。")), Length(max=200)],
        description=_l("例如：利息收入、退税、内部转账"),
    )
    submit = SubmitField(_l("忽略"))


class UndoForm(FlaskForm):
    reason = StringField(
        _l("撤销原因"),
        validators=[DataRequired(_l("请填写撤销原因。")), Length(max=200)],
        description=_l("例如：匹配错了客户"),
    )
    submit = SubmitField(_l("撤销匹配"))


class ManualMatchForm(FlaskForm):
    """Amounts per open invoice of the chosen client (fields ``invoice_<id>``, added per page)."""

    submit = SubmitField(_l("确认匹配"))


def manual_match_form(invoices, **kwargs) -> ManualMatchForm:
    """The manual match form with one optional yuan field per invoice (blank: nothing to it)."""

    class Form(ManualMatchForm):
        pass

    for invoice in invoices:
        setattr(Form, f"invoice_{invoice.id}", YuanField(invoice.number, optional=True))
    return Form(**kwargs)
