"""API token scopes: what a token may do, and which scopes a client's own token may hold (pure).

A token carries a set of scopes, stored as one space-separated string (as OAuth 2.0 writes them).
``read`` reads every resource the token's client scope shows; each ``…:write`` scope allows the
writes of one area. A client-scoped token may read and send its own usage, never change clients,
agents or money: those scopes are refused when it is created (and by a CHECK on the table).
"""

from __future__ import annotations

from ops.i18n import _l

READ = "read"
USAGE_WRITE = "usage:write"
CLIENTS_WRITE = "clients:write"
BILLING_WRITE = "billing:write"

SCOPES = (READ, USAGE_WRITE, CLIENTS_WRITE, BILLING_WRITE)
SCOPE_LABELS = {
    READ: _l("读取（客户、合同、账单等）"),
    USAGE_WRITE: _l("提交用量"),
    CLIENTS_WRITE: _l("维护客户、联系人、客服"),
    BILLING_WRITE: _l("登记收款、附加费用（财务）"),
}
CLIENT_TOKEN_SCOPES = (READ, USAGE_WRITE)  # what a client's own token may hold
STAFF_ONLY_SCOPES = tuple(s for s in SCOPES if s not in CLIENT_TOKEN_SCOPES)
LEGACY_SCOPES = (USAGE_WRITE,)  # tokens made before scopes existed: POST /api/v1/usage only, as before


def parse_scopes(text: str | None) -> frozenset[str]:
    """The scopes of a stored string; unknown words are ignored (never granted)."""
    return frozenset(word for word in (text or "").split() if word in SCOPES)


def format_scopes(scopes) -> str:
    """The stored string of a set of scopes, in the canonical order of ``SCOPES``."""
    chosen = set(scopes)
    return " ".join(s for s in SCOPES if s in chosen)


def scope_problems(scopes, *, client_scoped: bool) -> list[str]:
    """Why this set of scopes cannot be granted (empty when it can)."""
    chosen = list(scopes)
    problems: list[str] = []
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        problems.append(str(_l("未知的权限：%(s)s", s="、".join(unknown))))
    if not [s for s in chosen if s in SCOPES]:
        problems.append(str(_l("请至少选择一项权限。")))
    if client_scoped:
        refused = [s for s in STAFF_ONLY_SCOPES if s in chosen]
        if refused:
            problems.append(str(_l("客户令牌只能读取数据和提交用量，不能持有：%(s)s", s="、".join(refused))))
    return problems


def client_scopes_check_sql() -> str:
    """The SQL of the CHECK keeping staff-only scopes off client tokens."""
    clauses = " AND ".join(f"scopes NOT LIKE '%{s}%'" for s in STAFF_ONLY_SCOPES)
    return f"client_id IS NULL OR ({clauses})"
