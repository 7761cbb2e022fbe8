"""The demo's staff accounts and the one password every demo account shares."""

from ops.auth import services as auth_services
from ops.auth.roles import ADMIN, FINANCE, MANAGER, SALES, TRAINER

DEMO_PASSWORD = "demo-2026"

STAFF = [
    ("admin", "系统管理员", ADMIN),
    ("manager", "王经理", MANAGER),
    ("sales", "李销售", SALES),
    ("sales2", "赵销售", SALES),
    ("trainer", "陈培训", TRAINER),
    ("trainer2", "周培训", TRAINER),
    ("finance", "刘财务", FINANCE),
]


def demo_user(username, name, role, **fields):
    """A demo account with the demo password (refused by the password policy in production)."""
    return auth_services.create_user(
        username=username,
        display_name=name,
        role=role,
        password=DEMO_PASSWORD,
        email=f"{username}@yunfan-demo.cn",
        must_change_password=False,
        check_policy=False,
        **fields,
    )
