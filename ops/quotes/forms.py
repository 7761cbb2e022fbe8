"""Quote forms. Money is typed in yuan and percentages in %; ``.data`` is int fen / basis points."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ops.forms import PercentField, YuanField, filled
from ops.quotes.pricing import MODELS
from ops.ratecards.rules import MONTHLY_EXTRA_CODES
from ops.urls import db_int

MODEL_CHOICES = [(code, _l(msgid)) for code, msgid in MODELS.items()]  # the pricing models, translated
MODEL_HELP = {
    "fixed_seat": _l("按席位包月：每个席位一个月固定价格，适合咨询量稳定、需要专人值守的店铺。"),
    "base_commission": _l("每个席位收底薪，另按客服服务带来的销售额收取提成，适合以转化为目标的售前。"),
    "per_consult": _l("按每月有效咨询量阶梯计价，量越大单价越低，设月度最低消费，适合咨询量波动大的店铺。"),
}


class QuoteCreateForm(FlaskForm):
    client_id = SelectField(_l("客户"), coerce=db_int, validators=[InputRequired(_l("请选择客户"))])
    model = RadioField(
        _l("计价模式"),
        choices=[SelectChoice(value, label) for value, label in MODEL_CHOICES],
        validators=[InputRequired(_l("请选择计价模式"))],
    )
    submit = SubmitField(_l("生成报价草稿"))


class SeatRowForm(Form):
    """One seat group of a quote (scope × shift): how many seats and the monthly rate per seat."""

    seats = IntegerField(
        _l("席位数"),
        validators=[
            InputRequired(_l("请输入席位数")),
            NumberRange(min=0, max=10_000, message=_l("席位数必须在 0 到 10000 之间")),
        ],
    )
    monthly_rate = YuanField(_l("月单价（元）"), validators=[filled("金额不能为空")])


def _count(label):
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("请输入数量")),
            NumberRange(min=0, max=100_000, message=_l("数量必须在 0 到 100000 之间")),
        ],
    )


class QuoteEditForm(FlaskForm):
    seats = FieldList(FormField(SeatRowForm), min_entries=0)
    commission = PercentField(_l("提成比例（%）"), validators=[filled("百分比不能为空")])
    expected_gmv = YuanField(_l("预计月服务销售额（元）"), validators=[filled("金额不能为空")])
    monthly_consults = IntegerField(
        _l("每月有效咨询量（次）"),
        validators=[
            InputRequired(_l("请输入每月咨询量")),
            NumberRange(min=0, max=100_000_000, message=_l("咨询量必须在 0 到 100000000 之间")),
        ],
    )
    minimum = YuanField(_l("月度最低消费（元）"), validators=[filled("金额不能为空")])
    extra_subaccount_month = _count(_l("额外子账号（个/月）"))
    # 节假日补贴 and 大促临时客服 are not monthly quantities: the quote shows their per-day prices
    # (按实际人天结算) and the contract bills the days recorded (ops.billing.services.extras).
    discount = PercentField(_l("折扣（%）"), validators=[filled("百分比不能为空")])
    valid_days = IntegerField(
        _l("有效天数"),
        validators=[
            InputRequired(_l("请输入有效天数")),
            NumberRange(min=1, max=365, message=_l("有效天数必须在 1 到 365 之间")),
        ],
    )
    notes = TextAreaField(_l("备注（显示在报价单上）"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("保存并重新计算"))

    # Fields that only make sense for some pricing models.
    MODEL_FIELDS = {
        "fixed_seat": ("seats",),
        "base_commission": ("seats", "commission", "expected_gmv"),
        "per_consult": ("monthly_consults", "minimum"),
    }
    OPTIONAL_FIELDS = ("seats", "commission", "expected_gmv", "monthly_consults", "minimum")

    @classmethod
    def for_quote(cls, quote, **kwargs) -> "QuoteEditForm":
        """The form for a draft, pre-filled from its terms, with only the fields its model uses."""
        terms = quote.terms
        extras = {e.get("key"): e["quantity"] for e in terms.get("extras", [])}
        data = {
            "seats": [
                {"seats": s["seats"], "monthly_rate": s["monthly_rate_fen"]} for s in terms.get("seats", [])
            ],
            "commission": terms.get("commission_rate_bp", 0),
            "expected_gmv": terms.get("expected_monthly_gmv_fen", 0),
            "monthly_consults": terms.get("monthly_consults", 0),
            "minimum": terms.get("monthly_minimum_fen", 0),
            "discount": quote.discount_bp,
            "valid_days": quote.valid_days,
            "notes": quote.notes,
            **{key: extras.get(key, 0) for key in MONTHLY_EXTRA_CODES},
        }
        form = cls(data=data, **kwargs)
        keep = cls.MODEL_FIELDS[quote.model]
        for name in cls.OPTIONAL_FIELDS:
            if name not in keep:
                delattr(form, name)
        return form

    def terms_changes(self) -> dict:
        """The validated input as ``services.update_quote``'s ``terms_changes``."""
        changes: dict = {"extras": {key: getattr(self, key).data for key in MONTHLY_EXTRA_CODES}}
        if "seats" in self:
            changes["seats"] = [
                {"seats": row.form.seats.data, "monthly_rate_fen": row.form.monthly_rate.data}
                for row in self.seats
            ]
        if "commission" in self:
            changes["commission_rate_bp"] = self.commission.data
        if "expected_gmv" in self:
            changes["expected_monthly_gmv_fen"] = self.expected_gmv.data
        if "monthly_consults" in self:
            changes["monthly_consults"] = self.monthly_consults.data
        if "minimum" in self:
            changes["monthly_minimum_fen"] = self.minimum.data
        return changes


class DecisionForm(FlaskForm):
    """The client's answer to a sent quote (accept or reject), with a comment."""

    comment = TextAreaField(_l("意见或原因（拒绝时必填）"), validators=[Optional(), Length(max=1000)])
    accept = SubmitField(_l("接受报价"))
    reject = SubmitField(_l("拒绝报价"))


class WithdrawForm(FlaskForm):
    """Withdraw a draft or sent quote (the reason is required and kept)."""

    reason = TextAreaField(_l("撤回原因"), validators=[InputRequired(_l("请填写撤回原因")), Length(max=1000)])
    submit = SubmitField(_l("撤回报价"))
