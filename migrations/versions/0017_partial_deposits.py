"""partial deposits: a deposit received in several amounts (partial -> received), a waived remainder

Revision ID: 0017
Revises: 0012
Create Date: 2026-11-30 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_DEPOSIT_STATES = (
    "deposit_status IN ('none', 'due', 'received', 'partly_applied', 'applied', 'refunded', 'forfeited')"
)
NEW_DEPOSIT_STATES = (
    "deposit_status IN ('none', 'due', 'partial', 'received', 'partly_applied', 'applied', 'refunded', "
    "'forfeited')"
)


def upgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deposit_waived_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.drop_constraint(op.f('ck_contracts_deposit_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_contracts_deposit_status_known'), NEW_DEPOSIT_STATES)


def downgrade():
    op.execute("UPDATE contracts SET deposit_status = 'due' WHERE deposit_status = 'partial'")
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contracts_deposit_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_contracts_deposit_status_known'), OLD_DEPOSIT_STATES)
        batch_op.drop_column('deposit_waived_fen')
