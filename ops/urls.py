"""URL helpers."""

from urllib.parse import urlsplit

from flask import request


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


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1
