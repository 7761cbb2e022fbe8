"""Roles and what they mean. Pure: no Flask."""

from flask_babel import lazy_gettext as _l

ADMIN = "admin"
MANAGER = "manager"
SALES = "sales"
TRAINER = "trainer"
FINANCE = "finance"
CLIENT = "client"

ROLES = (ADMIN, MANAGER, SALES, TRAINER, FINANCE, CLIENT)
STAFF_ROLES = (ADMIN, MANAGER, SALES, TRAINER, FINANCE)

ROLE_LABELS = {
    ADMIN: _l("管理员"),
    MANAGER: _l("经理"),
    SALES: _l("销售"),
    TRAINER: _l("培训师"),
    FINANCE: _l("财务"),
    CLIENT: _l("客户"),
}
