"""Forms for clients, their shops and contacts, needs and plans."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ops.clients.constants import (
    CATEGORIES,
    COMPLEXITY_LEVELS,
    PHASES,
    PLAN_KINDS,
    PLATFORMS,
    SCOPES,
    SHIFTS,
)
from ops.clients.taxid import validate_credit_code
from ops.fapiao.rules import FAPIAO_TYPE_LABELS
from ops.forms import MultiCheckboxField, PercentField, YuanField
from ops.urls import db_int

EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("邮箱格式不正确。"))


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _platform_choices():
    return [SelectChoice("", _l("请选择平台")), *_choices(PLATFORMS)]


def _category_choices():
    return [SelectChoice("", _l("未指定"))] + [SelectChoice(c, c) for c in CATEGORIES]


class ClientForm(FlaskForm):
    name = StringField(
        _l("客户名称（店铺/品牌）"), validators=[DataRequired(_l("请输入客户名称。")), Length(max=100)]
    )
    legal_name = StringField(_l("公司全称"), validators=[Optional(), Length(max=200)])
    tax_id = StringField(
        _l("统一社会信用代码"),
        validators=[Optional(), Length(max=30)],
        description=_l("18 位，可暂不填写；填写时会校验。"),
    )
    category = SelectField(_l("类目"), choices=_category_choices)
    owner_id = SelectField(_l("负责人"), coerce=db_int, choices=[], validate_choice=False)
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=50)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=300)])
    bank_name = StringField(_l("开户行"), validators=[Optional(), Length(max=100)])
    bank_account = StringField(_l("银行账号"), validators=[Optional(), Length(max=50)])
    fapiao_type = SelectField(
        _l("发票类型"),
        choices=lambda: [SelectChoice(code, _l(label)) for code, label in FAPIAO_TYPE_LABELS.items()],
        default="normal",
        description=_l("专票需要公司全称、统一社会信用代码、地址、电话、开户行和银行账号。"),
    )
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])
    # The first shop, on the create page only.
    shop_platform = SelectField(_l("平台"), choices=_platform_choices, validate_choice=False)
    shop_name = StringField(_l("店铺名称"), validators=[Optional(), Length(max=100)])
    shop_url = StringField(
        _l("店铺链接"), validators=[Optional(), Length(max=300), URL(message=_l("链接格式不正确。"))]
    )
    submit = SubmitField(_l("保存"))

    def validate_tax_id(self, field):
        if field.data:
            try:
                field.data = validate_credit_code(field.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from exc

    def validate_shop_platform(self, field):
        if self.shop_name.data and field.data not in PLATFORMS:
            raise ValidationError(_l("请选择店铺所在平台。"))


class ShopForm(FlaskForm):
    platform = SelectField(
        _l("平台"), choices=_platform_choices, validators=[DataRequired(_l("请选择店铺所在平台。"))]
    )
    shop_name = StringField(
        _l("店铺名称"), validators=[DataRequired(_l("请输入店铺名称。")), Length(max=100)]
    )
    shop_url = StringField(
        _l("店铺链接"), validators=[Optional(), Length(max=300), URL(message=_l("链接格式不正确。"))]
    )
    submit = SubmitField(_l("添加店铺"))


class ContactForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入联系人姓名。")), Length(max=50)])
    title = StringField(_l("职务"), validators=[Optional(), Length(max=50)], description=_l("如 店长、运营"))
    phone = StringField(_l("电话"), validators=[Optional(), Length(max=30)])
    email = StringField(_l("邮箱"), validators=[Optional(), Length(max=200), EMAIL])
    wechat = StringField(_l("微信"), validators=[Optional(), Length(max=50)])
    is_primary = BooleanField(_l("主要联系人"))
    is_finance = BooleanField(_l("财务联系人"), description=_l("接收账单、收款回执和催款邮件。"))
    locale = SelectField(
        _l("邮件语言"), choices=[SelectChoice("zh", "中文"), SelectChoice("en", "English")], default="zh"
    )
    submit = SubmitField(_l("保存联系人"))


def _contact_mail_choices():
    from ops.notify.kinds import CONTACT_KINDS

    return [SelectChoice(k.code, _l(k.label)) for k in CONTACT_KINDS]


class ContactEditForm(ContactForm):
    """The contact's own page: also which e-mails the contact receives (all by default)."""

    emails = MultiCheckboxField(_l("接收的邮件"), choices=_contact_mail_choices)


class ArchiveForm(FlaskForm):
    reason = StringField(_l("归档原因"), validators=[DataRequired(_l("请填写原因。")), Length(max=300)])
    submit = SubmitField(_l("归档"))


class StageForm(FlaskForm):
    stage = SelectField(_l("设为"), choices=[], validate_choice=False)
    reason = StringField(_l("原因"), validators=[DataRequired(_l("请填写原因。")), Length(max=300)])
    submit = SubmitField(_l("确认"))


def _count(label, maximum=10_000_000, **kwargs):
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=maximum, message=_l("请输入 0 到 %(max)s 之间的整数。", max=maximum)),
        ],
        **kwargs,
    )


class NeedsForm(FlaskForm):
    platform = SelectField(_l("平台"), choices=[], validators=[DataRequired(_l("请选择平台。"))])
    scope = SelectField(
        _l("服务范围"), choices=_choices(SCOPES), validators=[DataRequired(_l("请选择服务范围。"))]
    )
    shifts = MultiCheckboxField(
        _l("班次"), choices=_choices(SHIFTS), validators=[DataRequired(_l("请至少选择一个班次。"))]
    )
    avg_daily_consults = IntegerField(
        _l("日均咨询量"),
        validators=[
            InputRequired(_l("请输入日均咨询量。")),
            NumberRange(min=0, max=10_000_000, message=_l("请输入 0 到 10000000 之间的整数。")),
        ],
    )
    peak_daily_consults = _count(_l("高峰日咨询量"), description=_l("大促或旺季单日最高咨询量"))
    peak_hour_share = PercentField(
        _l("高峰小时占比（%）"), description=_l("一天中咨询最多的一小时占全天的比例，如 12"), maximum=10_000
    )
    aht_seconds = _count(_l("平均处理时长（秒）"), 86_400)
    concurrency = _count(_l("人均同时接待数"), 50)
    sl_target = PercentField(
        _l("服务水平目标（%）"), description=_l("如 80 表示 80% 的咨询在下方秒数内响应"), maximum=10_000
    )
    sl_answer_seconds = _count(_l("应答时限（秒）"), 3_600)
    avg_order_value = YuanField(_l("客单价（元）"), description=_l("例如 259.00"), optional=True)
    inquiry_conversion = PercentField(_l("预期询单转化率（%）"), maximum=10_000)
    category = SelectField(_l("类目"), choices=_category_choices)
    complexity = SelectField(_l("商品复杂度"), coerce=db_int, choices=_choices(COMPLEXITY_LEVELS), default=3)
    sku_count = _count(_l("SKU 数量"))
    special_requirements = TextAreaField(_l("特殊要求"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("保存为新版本"))

    def validate_peak_daily_consults(self, field):
        avg = self.avg_daily_consults.data
        if field.data is not None and avg is not None and field.data < avg:
            raise ValidationError(_l("高峰日咨询量不能小于日均咨询量。"))

    def validate_sl_answer_seconds(self, field):
        if (field.data is None) != self.sl_target.is_blank():
            raise ValidationError(_l("服务水平目标需同时填写百分比和应答秒数。"))

    def needs_data(self) -> dict:
        """The validated values as Needs fields (money in fen, shares in basis points)."""
        return {
            "platform": self.platform.data,
            "scope": self.scope.data,
            "shifts": list(self.shifts.data or []),
            "avg_daily_consults": self.avg_daily_consults.data,
            "peak_daily_consults": self.peak_daily_consults.data,
            "peak_hour_share_bp": self.peak_hour_share.data,
            "aht_seconds": self.aht_seconds.data,
            "concurrency": self.concurrency.data,
            "sl_target_bp": self.sl_target.data,
            "sl_answer_seconds": self.sl_answer_seconds.data,
            "avg_order_value_fen": self.avg_order_value.data,
            "inquiry_conversion_bp": self.inquiry_conversion.data,
            "category": self.category.data or "",
            "complexity": self.complexity.data,
            "sku_count": self.sku_count.data,
            "special_requirements": self.special_requirements.data or "",
        }


class PlanCreateForm(FlaskForm):
    start_date = DateField(_l("计划开始日期"), validators=[DataRequired(_l("请选择开始日期。"))])
    submit = SubmitField(_l("按模板创建计划"))


class PlanItemForm(FlaskForm):
    phase = SelectField(_l("阶段"), coerce=db_int, choices=_choices(PHASES))
    kind = SelectField(_l("类型"), choices=_choices(PLAN_KINDS))
    title = StringField(_l("事项"), validators=[DataRequired(_l("请输入事项内容。")), Length(max=300)])
    owner_id = SelectField(_l("负责人"), coerce=db_int, choices=[], validate_choice=False)
    due_on = DateField(_l("截止日期"), validators=[Optional()])
    submit = SubmitField(_l("保存"))
