"""Contract forms. Money is typed in yuan and percentages in %; ``.data`` is int fen / basis points."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ops.billing.engine.dunning import dunning_days, format_dunning_days, parse_dunning_days
from ops.contracts.terms import COMPARISONS, KPI_PRESETS, METRICS, RATE_METRICS, BandTerms, KpiTerms
from ops.forms import MultiCheckboxField, PercentField, YuanField
from ops.idempotency import IdempotencyKeyField
from ops.money import format_bp, format_fen, parse_percent, parse_yuan
from ops.ratecards.rules import MONTHLY_EXTRA_CODES
from ops.uploads import LIMIT_HELP
from ops.urls import db_int


def _yuan(label):
    """Money in yuan, required (``.data`` int fen)."""
    return YuanField(label, validators=[InputRequired(_l("金额不能为空"))])


def _percent(label):
    """A percentage, required (``.data`` int basis points)."""
    return PercentField(label, validators=[InputRequired(_l("百分比不能为空"))])


def _count(label, maximum=100_000):
    return IntegerField(
        label,
        validators=[
            InputRequired(_l("请输入整数")),
            NumberRange(min=0, max=maximum, message=_l("请输入 0 到 %(max)s 之间的整数")),
        ],
    )


CYCLE_CHOICES = [SelectChoice("monthly", _l("按月结算")), SelectChoice("quarterly", _l("按季结算"))]
TIMING_CHOICES = [
    SelectChoice("in_advance", _l("预付（先付费后服务）")),
    SelectChoice("in_arrears", _l("后付（先服务后结算）")),
]
DUE_RULE_CHOICES = [
    SelectChoice("day_of_next_month", _l("次月固定日付款")),
    SelectChoice("net_days", _l("开票后 N 天内付款")),
]
INVOICE_CHOICES = [
    SelectChoice("normal", _l("增值税普通发票（普票）")),
    SelectChoice("special", _l("增值税专用发票（专票）")),
]
USAGE_CHOICES = [
    SelectChoice("refund_at_end", _l("合同结束后退还")),
    SelectChoice("first_invoice", _l("抵扣首期服务费")),
    SelectChoice("last_invoice", _l("抵扣最后一期服务费")),
]
OUTCOME_CHOICES = [
    SelectChoice("applied", _l("已抵扣服务费")),
    SelectChoice("refunded", _l("已退还客户")),
    SelectChoice("forfeited", _l("因违约没收")),
]
METRIC_CHOICES = [SelectChoice(code, _l(label)) for code, (label, _unit, _cmp) in METRICS.items()]
COMPARISON_CHOICES = [SelectChoice(code, _l(label)) for code, label in COMPARISONS.items()]
DEDUCTION_CHOICES = [
    SelectChoice("percent", _l("扣当期服务费的 %")),
    SelectChoice("fixed", _l("固定扣款（元）")),
]


class SeatRowForm(Form):
    """One seat group (scope × shift is fixed by the quote): seats and the monthly rate per seat."""

    seats = _count(_l("席位数"), 10_000)
    monthly_rate = _yuan(_l("每席月单价（元）"))


class ContractForm(FlaskForm):
    title = StringField(_l("合同名称"), validators=[DataRequired(_l("请填写合同名称")), Length(max=200)])
    start_on = DateField(_l("开始日期"), validators=[InputRequired(_l("请填写开始日期"))])
    end_on = DateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期"))])
    auto_renew = BooleanField(_l("到期自动续约"))

    seats = FieldList(FormField(SeatRowForm), min_entries=0)
    commission_rate = _percent(_l("提成比例（%）"))
    monthly_minimum = _yuan(_l("月度最低消费（元）"))
    extra_subaccount_month = _count(_l("额外子账号（个/月）"))

    billing_cycle = SelectField(_l("结算周期"), choices=CYCLE_CHOICES)
    billing_timing = SelectField(_l("付费方式"), choices=TIMING_CHOICES)
    due_rule = SelectField(_l("付款期限规则"), choices=DUE_RULE_CHOICES)
    due_value = IntegerField(_l("付款日 / 账期天数"), validators=[InputRequired(_l("请填写付款日或天数"))])
    late_fee = _percent(_l("滞纳金（每日 %）"))
    late_fee_grace_days = _count(_l("滞纳金宽限天数"), 365)
    late_fee_auto = BooleanField(_l("出账时自动计收滞纳金（否则由财务逐笔计收或减免）"))
    dunning_days = StringField(
        _l("催款提醒节点（相对到期日的天数）"),
        description=_l("逗号分隔，负数为到期前，例如 -3, 1, 7, 15；最后一个节点为最终通知"),
        validators=[Length(max=100)],
    )
    tax_rate = _percent(_l("税率（%）"))
    prices_include_tax = BooleanField(_l("价格含税"))
    invoice_type = SelectField(_l("发票类型"), choices=INVOICE_CHOICES)

    deposit = _yuan(_l("定金（元）"))
    deposit_usage = SelectField(_l("定金用途"), choices=USAGE_CHOICES)
    kpi_cap = _percent(_l("KPI 扣款上限（当期服务费 %）"))
    breakin_months = _count(_l("磨合期（月，不考核）"), 24)

    client_legal_name = StringField(
        _l("甲方名称"), validators=[DataRequired(_l("请填写甲方名称")), Length(max=200)]
    )
    client_tax_id = StringField(_l("甲方统一社会信用代码"), validators=[Optional(), Length(max=18)])
    client_address = StringField(_l("甲方地址"), validators=[Length(max=300)])
    client_phone = StringField(_l("甲方电话"), validators=[Length(max=50)])
    client_bank_name = StringField(_l("甲方开户行"), validators=[Length(max=100)])
    client_bank_account = StringField(_l("甲方账号"), validators=[Length(max=50)])
    vendor_name = StringField(
        _l("乙方名称"), validators=[DataRequired(_l("请填写乙方名称")), Length(max=200)]
    )
    vendor_tax_id = StringField(_l("乙方统一社会信用代码"), validators=[Optional(), Length(max=18)])
    vendor_address = StringField(_l("乙方地址"), validators=[Length(max=300)])
    vendor_phone = StringField(_l("乙方电话"), validators=[Length(max=50)])
    vendor_bank_name = StringField(_l("乙方开户行"), validators=[Length(max=100)])
    vendor_bank_account = StringField(_l("乙方账号"), validators=[Length(max=50)])
    notes = TextAreaField(_l("内部备注（客户看不到）"), validators=[Length(max=2000)])
    submit = SubmitField(_l("保存"))

    PLAIN_FIELDS = (
        "title",
        "start_on",
        "end_on",
        "auto_renew",
        "billing_cycle",
        "billing_timing",
        "due_rule",
        "due_value",
        "late_fee_grace_days",
        "late_fee_auto",
        "prices_include_tax",
        "invoice_type",
        "deposit_usage",
        "breakin_months",
        "client_legal_name",
        "client_tax_id",
        "client_address",
        "client_phone",
        "client_bank_name",
        "client_bank_account",
        "vendor_name",
        "vendor_tax_id",
        "vendor_address",
        "vendor_phone",
        "vendor_bank_name",
        "vendor_bank_account",
        "notes",
    )
    EXTRA_CODES = MONTHLY_EXTRA_CODES  # dated ones are recorded on the contract page

    @classmethod
    def for_contract(cls, contract, formdata=None):
        """The form filled from the contract (GET) or bound to the posted data."""
        terms = contract.terms
        data = {f: getattr(contract, f) for f in cls.PLAIN_FIELDS}
        quantities = {e.get("code"): e["quantity"] for e in terms.get("extras", [])}
        data.update(
            seats=[
                {"seats": s["seats"], "monthly_rate": s["monthly_rate_fen"]} for s in terms.get("seats", [])
            ],
            commission_rate=terms.get("commission_rate_bp", 0),
            monthly_minimum=terms.get("monthly_minimum_fen", 0),
            late_fee=contract.late_fee_bp_per_day,
            tax_rate=contract.tax_rate_bp,
            deposit=contract.deposit_fen,
            kpi_cap=contract.kpi_cap_bp,
            dunning_days=format_dunning_days(dunning_days(terms.get("dunning_days"))),
            **{code: quantities.get(code, 0) for code in cls.EXTRA_CODES},
        )
        form = cls(formdata=None, data=data) if formdata is None else cls(data=data)
        form.seat_count = len(terms.get("seats", []))
        return form

    def validate_seats(self, field):
        if len(field.entries) != self.seat_count:
            raise ValidationError(_l("席位行数与合同不符，请刷新页面后重试。"))

    def validate_client_tax_id(self, field):
        _check_credit_code(field)

    def validate_dunning_days(self, field):
        try:
            parse_dunning_days(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def validate_vendor_tax_id(self, field):
        _check_credit_code(field)

    def values(self, contract) -> dict:
        """The validated input as the values ``update_contract`` takes (fen, basis points)."""
        from ops.contracts.services import revised_terms

        values = {f: getattr(self, f).data for f in self.PLAIN_FIELDS}
        for f in ("client_tax_id", "vendor_tax_id"):
            values[f] = (values[f] or "").strip().upper()
        values.update(
            late_fee_bp_per_day=self.late_fee.data,
            tax_rate_bp=self.tax_rate.data,
            deposit_fen=self.deposit.data,
            kpi_cap_bp=self.kpi_cap.data,
        )
        values["terms"] = revised_terms(
            contract.terms,
            [{"seats": row.seats.data, "monthly_rate_fen": row.monthly_rate.data} for row in self.seats],
            self.commission_rate.data,
            self.monthly_minimum.data,
            {code: getattr(self, code).data for code in self.EXTRA_CODES},
        )
        values["terms"]["dunning_days"] = list(parse_dunning_days(self.dunning_days.data))
        return values


class BandRowForm(Form):
    """One band of a clause's scale; a row left blank is ignored (the blank row adds a band)."""

    threshold = StringField(_l("目标值（秒或 %）"))
    deduction = StringField(_l("扣款（% 或 元）"))
    remove = BooleanField(_l("删除"))

    def blank(self) -> bool:
        return not (self.threshold.data or "").strip() and not (self.deduction.data or "").strip()


class KpiRowForm(Form):
    """One KPI clause and its bands. Threshold: seconds for time metrics, % for rates; deduction:
    % of the month's fee or yuan (the clause's kind, for every band)."""

    metric = SelectField(_l("考核指标"), choices=METRIC_CHOICES)
    comparison = SelectField(_l("要求"), choices=COMPARISON_CHOICES)
    deduction_kind = SelectField(_l("扣款方式"), choices=DEDUCTION_CHOICES)
    bands = FieldList(FormField(BandRowForm), min_entries=1)
    note = StringField(_l("备注"), validators=[Length(max=300)])
    remove = BooleanField(_l("删除"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        self._bands: list[BandTerms] = []
        if self.remove.data:
            return ok
        percent = self.deduction_kind.data == "percent"
        for entry in self.bands:
            band = entry.form
            if band.remove.data or band.blank():
                continue
            try:
                threshold = (
                    parse_percent(band.threshold.data)
                    if self.metric.data in RATE_METRICS
                    else _seconds(band.threshold.data)
                )
            except ValueError as exc:
                band.threshold.errors.append(str(exc))
                ok = False
            try:
                deduction = parse_percent(band.deduction.data) if percent else parse_yuan(band.deduction.data)
            except ValueError as exc:
                band.deduction.errors.append(str(exc))
                ok = False
            if ok:
                self._bands.append(
                    BandTerms(
                        threshold=threshold,
                        deduction_bp=deduction if percent else 0,
                        deduction_fen=0 if percent else deduction,
                    )
                )
        if ok and not self._bands:
            self.bands.entries[0].form.threshold.errors.append(str(_l("请至少填写一档目标值和扣款")))
            ok = False
        return ok

    def row(self) -> KpiTerms:
        return {
            "metric": self.metric.data,
            "comparison": self.comparison.data,
            "deduction_kind": self.deduction_kind.data,
            "bands": self._bands,
            "note": (self.note.data or "").strip(),
        }


def kpi_row_data(kpi) -> dict:
    """A KPI clause (a ContractKpi) as the text its row shows, with a blank band row to add one."""
    rate = kpi.metric in RATE_METRICS
    percent = kpi.deduction_kind == "percent"
    return {
        "metric": kpi.metric,
        "comparison": kpi.comparison,
        "deduction_kind": kpi.deduction_kind,
        "bands": [
            {
                "threshold": format_bp(b.threshold).rstrip("%") if rate else str(b.threshold),
                "deduction": format_bp(b.deduction_bp).rstrip("%")
                if percent
                else format_fen(b.deduction_fen, False),
            }
            for b in kpi.bands
        ]
        + [{"threshold": "", "deduction": ""}],
        "note": kpi.note or "",
    }


def _check_credit_code(field) -> None:
    from ops.clients.taxid import validate_credit_code

    if field.data and field.data.strip():
        try:
            field.data = validate_credit_code(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _seconds(text: str) -> int:
    s = (text or "").strip().removesuffix("秒").strip()
    if not s:
        raise ValueError("请填写目标值")
    if not (s.isascii() and s.isdigit()):
        raise ValueError("时间类指标请填写整数秒，例如 30")
    return int(s)


PRESET_CHOICES = [SelectChoice("", _l("— 选择常用条款 —"))] + [
    SelectChoice(p["key"], _l(p["label"])) for p in KPI_PRESETS
]


class KpisForm(FlaskForm):
    rows = FieldList(FormField(KpiRowForm), min_entries=0)
    preset = SelectField(_l("从常用条款添加"), choices=PRESET_CHOICES, validate_choice=False)
    add = SubmitField(_l("添加"))
    save = SubmitField(_l("保存 KPI 条款"))


class ClauseRowForm(Form):
    template_id = HiddenField()
    title = StringField(_l("标题"), validators=[Length(max=200)])
    body = TextAreaField(_l("条款内容"), validators=[Length(max=5000)])
    remove = BooleanField(_l("删除此条"))


class ClausesForm(FlaskForm):
    rows = FieldList(FormField(ClauseRowForm), min_entries=0)
    add_templates = MultiCheckboxField(_l("从条款库添加"), coerce=db_int, choices=[])
    submit = SubmitField(_l("保存违约条款"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("原因"), validators=[DataRequired(_l("请填写原因")), Length(max=1000)])
    submit = SubmitField(_l("退回草稿"))


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("取消原因"), validators=[DataRequired(_l("请填写取消原因")), Length(max=1000)])
    submit = SubmitField(_l("取消合同"))


class ActivateForm(FlaskForm):
    signed_on = DateField(_l("签署日期"), validators=[Optional()])
    submit = SubmitField(_l("合同生效"))


class TerminateForm(FlaskForm):
    reason = TextAreaField(_l("终止原因"), validators=[DataRequired(_l("请填写终止原因")), Length(max=1000)])
    effective_on = DateField(_l("终止生效日期"), validators=[InputRequired(_l("请填写终止生效日期"))])
    for_breach = BooleanField(_l("客户违约终止（定金不抵扣，保留待没收）"))
    submit = SubmitField(_l("终止合同"))


class DepositReceiveForm(FlaskForm):
    amount = _yuan(_l("到账金额（元）"))
    received_on = DateField(_l("到账日期"), validators=[InputRequired(_l("请填写到账日期"))])
    reference = StringField(
        _l("银行流水号 / 凭证号"), validators=[DataRequired(_l("请填写流水号或凭证号")), Length(max=100)]
    )
    idempotency_key = IdempotencyKeyField()
    submit = SubmitField(_l("登记定金到账"))


class DepositSettleForm(FlaskForm):
    outcome = SelectField(_l("结清方式"), choices=OUTCOME_CHOICES)
    settled_on = DateField(_l("日期"), validators=[InputRequired(_l("请填写日期"))])
    reference = StringField(_l("凭证号 / 原因"), validators=[Length(max=200)])
    idempotency_key = IdempotencyKeyField()
    submit = SubmitField(_l("结清定金"))


class SignedUploadForm(FlaskForm):
    file = FileField(
        _l("双方盖章的合同扫描件（PDF）"),
        validators=[FileRequired(_l("请选择要上传的 PDF 文件"))],
        description=LIMIT_HELP,
    )
    submit = SubmitField(_l("上传签署件"))


class ClauseTemplateForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写条款标题")), Length(max=200)])
    body = TextAreaField(_l("条款内容"), validators=[DataRequired(_l("请填写条款内容")), Length(max=5000)])
    position = IntegerField(
        _l("排序（小的在前）"),
        default=0,
        validators=[InputRequired(_l("请填写排序号")), NumberRange(min=0, max=9999)],
    )
    submit = SubmitField(_l("保存"))


class VendorProfileForm(FlaskForm):
    name = StringField(_l("公司名称"), validators=[DataRequired(_l("请填写公司名称")), Length(max=200)])
    tax_id = StringField(_l("统一社会信用代码"), validators=[Optional(), Length(max=18)])
    address = StringField(_l("地址"), validators=[Length(max=300)])
    phone = StringField(_l("电话"), validators=[Length(max=50)])
    bank_name = StringField(_l("开户行"), validators=[Length(max=100)])
    bank_account = StringField(_l("银行账号"), validators=[Length(max=50)])
    submit = SubmitField(_l("保存"))

    def validate_tax_id(self, field):
        _check_credit_code(field)


class AmendmentSeatRowForm(Form):
    """One scope × shift of an amendment: seats and the monthly rate per seat (0 seats: not sold)."""

    scope = HiddenField()
    shift = HiddenField()
    seats = _count(_l("席位数"), 10_000)
    monthly_rate = YuanField(_l("每席月单价（元）"), validators=[Optional()])


class AmendmentExtraRowForm(Form):
    """One monthly extra of the contract: quantity a month and unit price (0: no longer billed)."""

    quantity = _count(_l("数量/月"))
    unit_price = _yuan(_l("单价（元）"))


class AmendmentForm(FlaskForm):
    """A contract amendment (补充协议): the seats and monthly extras from the effective date."""

    effective_on = DateField(_l("生效日期"), validators=[InputRequired(_l("请填写生效日期"))])
    seats = FieldList(FormField(AmendmentSeatRowForm), min_entries=0)
    extras = FieldList(FormField(AmendmentExtraRowForm), min_entries=0)
    reason = TextAreaField(_l("变更原因"), validators=[Length(max=1000)])
    submit = SubmitField(_l("保存补充协议草稿"))

    def validate_seats(self, field):
        from ops.vocab import SCOPES, SHIFTS

        for row in field:
            if row.scope.data not in SCOPES or row.shift.data not in SHIFTS:
                raise ValidationError(str(_l("席位行无效，请刷新页面后重试。")))
            if row.seats.data and row.monthly_rate.data is None:
                raise ValidationError(str(_l("有席位的行请填写每席月单价")))

    def validate_extras(self, field):
        if len(field.entries) != self.extra_count:
            raise ValidationError(str(_l("附加费行数与合同不符，请刷新页面后重试。")))

    def terms(self, source: dict) -> dict:
        """The seat rows and extras as the amendment stores them. A row unchanged from ``source``
        keeps its stated monthly total (the quote's rounding); extras keep their label and unit."""
        before = {
            (s["scope"], s["shift"], s["seats"], s["monthly_rate_fen"]): s for s in source.get("seats", [])
        }
        seats = []
        for row in self.seats:
            if not row.seats.data:
                continue
            seat = {
                "scope": row.scope.data,
                "shift": row.shift.data,
                "seats": row.seats.data,
                "monthly_rate_fen": row.monthly_rate.data,
            }
            same = before.get((seat["scope"], seat["shift"], seat["seats"], seat["monthly_rate_fen"]))
            if same is not None and "monthly_total_fen" in same:
                seat["monthly_total_fen"] = same["monthly_total_fen"]
            seats.append(seat)
        extras = [
            {**extra, "quantity": row.quantity.data, "unit_price_fen": row.unit_price.data}
            for extra, row in zip(source.get("extras", []), self.extras, strict=True)
        ]
        return {"seats": seats, "extras": extras}


class AmendmentDecisionForm(FlaskForm):
    """A reason: for a withdrawal, a rejection, or accepting on the client's behalf."""

    note = TextAreaField(_l("原因"), validators=[DataRequired(_l("请填写原因")), Length(max=1000)])
    submit = SubmitField(_l("提交"))


class AmendmentClientForm(FlaskForm):
    """The client's answer to an amendment in the portal (a reason is required to reject)."""

    comment = TextAreaField(_l("意见（拒绝时必填）"), validators=[Length(max=1000)])
