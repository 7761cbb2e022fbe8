"""contract extra entries: dated extras (holiday allowance, promotion staff) billed by their days

Revision ID: 0008
Revises: 0014
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_extra_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('shifts_per_day', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('end_on >= start_on', name=op.f('ck_contract_extra_entries_dates_ordered')),
    sa.CheckConstraint('headcount > 0', name=op.f('ck_contract_extra_entries_headcount_positive')),
    sa.CheckConstraint('shifts_per_day > 0', name=op.f('ck_contract_extra_entries_shifts_positive')),
    sa.CheckConstraint('unit_price_fen >= 0', name=op.f('ck_contract_extra_entries_price_not_negative')),
    sa.CheckConstraint("unit IN ('person_day', 'person_shift_day')", name=op.f('ck_contract_extra_entries_unit_known')),
    sa.CheckConstraint("source IN ('manual', 'usage_import', 'api')", name=op.f('ck_contract_extra_entries_source_known')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_extra_entries_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contract_extra_entries_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_extra_entries'))
    )
    with op.batch_alter_table('contract_extra_entries', schema=None) as batch_op:
        batch_op.create_index('ix_contract_extra_entries_contract_dates', ['contract_id', 'start_on', 'end_on'], unique=False)


def downgrade():
    with op.batch_alter_table('contract_extra_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_contract_extra_entries_contract_dates')

    op.drop_table('contract_extra_entries')
