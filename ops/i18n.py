"""Marking strings for translation where no Flask context exists (pure modules, constants).

``N_("生效中")`` returns the text unchanged; ``make update-translations`` extracts it, and the
template that shows it translates it with ``_()``.
"""


def N_(text: str) -> str:  # noqa: N802  (the conventional name for a no-op marker)
    return text
