"""The demo data set: realistic Chinese data for every role. Later modules add their part here."""

from ops.auth import services as auth_services
from ops.auth.roles import ADMIN, FINANCE, MANAGER, SALES, TRAINER

DEMO_PASSWORD = "demo-2026"

STAFF = [
    ("admin", "系统管理员", ADMIN),
    ("manager", "王经理", MANAGER),
    ("sales", "李销售", SALES),
    ("sales2", "赵销售", SALES),
    ("trainer", "陈培训", TRAINER),
    ("finance", "刘财务", FINANCE),
]


def load_demo() -> dict:
    """Create the demo records through the services. The caller commits."""
    users = {}
    for username, name, role in STAFF:
        users[username] = auth_services.create_user(
            username=username, display_name=name, role=role, password=DEMO_PASSWORD,
            email=f"{username}@yunfan-demo.cn", must_change_password=False,
        )
    return {"员工账号": len(users)}
