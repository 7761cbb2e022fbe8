"""The preferences form: one checkbox per (event kind, channel) a staff user may receive."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SubmitField

from ops.forms import MultiCheckboxField
from ops.notify.kinds import CHANNELS, STAFF_KINDS


def pair(kind: str, channel: str) -> str:
    return f"{kind}|{channel}"


class PreferencesForm(FlaskForm):
    chosen = MultiCheckboxField(
        _l("接收"),
        choices=[SelectChoice(pair(k.code, c), pair(k.code, c)) for k in STAFF_KINDS for c in CHANNELS],
    )
    submit = SubmitField(_l("保存"))

    def pairs(self) -> set[tuple[str, str]]:
        return {tuple(value.split("|", 1)) for value in self.chosen.data or []}  # type: ignore[misc]
