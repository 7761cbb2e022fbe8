"""Jinja helpers the client pages (and others showing needs) use."""

from flask_babel import gettext

from ops.clients.constants import COMPLEXITY_LEVELS, PLATFORMS, SCOPES, SHIFTS
from ops.clients.views.common import bp
from ops.money import format_bp, format_fen


@bp.app_template_global()
def needs_value(field: str, value) -> str:
    """A needs field's value as the user reads it (money in yuan, shares in percent, labels)."""
    if value is None or value == "" or value == []:
        return "—"
    if field == "platform":
        return str(PLATFORMS.get(value, value))
    if field == "scope":
        return str(SCOPES.get(value, value))
    if field == "shifts":
        return gettext("、").join(str(SHIFTS.get(s, s)) for s in value)
    if field.endswith("_fen"):
        return format_fen(value)
    if field.endswith("_bp"):
        return format_bp(value)
    if field == "complexity":
        return str(COMPLEXITY_LEVELS.get(value, value)).split(" - ")[0]
    return str(value)
