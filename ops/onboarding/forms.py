"""Forms for agents, assignments, checklist actions, credentials, templates and platform rules."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ops.contracts.models import Contract
from ops.extensions import db
from ops.forms import MultiCheckboxField
from ops.onboarding.checklist import AUTO_RULE_LABELS, CATEGORIES
from ops.onboarding.models import Agent
from ops.onboarding.services.platform_rules import ALL_PLATFORMS
from ops.onboarding.states import AGENT_STATUS_LABELS
from ops.uploads import LIMIT_HELP
from ops.urls import db_int
from ops.vocab import PLATFORMS, SCOPES, SHIFTS


def _choices(labels: dict) -> list[SelectChoice]:
    """Choices from a code → label dict; the labels are msgids (``N_``) or lazy strings, shown translated."""
    return [
        SelectChoice(value, _l(label) if isinstance(label, str) else label) for value, label in labels.items()
    ]


def _rule_platform_choices():
    return [
        SelectChoice("", _l("请选择平台")),
        SelectChoice(ALL_PLATFORMS, _l("通用（所有平台）")),
        *_choices(PLATFORMS),
    ]


class SkillsField(StringField):
    """Skills as one line of text separated by commas. The stored list is shown joined, and a POST
    without the field means no skills (never the stored list handed on as the field's text)."""

    def process_data(self, value):
        self.data = "，".join(value) if isinstance(value, (list, tuple)) else value

    def process_formdata(self, valuelist):
        self.data = valuelist[0] if valuelist else ""


class AgentForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请输入姓名。")), Length(max=50)])
    employee_no = StringField(_l("工号"), validators=[DataRequired(_l("请输入工号。")), Length(max=30)])
    phone = StringField(_l("手机"), validators=[Optional(), Length(max=30)])
    status = SelectField(_l("状态"), choices=lambda: _choices(AGENT_STATUS_LABELS))
    skills = SkillsField(
        _l("技能"),
        validators=[Optional(), Length(max=300)],
        description=_l("用逗号分隔，如：售前，售后，英语"),
    )
    platforms = MultiCheckboxField(_l("熟悉的平台"), choices=lambda: _choices(PLATFORMS))
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("保存"))


class AgentImportForm(FlaskForm):
    file = FileField(
        _l("客服 CSV 文件（UTF-8 或 GB18030 编码）"),
        validators=[FileRequired(_l("请选择要上传的 CSV 文件。"))],
        description=LIMIT_HELP,
    )
    check = SubmitField(_l("仅校验（预览）"))
    submit = SubmitField(_l("校验并导入"))


class AssignmentForm(FlaskForm):
    agent_id = SelectField(_l("客服"), coerce=db_int, choices=[], validate_choice=False)
    contract_id = SelectField(_l("合同"), coerce=db_int, choices=[], validate_choice=False)
    scope = SelectField(_l("服务范围"), choices=lambda: _choices(SCOPES))
    shift = SelectField(_l("班次"), choices=lambda: _choices(SHIFTS))
    planned_go_live_on = DateField(
        _l("计划上线日期"), validators=[Optional()], description=_l("须在合同期内")
    )
    override_reason = TextAreaField(
        _l("超编原因（仅经理/管理员，席位已满时填写）"), validators=[Optional(), Length(max=1000)]
    )
    submit = SubmitField(_l("创建分配"))

    def validate_agent_id(self, field) -> None:
        if not field.errors and db.session.get(Agent, field.data or 0) is None:
            raise ValidationError(_l("请选择客服。"))

    def validate_contract_id(self, field) -> None:
        if not field.errors and db.session.get(Contract, field.data or 0) is None:
            raise ValidationError(_l("请选择合同。"))


class PlannedDateForm(FlaskForm):
    planned_go_live_on = DateField(_l("计划上线日期"), validators=[Optional()])
    submit = SubmitField(_l("更新计划日期"))


class ItemDoneForm(FlaskForm):
    evidence = StringField(_l("完成说明/凭据"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("标记完成"))


class ItemBlockForm(FlaskForm):
    reason = StringField(_l("受阻原因"), validators=[DataRequired(_l("请填写受阻原因。")), Length(max=300)])
    submit = SubmitField(_l("标记受阻"))


class GoLiveForm(FlaskForm):
    go_live_on = DateField(_l("上线日期"), validators=[DataRequired(_l("请填写上线日期。"))])
    override_reason = TextAreaField(
        _l("强制上线原因（仅经理/管理员，清单未完成时填写）"), validators=[Optional(), Length(max=1000)]
    )
    submit = SubmitField(_l("上线"))


class EndAssignmentForm(FlaskForm):
    end_on = DateField(
        _l("结束日期"),
        validators=[DataRequired(_l("请填写结束日期。"))],
        description=_l("结束当天不计费，须晚于上线日期"),
    )
    agent_left = BooleanField(_l("客服同时离职"))
    submit = SubmitField(_l("结束分配"))


class CancelAssignmentForm(FlaskForm):
    reason = StringField(_l("取消原因"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("取消分配"))


class UndoGoLiveForm(FlaskForm):
    reason = StringField(
        _l("撤销原因"), validators=[DataRequired(_l("请填写撤销上线的原因。")), Length(max=300)]
    )
    submit = SubmitField(_l("撤销上线"))


class CredentialForm(FlaskForm):
    platform = SelectField(_l("平台"), choices=lambda: [SelectChoice("", "—"), *_choices(PLATFORMS)])
    account_name = StringField(
        _l("子账号"), validators=[DataRequired(_l("请输入子账号名。")), Length(max=100)]
    )
    password = PasswordField(
        _l("密码"),
        validators=[Optional(), Length(max=200)],
        description=_l("加密保存；修改子账号时留空表示不改密码"),
    )
    submit = SubmitField(_l("保存子账号"))


class TemplateItemForm(FlaskForm):
    title = StringField(_l("事项"), validators=[DataRequired(_l("请输入事项名称。")), Length(max=200)])
    category = SelectField(
        _l("类别"),
        choices=lambda: [SelectChoice(c, lazy_pgettext("checklist category", c)) for c in CATEGORIES],
    )
    required = BooleanField(_l("必填（上线前必须完成）"), default=True)
    needs_verification = BooleanField(_l("需第二人复核"))
    evidence_note = StringField(_l("完成凭据说明"), validators=[Optional(), Length(max=300)])
    auto_rule = SelectField(
        _l("自动勾选"), choices=lambda: [SelectChoice("", _l("无（手动）")), *_choices(AUTO_RULE_LABELS)]
    )
    submit = SubmitField(_l("保存"))


class PlatformRuleForm(FlaskForm):
    platform = SelectField(
        _l("平台"), choices=_rule_platform_choices, validators=[DataRequired(_l("请选择平台。"))]
    )
    event = StringField(_l("事项"), validators=[DataRequired(_l("请填写事项。")), Length(max=200)])
    deadline = StringField(_l("时限"), validators=[DataRequired(_l("请填写时限。")), Length(max=100)])
    consequence = StringField(_l("后果/考核"), validators=[Optional(), Length(max=300)])
    source = StringField(_l("来源"), validators=[Optional(), Length(max=200)])
    position = IntegerField(_l("排序"), default=0, validators=[Optional(), NumberRange(min=0, max=9999)])
    submit = SubmitField(_l("保存"))
