"""Translatable text where no Flask context exists (pure modules, constants).

- ``N_("生效中")`` marks a msgid and returns it unchanged; whoever shows it translates it
  (``_()`` in a template, ``ops.web.label``).
- ``_l("“%(t)s”尚未完成", t=title)`` is a lazy message with its parameters: it becomes text only when
  shown (``str()``, a template, a flash), in the language of that moment. Pure modules raise errors and
  build reasons with it and still import nothing from Flask: the app installs the translator
  (``set_translator``) when it starts; without one the Chinese msgid is used.

``make update-translations`` extracts both (``-k _l -k N_``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_translate: Callable[[str], str] = lambda text: text  # noqa: E731


def N_(text: str) -> str:  # noqa: N802  (the conventional name for a no-op marker)
    return text


def set_translator(translate: Callable[[str], str]) -> None:
    """Install the function that turns a msgid into the current language (the app's gettext)."""
    global _translate
    _translate = translate


class LazyText:
    """A msgid and its parameters, translated and formatted each time it is turned into text."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: dict[str, Any]):
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        text = _translate(self.msgid)
        if not self.params:
            return text  # as gettext does: no parameters, no %-formatting
        return text % {
            key: str(value) if isinstance(value, LazyText) else value for key, value in self.params.items()
        }

    def __html__(self) -> str:  # Jinja escapes it like any text
        from markupsafe import escape

        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.msgid)

    def __repr__(self) -> str:
        return f"_l({self.msgid!r})"

    def __add__(self, other: object) -> str:
        return str(self) + str(other)

    def __radd__(self, other: object) -> str:
        return str(other) + str(self)


def _l(msgid: str, **params: Any) -> LazyText:
    """A lazy translatable message (see the module docstring)."""
    return LazyText(msgid, params)
