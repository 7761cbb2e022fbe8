"""page indexes: the invoice list's order (period, number, id) and its totals (status and the amounts,
a covering index: the totals do not read the rows, which hold the stored PDF); checklist items by state
(the onboarding dashboard's blocked items)

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 23:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index("ix_invoices_list_order", ["period", "number", "id"], unique=False)
        batch_op.create_index(
            "ix_invoices_totals", ["status", "total_fen", "paid_fen", "allocated_fen"], unique=False
        )
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.create_index("ix_checklist_items_state_assignment", ["state", "assignment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_items_state_assignment")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_totals")
        batch_op.drop_index("ix_invoices_list_order")
