"""Forms for materials, sessions, attendance and exam attempts (staff pages and the client portal)."""

from datetime import UTC, datetime

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ops.timeutil import SHANGHAI, local
from ops.training.labels import CATEGORY_LABELS, MODE_LABELS
from ops.training.services import SessionInput
from ops.uploads import LIMIT_HELP
from ops.urls import db_int

FILE_HELP = LazyString(
    lambda: f"{gettext('PDF、Word、Excel、PowerPoint、图片、文本或 CSV；文件内容会被检查。')} {LIMIT_HELP}"
)


def category_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("请选择类别"))] + [
        SelectChoice(c, _l(label)) for c, label in CATEGORY_LABELS.items()
    ]


def local_to_utc(value: datetime | None) -> datetime | None:
    """A naive Asia/Shanghai wall-clock time from a form, as an aware UTC instant."""
    return value.replace(tzinfo=SHANGHAI).astimezone(UTC) if value is not None else None


def utc_to_local_input(value: datetime | None) -> datetime | None:
    """An aware instant as the naive Asia/Shanghai time a datetime-local input shows."""
    return local(value).replace(tzinfo=None) if value is not None else None


class _MaterialFields(FlaskForm):
    category = SelectField(_l("类别"), validators=[DataRequired(_l("请选择资料类别。"))])
    title = StringField(_l("标题"), validators=[DataRequired(_l("请输入资料标题。")), Length(max=200)])
    description = TextAreaField(_l("说明"), validators=[Optional(), Length(max=2000)])
    file = FileField(_l("文件"), validators=[FileRequired(_l("请选择要上传的文件。"))], description=FILE_HELP)
    note = StringField(_l("版本备注"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = category_choices()


class MaterialForm(_MaterialFields):
    """Staff: a new material for a client or a general one, with its first file."""

    client_id = SelectField(_l("客户"), coerce=db_int, validate_choice=False)
    submit = SubmitField(_l("上传并创建"))

    def __init__(self, *args, clients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.client_id.choices = [SelectChoice(0, _l("通用（所有客户）"))] + [
            SelectChoice(c.id, c.name) for c in clients
        ]


class PortalMaterialForm(_MaterialFields):
    """A client user: a new material of their own company."""

    submit = SubmitField(_l("上传"))


class VersionForm(FlaskForm):
    file = FileField(
        _l("新版本文件"), validators=[FileRequired(_l("请选择要上传的文件。"))], description=FILE_HELP
    )
    note = StringField(
        _l("版本备注"),
        validators=[Optional(), Length(max=300)],
        render_kw={"placeholder": _l("例如：更新了 618 活动的赠品规则")},
    )
    submit = SubmitField(_l("上传新版本"))


class SessionForm(FlaskForm):
    title = StringField(_l("培训主题"), validators=[DataRequired(_l("请输入培训主题。")), Length(max=200)])
    client_id = SelectField(_l("客户"), coerce=db_int, validate_choice=False)
    contract_id = SelectField(_l("合同（可选）"), coerce=db_int, validate_choice=False)
    mode = SelectField(_l("培训方式"), choices=[SelectChoice(k, _l(v)) for k, v in MODE_LABELS.items()])
    trainer_id = SelectField(_l("培训师"), coerce=db_int, validate_choice=False)
    starts_at = DateTimeLocalField(
        _l("开始时间（北京时间）"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("请填写开始时间。"))],
    )
    ends_at = DateTimeLocalField(
        _l("结束时间（北京时间）"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("请填写结束时间。"))],
    )
    place = StringField(
        _l("培训地点"),
        validators=[Optional(), Length(max=200)],
        description=_l("现场培训必填，例如：杭州总部 3 楼培训室"),
    )
    meeting_link = StringField(
        _l("会议链接"),
        validators=[Optional(), Length(max=300)],
        description=_l("线上培训必填，例如腾讯会议或钉钉会议链接"),
    )
    material_ids = SelectMultipleField(
        _l("使用的资料"),
        coerce=db_int,
        validate_choice=False,
        render_kw={"size": 8},
        description=_l("可多选（按住 Ctrl 或 ⌘）；只能选择该客户的资料或通用资料。"),
    )
    agent_ids = SelectMultipleField(
        _l("受邀客服"),
        coerce=db_int,
        validate_choice=False,
        render_kw={"size": 8},
        description=_l("可多选；已离职的客服不在列表中。"),
    )
    has_exam = BooleanField(_l("培训后考试"), default=True)
    exam_pass_mark = IntegerField(
        _l("及格分（满分 100）"),
        default=80,
        validators=[
            InputRequired(_l("请填写及格分。")),
            NumberRange(0, 100, _l("及格分须在 0 到 100 之间。")),
        ],
    )
    exam_max_attempts = IntegerField(
        _l("最多考试次数"),
        default=3,
        validators=[
            InputRequired(_l("请填写最多考试次数。")),
            NumberRange(1, 10, _l("考试次数须在 1 到 10 之间。")),
        ],
    )
    notes = TextAreaField(_l("备注"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("保存"))

    def set_choices(self, *, clients, contracts, trainers, materials, agents) -> None:
        """Fill the selects. ``contracts``/``materials`` are grouped by client in the list."""
        self.client_id.choices = [SelectChoice(0, _l("不限客户（内部培训）"))] + [
            SelectChoice(c.id, c.name) for c in clients
        ]
        self.contract_id.choices = [SelectChoice(0, _l("不关联合同"))] + [
            SelectChoice(c.id, c.number or _l("草稿合同 #%(id)s", id=c.id), optgroup=c.client.name)
            for c in contracts
        ]
        self.trainer_id.choices = [SelectChoice(0, _l("请选择培训师"))] + [
            SelectChoice(u.id, u.display_name) for u in trainers
        ]
        general = str(_l("通用资料"))
        self.material_ids.choices = [
            SelectChoice(
                m.id,
                f"{gettext(CATEGORY_LABELS[m.category])} · {m.title}",
                optgroup=m.client.name if m.client else general,
            )
            for m in materials
        ]
        self.agent_ids.choices = [
            SelectChoice(a.id, gettext("%(name)s（%(no)s）", name=a.name, no=a.employee_no)) for a in agents
        ]

    def to_input(self) -> SessionInput:
        return SessionInput(
            title=self.title.data or "",
            mode=self.mode.data,
            trainer_id=self.trainer_id.data or None,
            starts_at=local_to_utc(self.starts_at.data),
            ends_at=local_to_utc(self.ends_at.data),
            client_id=self.client_id.data or None,
            contract_id=self.contract_id.data or None,
            place=self.place.data or "",
            meeting_link=self.meeting_link.data or "",
            has_exam=bool(self.has_exam.data),
            exam_pass_mark=self.exam_pass_mark.data,
            exam_max_attempts=self.exam_max_attempts.data,
            notes=self.notes.data or "",
            material_ids=list(self.material_ids.data or []),
            agent_ids=list(self.agent_ids.data or []),
        )

    def load(self, session) -> None:
        """Prefill from a session (times in Asia/Shanghai)."""
        self.title.data = session.title
        self.client_id.data = session.client_id or 0
        self.contract_id.data = session.contract_id or 0
        self.mode.data = session.mode
        self.trainer_id.data = session.trainer_id or 0
        self.starts_at.data = utc_to_local_input(session.starts_at)
        self.ends_at.data = utc_to_local_input(session.ends_at)
        self.place.data = session.place
        self.meeting_link.data = session.meeting_link
        self.material_ids.data = [m.id for m in session.materials]
        self.agent_ids.data = [i.agent_id for i in session.invitations]
        self.has_exam.data = session.has_exam
        self.exam_pass_mark.data = session.exam_pass_mark
        self.exam_max_attempts.data = session.exam_max_attempts
        self.notes.data = session.notes


class AttendanceForm(FlaskForm):
    """Checked agents attended; every other invited agent is recorded absent."""

    attended = SelectMultipleField(_l("出勤"), coerce=db_int, validate_choice=False)
    submit = SubmitField(_l("保存出勤"))


class ExamForm(FlaskForm):
    agent_id = SelectField(_l("客服"), coerce=db_int, validate_choice=False)
    score = IntegerField(
        _l("分数（0–100）"),
        validators=[InputRequired(_l("请填写分数。")), NumberRange(0, 100, _l("分数须在 0 到 100 之间。"))],
    )
    submit = SubmitField(_l("记录成绩"))
