"""Invoice, payment, credit note and billing-run forms. Money is typed in yuan; ``.data`` is int fen."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ops.billing import engine
from ops.fapiao.rules import RED_REASON_LABELS
from ops.forms import CountField, YuanField, check_date_range, filled
from ops.i18n import N_
from ops.idempotency import IdempotencyKeyField
from ops.urls import db_int

PAYMENT_METHODS = (
    N_("银行转账"),
    N_("支付宝"),
    N_("微信"),
    N_("现金"),
    N_("其他"),
)  # stored as they read in Chinese


class AdjustmentForm(FlaskForm):
    description = StringField(
        _l("调整项目"),
        validators=[DataRequired(_l("请填写调整项目")), Length(max=200)],
        description=_l("例如：10月促销临时加派 2 人"),
    )
    amount = YuanField(
        _l("金额（元，减免填负数）"), validators=[filled(_l("请填写金额"))], allow_negative=True
    )
    reason = StringField(_l("原因"), validators=[DataRequired(_l("请填写调整原因")), Length(max=300)])
    submit = SubmitField(_l("添加调整项"))


class VoidForm(FlaskForm):
    reason = TextAreaField(_l("作废原因"), validators=[DataRequired(_l("请填写作废原因")), Length(max=500)])
    idempotency_key = IdempotencyKeyField()
    submit = SubmitField(_l("作废账单"))


class PaymentForm(FlaskForm):
    paid_on = DateField(_l("收款日期"), validators=[InputRequired(_l("请填写收款日期"))])
    amount = YuanField(_l("收款金额（元）"), validators=[filled(_l("请填写收款金额"))])
    method = SelectField(_l("收款方式"), choices=[SelectChoice(m, _l(m)) for m in PAYMENT_METHODS])
    reference = StringField(_l("流水号 / 备注"), validators=[Length(max=100)])
    idempotency_key = IdempotencyKeyField()
    submit = SubmitField(_l("登记收款"))


class CreditNoteForm(FlaskForm):
    amount = YuanField(_l("冲销金额（元，含税）"), validators=[filled(_l("请填写冲销金额"))])
    reason = TextAreaField(_l("冲销原因"), validators=[DataRequired(_l("请填写冲销原因")), Length(max=500)])
    # Required (by the service) when the invoice has a fapiao number: the red fapiao needs a 红字确认单.
    red_reason = SelectField(
        _l("红字确认单原因"),
        choices=lambda: [
            SelectChoice("", _l("—（账单未登记发票时不选）")),
            *[SelectChoice(code, f"{code} {_l(label)}") for code, label in RED_REASON_LABELS.items()],
        ],
        default="",
        description=_l("账单已登记发票号码时必选。"),
    )
    idempotency_key = IdempotencyKeyField()
    submit = SubmitField(_l("开具红字冲销单"))


class RunForm(FlaskForm):
    period = StringField(
        _l("账期"),
        validators=[DataRequired(_l("请填写账期"))],
        description=_l("刚结束的账期，例如 2026-10；按季结算的合同在 3、6、9、12 月或 2026-Q3 时出账"),
    )
    client_id = SelectField(_l("客户"), coerce=db_int, choices=[], validate_choice=True)
    issue = BooleanField(_l("生成后立即开具（分配编号并生成 PDF，开具后不可修改）"))
    submit = SubmitField(_l("开始出账"))

    def validate_period(self, field):
        try:
            field.data = engine.parse_period(field.data).code
        except engine.BillingError as exc:
            raise ValidationError(str(exc)) from None


class ApplyCreditForm(FlaskForm):
    """上期余额抵扣: the client's credit balance applied to this invoice (blank: as much as possible)."""

    amount = YuanField(_l("抵扣金额（元，留空则尽量抵扣）"))
    idempotency_key = IdempotencyKeyField()
    submit = SubmitField(_l("用客户余额抵扣"))


class RefundForm(FlaskForm):
    refunded_on = DateField(_l("退款日期"), validators=[InputRequired(_l("请填写退款日期"))])
    amount = YuanField(_l("退款金额（元）"), validators=[filled(_l("请填写退款金额"))])
    method = SelectField(_l("退款方式"), choices=[SelectChoice(m, _l(m)) for m in PAYMENT_METHODS])
    reference = StringField(_l("流水号 / 备注"), validators=[Length(max=100)])
    idempotency_key = IdempotencyKeyField()
    submit = SubmitField(_l("登记退款"))


class LateFeeWaiveForm(FlaskForm):
    reason = TextAreaField(_l("减免原因"), validators=[DataRequired(_l("请填写减免原因")), Length(max=500)])
    submit = SubmitField(_l("减免滞纳金"))


DATED_EXTRA_CHOICES = (
    SelectChoice("holiday_person_day", _l("节假日补贴（人·天）")),
    SelectChoice("temp_person_shift_day", _l("大促临时客服（人·班次·天）")),
    SelectChoice("overtime_person_day", _l("加班补贴（人·天）")),
)


class DatedExtraForm(FlaskForm):
    """A dated extra of a contract (ops.billing.services.extras.add_entry)."""

    code = SelectField(_l("类型"), choices=DATED_EXTRA_CHOICES)
    label = StringField(
        _l("名称（选填）"),
        validators=[Length(max=100)],
        description=_l("例如：国庆节假日补贴；留空用类型名称"),
    )
    start_on = DateField(_l("开始日期"), validators=[InputRequired(_l("请填写开始日期"))])
    end_on = DateField(_l("结束日期（含）"), validators=[InputRequired(_l("请填写结束日期"))])
    headcount = CountField(_l("人数"), validators=[filled(_l("请填写人数"))])
    shifts_per_day = CountField(
        _l("每日班次"), optional=True, description=_l("仅大促临时客服按班次计费；其他类型为 1")
    )
    unit_price = YuanField(_l("单价（元，选填）"), optional=True, description=_l("留空按合同约定单价"))
    note = StringField(_l("备注"), validators=[Length(max=300)])
    submit = SubmitField(_l("登记"))


class StatementsForm(FlaskForm):
    """Statements of many clients at once (a job makes the ZIP of their PDFs)."""

    start = DateField(_l("开始日期"), validators=[InputRequired(_l("请填写开始日期"))])
    end = DateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期"))])
    scope = RadioField(
        _l("客户"),
        choices=[
            SelectChoice("active", _l("期间内有往来的全部客户")),
            SelectChoice("chosen", _l("选定的客户")),
        ],
        default="active",
    )
    client_ids = SelectMultipleField(
        _l("选定的客户"),
        coerce=db_int,
        choices=[],
        validate_choice=True,
        render_kw={"size": 10},
        description=_l("可多选（按住 Ctrl 或 ⌘）；选“选定的客户”时使用。"),
    )
    submit = SubmitField(_l("生成对账单"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        ok = check_date_range(self.start, self.end) and ok
        if self.scope.data == "chosen" and not self.client_ids.data:
            self.client_ids.errors = [*self.client_ids.errors, _l("请至少选择一个客户")]
            ok = False
        return ok
