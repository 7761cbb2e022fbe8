"""Small shared forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class ConfirmForm(FlaskForm):
    """An empty POST form: a button that carries the CSRF token."""

    submit = SubmitField(_l("确认"))


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()
