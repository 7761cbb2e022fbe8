"""assignments: cancelled (at, by, reason) and the manager's reason for exceeding the seats

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 15:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seat_override_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            batch_op.f("fk_assignments_cancelled_by_id_users"),
            "users",
            ["cancelled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_assignments_cancelled_never_live"), "cancelled_at IS NULL OR go_live_on IS NULL"
        )
    # The defaults only filled the existing rows; the models give every new row its value.
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.alter_column("seat_override_reason", server_default=None)
        batch_op.alter_column("cancel_reason", server_default=None)


def downgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_assignments_cancelled_never_live"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_assignments_cancelled_by_id_users"), type_="foreignkey")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by_id")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("seat_override_reason")
