"""late fees: late_fee_charges (billed or waived per invoice and days) and contracts.late_fee_auto

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('late_fee_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('from_on', sa.Date(), nullable=False),
    sa.Column('to_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('billed_on_invoice_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('billed', 'waived')", name=op.f('ck_late_fee_charges_status_known')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_late_fee_charges_amount_not_negative')),
    sa.CheckConstraint('to_on >= from_on', name=op.f('ck_late_fee_charges_dates_in_order')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_late_fee_charges_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_late_fee_charges_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['billed_on_invoice_id'], ['invoices.id'], name=op.f('fk_late_fee_charges_billed_on_invoice_id_invoices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_late_fee_charges_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_fee_charges'))
    )
    with op.batch_alter_table('late_fee_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_late_fee_charges_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_late_fee_charges_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_late_fee_charges_billed_on_invoice_id'), ['billed_on_invoice_id'], unique=False)

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_fee_auto', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_column('late_fee_auto')

    with op.batch_alter_table('late_fee_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_late_fee_charges_billed_on_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_late_fee_charges_contract_id'))
        batch_op.drop_index(batch_op.f('ix_late_fee_charges_invoice_id'))

    op.drop_table('late_fee_charges')
