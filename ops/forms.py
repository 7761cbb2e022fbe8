"""Forms and fields every domain shares: the confirm and language forms; money typed in yuan held in
fen, percents and multipliers held in basis points, whole counts, multi-checkboxes, a date range.

Each parsed field shows what the user typed back to them, holds the stored unit in ``.data`` (int
fen or int basis points), and turns a parser's Chinese message into the field's error (a
``ValueError`` raised while the form is read). Blank is ``None`` when the field is ``optional``;
otherwise blank is left to the field's validators (``InputRequired`` gives the message).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, SubmitField, widgets
from wtforms.validators import StopValidation

from ops.money import (
    format_bp,
    format_fen,
    format_multiplier,
    parse_count,
    parse_multiplier,
    parse_percent,
    parse_yuan,
)


class ParsedField(StringField):
    """A text input parsed into an int by ``parse``; shown again with ``format``."""

    def __init__(self, label=None, validators=None, optional: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.optional = optional

    def parse(self, text: str) -> int:
        raise NotImplementedError

    def format(self, value: int) -> str:
        raise NotImplementedError

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0]
        self.data = None
        if not (text or "").strip():
            return  # blank: None (optional), or the field's InputRequired/DataRequired says so
        self.data = self.parse(text)  # a ValueError becomes this field's error

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.format(self.data) if isinstance(self.data, int) else ""

    def is_blank(self) -> bool:
        return not (self.raw_data[0].strip() if self.raw_data else self.data is not None)


class YuanField(ParsedField):
    """Money typed in yuan ("12,345.67", or "-500" when ``allow_negative``); ``data`` is int fen."""

    def __init__(self, label=None, validators=None, allow_negative: bool = False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allow_negative = allow_negative

    def parse(self, text: str) -> int:
        return parse_yuan(text, allow_negative=self.allow_negative)

    def format(self, value: int) -> str:
        return format_fen(value, symbol=False)


class PercentField(ParsedField):
    """A percentage typed as "2.5" or "2.5%"; ``data`` is int basis points (250).

    ``maximum`` (basis points) refuses larger values, e.g. 10000 for a share that cannot pass 100 %.
    """

    def __init__(self, label=None, validators=None, maximum: int | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum

    def parse(self, text: str) -> int:
        bp = parse_percent(text)
        if self.maximum is not None and bp > self.maximum:
            raise ValueError(_l("百分比应在 0%% 到 %(max)s 之间。", max=format_bp(self.maximum)))
        return bp

    def format(self, value: int) -> str:
        return format_bp(value).removesuffix("%")  # the input shows "%" after the box


class MultiplierField(ParsedField):
    """A multiplier typed as a decimal ("1.30"); ``data`` is int basis points (13000)."""

    def parse(self, text: str) -> int:
        return parse_multiplier(text)

    def format(self, value: int) -> str:
        return format_multiplier(value)


class CountField(ParsedField):
    """A whole number, thousands separators allowed ("3,000")."""

    def parse(self, text: str) -> int:
        return parse_count(text)

    def format(self, value: int) -> str:
        return f"{value:,}"


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; ``data`` is the list of checked values (empty when none is sent)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist or [])


def filled(message: str):
    """A validator for a parsed field that may not be left blank or left out: ``message`` as its
    error (e.g. the parser's own "金额不能为空"). A value the parser refused keeps only that error."""

    def check(form, field):
        if field.process_errors:
            return
        if not field.raw_data or not field.raw_data[0].strip():
            raise StopValidation(message)

    return check


def check_date_range(start_field, end_field, message=None) -> bool:
    """Form-level check that ``end`` is not before ``start``; puts the error on the end field."""
    start, end = start_field.data, end_field.data
    if start and end and end < start:
        end_field.errors.append(message or _l("结束日期不能早于开始日期。"))
        return False
    return True


class ConfirmForm(FlaskForm):
    """An empty POST form: a button that carries the CSRF token."""

    submit = SubmitField(_l("确认"))


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()


def scoped_ids(form: FlaskForm, prefix: str) -> FlaskForm:
    """Give ``form``'s fields page-unique ids (``prefix-name``), names unchanged.

    A page with several forms (an invoice: payment, credit note, void …) would otherwise repeat ids
    such as ``amount`` and ``reason``; each label would then point at the first form's field (a
    screen reader and a click on the label land in the wrong form)."""
    for field in form:
        if field.type in ("CSRFTokenField", "HiddenField") or field.id.startswith(f"{prefix}-"):
            continue
        field.id = f"{prefix}-{field.id}"
        field.label.field_id = field.id
    return form
