"""dunning: dunning_reminders (one per invoice and level, with its event), invoices.disputed_at,
clients.dunning_paused_at

Revision ID: 0024
Revises: 0022
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dunning_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('suspension_warning', sa.Boolean(), nullable=False),
    sa.Column('outstanding_fen', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('level >= 1', name=op.f('ck_dunning_reminders_level_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_dunning_reminders_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_dunning_reminders_event_id_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_reminders')),
    sa.UniqueConstraint('invoice_id', 'level', name=op.f('uq_dunning_reminders_invoice_id_level'))
    )
    with op.batch_alter_table('dunning_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dunning_reminders_invoice_id'), ['invoice_id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disputed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dunning_paused_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('dunning_paused_at')

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('disputed_at')

    with op.batch_alter_table('dunning_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dunning_reminders_invoice_id'))

    op.drop_table('dunning_reminders')
