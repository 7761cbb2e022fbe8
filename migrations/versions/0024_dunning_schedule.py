"""dunning and scheduled work: dunning_reminders, invoices.disputed_at, clients.dunning_paused_at,
queue_heartbeats (the consumer's heartbeat, read by /healthz on every web host)

Revision ID: 0024
Revises: 0022
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('queue_heartbeats',
    sa.Column('consumer', sa.String(length=200), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', name=op.f('pk_queue_heartbeats'))
    )
    with op.batch_alter_table('queue_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_heartbeats_beat_at'), ['beat_at'], unique=False)

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

    with op.batch_alter_table('queue_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_heartbeats_beat_at'))

    op.drop_table('queue_heartbeats')
