"""URL helpers."""

from urllib.parse import urljoin, urlsplit

from flask import request


def is_safe_next(target: str | None) -> bool:
    """True when ``target`` stays on this site (a path, not another host or scheme)."""
    if not target:
        return False
    if target.startswith("//") or "\\" in target:
        return False
    ref = urlsplit(request.host_url)
    test = urlsplit(urljoin(request.host_url, target))
    return test.scheme in ("http", "https") and test.netloc == ref.netloc


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1
