"""Navigation by role: one list, filtered by the user's role and by the routes installed."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ops.auth.roles import ADMIN, CLIENT, FINANCE, MANAGER, SALES, STAFF_ROLES, TRAINER

ALL_STAFF = STAFF_ROLES

# (endpoint, label, roles that see it)
NAV = [
    ("main.index", _l("工作台"), ALL_STAFF),
    ("clients.index", _l("客户"), ALL_STAFF),
    ("quotes.index", _l("报价"), (ADMIN, MANAGER, SALES, FINANCE)),
    ("contracts.index", _l("合同"), ALL_STAFF),
    ("training.index", _l("培训"), (ADMIN, MANAGER, TRAINER, SALES)),
    ("onboarding.dashboard", _l("上线看板"), (ADMIN, MANAGER, TRAINER)),
    ("usage.index", _l("用量"), (ADMIN, MANAGER, FINANCE)),
    ("billing.invoices", _l("账单"), (ADMIN, MANAGER, FINANCE)),
    ("bank.index", _l("银行流水"), (ADMIN, MANAGER, FINANCE)),
    ("portal.index", _l("我的主页"), (CLIENT,)),
    ("portal.quotes", _l("报价单"), (CLIENT,)),
    ("portal.contracts", _l("合同"), (CLIENT,)),
    ("portal.agents", _l("上线进度"), (CLIENT,)),
    ("portal.materials", _l("培训资料"), (CLIENT,)),
    ("portal.sessions", _l("培训安排"), (CLIENT,)),
    ("portal.invoices", _l("账单"), (CLIENT,)),
]

ADMIN_NAV = [
    ("users.index", _l("用户管理"), (ADMIN,)),
    ("ratecards.index", _l("价目表"), (ADMIN, MANAGER)),
    ("contract_admin.clauses", _l("违约条款库"), (ADMIN,)),
    ("contract_admin.vendor", _l("本公司信息"), (ADMIN,)),
    ("tokens.index", _l("API 令牌"), (ADMIN,)),
    ("webhooks.index", _l("Webhook"), (ADMIN,)),
    ("jobs.index", _l("后台任务"), STAFF_ROLES),
    ("audit.index", _l("审计日志"), (ADMIN,)),
    ("outbox.index", _l("发件箱"), (ADMIN,)),
]


def _visible(items):
    if not current_user.is_authenticated:
        return []
    views = current_app.view_functions
    return [(ep, label) for ep, label, roles in items if current_user.role in roles and ep in views]


def navigation() -> dict:
    return {"main": _visible(NAV), "admin": _visible(ADMIN_NAV)}
