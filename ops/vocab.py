"""The codes the whole system shares and their labels: platforms, scopes, shifts — and a registry
where each domain puts its state labels, so templates read every label one way.

Pure: no Flask, no database. Labels are Chinese msgids marked with ``N_`` for the catalogue; they
are translated where they are shown (the ``label`` Jinja global, ``ops.web.label``). Documents
(PDFs) print them in Chinese as they are. Models take their CHECK tuples from the ``*_CODES`` here.
"""

from __future__ import annotations

from ops.i18n import N_

PLATFORMS = {
    "taobao": N_("淘宝"),
    "tmall": N_("天猫"),
    "jd": N_("京东"),
    "pdd": N_("拼多多"),
    "kuaishou": N_("快手"),
    "douyin": N_("抖音"),
}
PLATFORM_CODES = tuple(PLATFORMS)

# What an agent's seat covers; a client's needs may ask for both.
SCOPES = {"presales": N_("售前"), "aftersales": N_("售后")}
SCOPE_CODES = tuple(SCOPES)
NEEDS_SCOPES = {**SCOPES, "both": N_("售前+售后")}
NEEDS_SCOPE_CODES = tuple(NEEDS_SCOPES)

SHIFTS = {"day": N_("白班"), "evening": N_("晚班"), "night": N_("夜班"), "full": N_("24小时")}
SHIFT_CODES = tuple(SHIFTS)

# kind -> {code: Chinese label}; domains add their own kinds (states, categories) with register().
LABELS: dict[str, dict[str, str]] = {
    "platform": PLATFORMS,
    "scope": NEEDS_SCOPES,
    "shift": SHIFTS,
}


def register(kind: str, labels: dict[str, str]) -> dict[str, str]:
    """Make ``labels`` readable as ``label(kind, code)``; returns them (so a module can write
    ``STATE_LABELS = register("quote_state", {...})``). A kind is registered once."""
    if kind in LABELS and LABELS[kind] is not labels:
        raise ValueError(f"label kind {kind!r} is already registered")
    LABELS[kind] = labels
    return labels


def label_msgid(kind: str, code: str | None) -> str:
    """The Chinese label (untranslated) of ``code`` in ``kind``; the code itself when unknown."""
    if code is None:
        return ""
    return LABELS.get(kind, {}).get(code, code)


def seat_label(scope: str, shift: str) -> str:
    """ "售前·白班" — the Chinese name of a seat (scope × shift), as documents print it."""
    return f"{label_msgid('scope', scope)}·{label_msgid('shift', shift)}"
