"""URL helpers."""

from urllib.parse import urlsplit

from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_DB_INT = 2**63 - 1  # the largest value a BIGINT (and SQLite's INTEGER) holds
MAX_PAGE = 10_000_000  # far beyond any real list; keeps OFFSET inside 64 bits


def is_safe_next(target: str | None) -> bool:
    """True when ``target`` is a path on this site: a relative URL starting with a single ``/``.

    Refused: anything with a scheme or host (``https://x``, ``//x``, ``http:x``, ``http:/x``), a
    backslash (browsers read ``/\\x`` as ``//x``) and control characters (CR/LF would split the
    Location header; browsers drop tabs and newlines, so ``/<TAB>/x`` would become ``//x``).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


class DatabaseIntConverter(IntegerConverter):
    """``<int:id>`` limited to what the database can hold: a larger id does not match (404, never a
    500 from an integer the driver cannot bind). Registered as the app's ``int`` converter."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits, min, MAX_DB_INT if max is None else max, signed)

    def to_python(self, value: str):
        if len(value.lstrip("-0")) > len(str(MAX_DB_INT)):
            from werkzeug.routing import ValidationError

            raise ValidationError()
        return super().to_python(value)


def db_int(value) -> int:
    """An integer the database can hold, else ValueError: ``type=db_int`` for ``request.args.get``
    (the default is used instead) and ``coerce=db_int`` for select fields (a form error instead of
    an OverflowError when the service looks the id up). Use it wherever ``int`` would read an id."""
    text = str(value).strip()
    if len(text) > 20:
        raise ValueError("too long")
    number = int(text)
    if not -MAX_DB_INT - 1 <= number <= MAX_DB_INT:
        raise ValueError("out of range")
    return number


def page_arg() -> int:
    """The ``?page=`` number: 1 when missing, not a number or below 1; 404 when absurdly large."""
    raw = request.args.get("page", "1").strip()
    if not raw.isascii() or not raw.isdigit():
        return 1
    if len(raw) > len(str(MAX_PAGE)) or int(raw) > MAX_PAGE:
        abort(404)
    return max(1, int(raw))
