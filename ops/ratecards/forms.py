"""The rate-card editor: a structured form (yuan, ×multipliers, percents, tier rows), never raw JSON.

Inputs are parsed into the stored units as the form is read: yuan -> fen (``parse_yuan``), "1.30" ->
13000 basis points (``parse_multiplier``), "2.5%" -> 250 basis points (``parse_percent``); a parser's
Chinese message becomes the field's error. Rules that span fields (tiers increasing, commission
range in order …) are checked by ``validate_rate_card`` in the service.
"""

import copy

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from ops.forms import CountField, MultiplierField, ParsedField, PercentField, YuanField, filled
from ops.money import (
    to_fen,
    to_yuan,
)
from ops.quotes import pricing
from ops.ratecards.rules import (
    EXTRA_LABELS,
    PLATFORM_CODES,
    PLATFORM_NAMES,
    SCOPE_CODES,
    SHIFT_CODES,
)

EMPTY_CATEGORY_ROWS = 3
EMPTY_TIER_ROWS = 2
MAX_ROWS = 60
COMPLEXITY_LEVELS = ("1", "2", "3", "4", "5")


# What each kind of input says when a required one is left blank (the parsers' own words).
_BLANK = {
    YuanField: "金额不能为空",
    PercentField: "百分比不能为空",
    MultiplierField: "系数不能为空",
    CountField: "数量不能为空",
}


def _required(field_class, label):
    """A parsed input that must be filled in."""
    return field_class(label, validators=[filled(_BLANK[field_class])])


def _grid(class_name: str, field_class, keys_and_labels) -> type:
    """A small sub-form with one ``field_class`` input per (key, label)."""
    return type(class_name, (Form,), {key: _required(field_class, label) for key, label in keys_and_labels})


SeatGridForm = _grid(
    "SeatGridForm",
    YuanField,
    [
        (
            f"{scope}_{shift}",
            _l("%(scope)s%(shift)s", scope=_l(pricing.SCOPES[scope]), shift=_l(pricing.SHIFTS[shift])),
        )
        for scope in SCOPE_CODES
        for shift in SHIFT_CODES
    ],
)
ComplexityForm = _grid(
    "ComplexityForm", MultiplierField, [(f"c{n}", _l("复杂度 %(n)s", n=n)) for n in COMPLEXITY_LEVELS]
)
PlatformForm = _grid(
    "PlatformForm", MultiplierField, [(code, _l(PLATFORM_NAMES[code])) for code in PLATFORM_CODES]
)
ShiftForm = _grid("ShiftForm", MultiplierField, [(code, _l(pricing.SHIFTS[code])) for code in SHIFT_CODES])
ExtrasForm = _grid(
    "ExtrasForm", YuanField, [(key, _l(label)) for key, (label, _unit) in EXTRA_LABELS.items()]
)


class _Row(Form):
    """An editable table row: a blank row or one ticked "删除" is ignored."""

    remove = BooleanField(_l("删除"))
    value_fields: tuple[str, ...] = ()

    def is_blank(self) -> bool:
        return all(
            self[name].is_blank()
            if isinstance(self[name], ParsedField)
            else not (self[name].data or "").strip()
            for name in self.value_fields
        )

    def ignored(self) -> bool:
        return bool(self.remove.data) or self.is_blank()

    def validate(self, extra_validators=None) -> bool:
        if self.ignored():
            return True
        ok = super().validate(extra_validators)
        for name, message in self.required_messages():
            field = self[name]
            if field.data is None and not field.errors:
                field.errors.append(str(message))
                ok = False
        return ok

    def required_messages(self):
        return ()


class CategoryRow(_Row):
    name = StringField(_l("类目"), validators=[Length(max=30, message=_l("类目名称最多 30 个字。"))])
    multiplier = MultiplierField(_l("系数"), optional=True)
    value_fields = ("name", "multiplier")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.ignored() and not (self.name.data or "").strip():
            self.name.errors.append(str(_l("请填写类目名称。")))
            ok = False
        return ok

    def required_messages(self):
        return (("multiplier", _l("请填写系数，例如 1.00。")),)


class ConsultTierRow(_Row):
    up_to = CountField(_l("上限（次/月）"), optional=True)
    unit_price = YuanField(_l("单价（元/次）"), optional=True)
    flat_fee = YuanField(_l("固定费（元）"), optional=True)
    value_fields = ("up_to", "unit_price", "flat_fee")

    def required_messages(self):
        return (("unit_price", _l("请填写单价，没有则填 0。")),)


class BandTierRow(_Row):
    up_to = CountField(_l("日均咨询上限（次）"), optional=True)
    fee = YuanField(_l("包月费（元/月）"), optional=True)
    value_fields = ("up_to", "fee")

    def required_messages(self):
        return (("fee", _l("请填写包月费。")),)


class RateCardForm(FlaskForm):
    name = StringField(
        _l("名称"),
        validators=[
            DataRequired(_l("请填写价目表名称。")),
            Length(max=100, message=_l("名称最多 100 个字。")),
        ],
    )
    note = TextAreaField(_l("备注"), validators=[Length(max=2000, message=_l("备注最多 2000 个字。"))])
    seat_rates = FormField(SeatGridForm)
    base_rates = FormField(SeatGridForm)
    complexity = FormField(ComplexityForm)
    platform = FormField(PlatformForm)
    shift = FormField(ShiftForm)
    categories = FieldList(FormField(CategoryRow), max_entries=MAX_ROWS)
    consult_mode = SelectField(
        _l("阶梯方式"),
        choices=[
            SelectChoice(k, _l(pricing.TIER_MODES[k])) for k in ("graduated", "volume", "daily_allowance")
        ],
    )
    consult_tiers = FieldList(FormField(ConsultTierRow), max_entries=MAX_ROWS)
    band_tiers = FieldList(FormField(BandTierRow), max_entries=MAX_ROWS)
    commission_min = _required(PercentField, _l("最低提成比例"))
    commission_default = _required(PercentField, _l("默认提成比例"))
    commission_max = _required(PercentField, _l("最高提成比例"))
    extras = FormField(ExtrasForm)
    monthly_minimum = _required(YuanField, _l("月度最低消费（元）"))
    consults_per_agent_day = _required(CountField, _l("每人每天咨询量（次）"))
    discount_threshold = _required(PercentField, _l("折扣超过此比例需经理审批"))
    default_valid_days = _required(CountField, _l("报价有效天数"))
    submit = SubmitField(_l("保存草稿"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        seen: set[str] = set()
        for row in self.categories:
            if row.form.ignored():
                continue
            name = (row.form.name.data or "").strip()
            if name and name in seen:
                row.form.name.errors.append(str(_l("类目“%(name)s”重复了。", name=name)))
                ok = False
            seen.add(name)
        return ok

    def card_data(self, base: dict) -> dict:
        """The rate-card dict these inputs describe; keys the form does not edit come from ``base``."""
        data = copy.deepcopy(base)
        for key, grid in (("seat_rates_fen", self.seat_rates), ("base_rates_fen", self.base_rates)):
            data[key] = {
                scope: {shift: grid[f"{scope}_{shift}"].data for shift in SHIFT_CODES}
                for scope in SCOPE_CODES
            }
        data["multipliers"] = {
            "complexity": {n: self.complexity[f"c{n}"].data for n in COMPLEXITY_LEVELS},
            "platform": {code: self.platform[code].data for code in PLATFORM_CODES},
            "category": {
                row.form.name.data.strip(): row.form.multiplier.data
                for row in self.categories
                if not row.form.ignored()
            },
            "shift": {code: self.shift[code].data for code in SHIFT_CODES},
        }
        data["consult_tiers"] = {
            "mode": self.consult_mode.data,
            "tiers": [
                {
                    "up_to": row.form.up_to.data,
                    "unit_price": str(to_yuan(row.form.unit_price.data)),
                    "flat_fee": str(to_yuan(row.form.flat_fee.data or 0)),
                }
                for row in self.consult_tiers
                if not row.form.ignored()
            ],
        }
        data["band_tiers"] = [
            {"up_to": row.form.up_to.data, "unit_price": "0", "flat_fee": str(to_yuan(row.form.fee.data))}
            for row in self.band_tiers
            if not row.form.ignored()
        ]
        data["commission"] = {
            "min_bp": self.commission_min.data,
            "default_bp": self.commission_default.data,
            "max_bp": self.commission_max.data,
        }
        data["extras_fen"] = {key: self.extras[key].data for key in EXTRA_LABELS}
        data["monthly_minimum_fen"] = self.monthly_minimum.data
        data["consults_per_agent_day"] = self.consults_per_agent_day.data
        data["discount_threshold_bp"] = self.discount_threshold.data
        data["default_valid_days"] = self.default_valid_days.data
        return data


def _fen(value) -> int | None:
    """Tier prices are stored as yuan strings; the form edits them in fen."""
    try:
        return to_fen(str(value))
    except ValueError:
        return None


def form_data_from_card(card) -> dict:
    """Initial values for ``RateCardForm`` from a card (plus a few empty rows to add to)."""
    data = card.data
    multipliers = data.get("multipliers") or {}

    def grid(key: str) -> dict:
        values = data.get(key) or {}
        return {
            f"{scope}_{shift}": (values.get(scope) or {}).get(shift)
            for scope in SCOPE_CODES
            for shift in SHIFT_CODES
        }

    commission = data.get("commission") or {}
    consult = data.get("consult_tiers") or {}
    return {
        "name": card.name,
        "note": card.note or "",
        "seat_rates": grid("seat_rates_fen"),
        "base_rates": grid("base_rates_fen"),
        "complexity": {f"c{n}": (multipliers.get("complexity") or {}).get(n) for n in COMPLEXITY_LEVELS},
        "platform": dict(multipliers.get("platform") or {}),
        "shift": dict(multipliers.get("shift") or {}),
        "categories": [{"name": k, "multiplier": v} for k, v in (multipliers.get("category") or {}).items()]
        + [{} for _ in range(EMPTY_CATEGORY_ROWS)],
        "consult_mode": consult.get("mode", "graduated"),
        "consult_tiers": [
            {
                "up_to": t.get("up_to"),
                "unit_price": _fen(t.get("unit_price")),
                "flat_fee": _fen(t.get("flat_fee", 0)),
            }
            for t in consult.get("tiers") or []
        ]
        + [{} for _ in range(EMPTY_TIER_ROWS)],
        "band_tiers": [
            {"up_to": t.get("up_to"), "fee": _fen(t.get("flat_fee", 0))} for t in data.get("band_tiers") or []
        ]
        + [{} for _ in range(EMPTY_TIER_ROWS)],
        "commission_min": commission.get("min_bp"),
        "commission_default": commission.get("default_bp"),
        "commission_max": commission.get("max_bp"),
        "extras": dict(data.get("extras_fen") or {}),
        "monthly_minimum": data.get("monthly_minimum_fen"),
        "consults_per_agent_day": data.get("consults_per_agent_day"),
        "discount_threshold": data.get("discount_threshold_bp"),
        "default_valid_days": data.get("default_valid_days"),
    }


class NewDraftForm(FlaskForm):
    """POST-only: start a draft, optionally copying a given version."""

    from_id = StringField()
    submit = SubmitField(_l("新建草稿"))
