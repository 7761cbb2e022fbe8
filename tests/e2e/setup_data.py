"""Prepare the database for the browser journey: migrations and the staff accounts, nothing else.

Run by the e2e server fixture before the server starts, as ``python -m tests.e2e.setup_data`` with
the server's OPS_* environment. The client user is made later, in the browser, by the admin.
"""

from ops import create_app
from ops.auth import services
from ops.auth.roles import ADMIN, FINANCE, MANAGER, SALES, TRAINER
from ops.extensions import db

PASSWORD = "e2e-pass-2026"

STAFF = {
    "admin": ("系统管理员", ADMIN),
    "manager": ("王经理", MANAGER),
    "sales": ("李销售", SALES),
    "trainer": ("陈培训", TRAINER),
    "finance": ("刘财务", FINANCE),
    "locked": ("锁定测试", SALES),  # only for the lockout test
}


def main() -> None:
    app = create_app()  # OPS_AUTO_MIGRATE (on by default) brings the fresh database to the newest migration
    with app.app_context():
        for username, (name, role) in STAFF.items():
            services.create_user(
                username=username, display_name=name, role=role, password=PASSWORD, must_change_password=False
            )
        db.session.commit()


if __name__ == "__main__":
    main()
