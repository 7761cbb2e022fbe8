"""Webhook forms: a subscription (URL, events, description, "allow private address"), disabling."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ops.forms import MultiCheckboxField
from ops.webhooks.rules import EVENT_TYPES


def _event_choices():
    return [(code, _l(label)) for code, label in EVENT_TYPES.items()]


class SubscriptionForm(FlaskForm):
    url = StringField(
        _l("接收地址（URL）"),
        validators=[DataRequired(_l("请填写接收地址")), Length(max=500)],
        description=_l("生产环境只允许 https://；地址解析到内网、本机或保留地址时会被拒绝。"),
    )
    description = StringField(
        _l("说明"), validators=[Length(max=200)], description=_l("例如：财务系统收款同步")
    )
    event_types = MultiCheckboxField(_l("订阅的事件"), choices=_event_choices)
    allow_private = BooleanField(
        _l("允许内网地址"),
        description=_l("仅当接收端部署在内网（如本公司 ERP）时勾选：跳过对内网、本机地址的拦截。"),
    )
    submit = SubmitField(_l("保存"))


class DisableForm(FlaskForm):
    reason = StringField(_l("停用原因"), validators=[DataRequired(_l("停用需要填写原因。")), Length(max=300)])
    submit = SubmitField(_l("停用"))
