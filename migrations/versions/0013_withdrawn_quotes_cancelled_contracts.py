"""withdrawn and alternative quotes, cancelled contracts

Quotes: state ``withdrawn`` (with when and why) and ``superseded_by_id`` (the alternative the client
accepted). Contracts: state ``cancelled`` (with when and why); a cancelled contract, like a terminated
one, frees its quote, so ``uq_contracts_quote_live`` now leaves out both.

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-30 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None

QUOTE_STATES_OLD = "status IN ('draft', 'sent', 'accepted', 'rejected', 'expired', 'superseded')"
QUOTE_STATES_NEW = "status IN ('draft', 'sent', 'accepted', 'rejected', 'expired', 'superseded', 'withdrawn')"
CONTRACT_STATES_OLD = "status IN ('draft', 'pending_signature', 'active', 'expired', 'terminated')"
CONTRACT_STATES_NEW = (
    "status IN ('draft', 'pending_signature', 'active', 'expired', 'terminated', 'cancelled')")
LIVE_OLD = "status <> 'terminated'"
LIVE_NEW = "status NOT IN ('terminated', 'cancelled')"


def _live_index(where):
    op.create_index('uq_contracts_quote_live', 'contracts', ['quote_id'], unique=True,
                    sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade():
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_quotes_superseded_by_id_quotes'), 'quotes',
                                    ['superseded_by_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_quotes_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_quotes_status_known'), QUOTE_STATES_NEW)

    # The partial index is dropped before and made again after the batch (SQLite copies the table).
    op.drop_index('uq_contracts_quote_live', table_name='contracts')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancellation_reason', sa.Text(), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_contracts_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_contracts_status_known'), CONTRACT_STATES_NEW)
    _live_index(LIVE_NEW)


def downgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM contracts WHERE status = 'cancelled'")).scalar():
        raise RuntimeError("Cannot downgrade: some contracts are cancelled (a state 0007 does not know).")
    if bind.execute(sa.text("SELECT COUNT(*) FROM quotes WHERE status = 'withdrawn'")).scalar():
        raise RuntimeError("Cannot downgrade: some quotes are withdrawn (a state 0007 does not know).")
    op.drop_index('uq_contracts_quote_live', table_name='contracts')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_contracts_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_contracts_status_known'), CONTRACT_STATES_OLD)
        batch_op.drop_column('cancellation_reason')
        batch_op.drop_column('cancelled_at')
    _live_index(LIVE_OLD)

    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_quotes_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_quotes_status_known'), QUOTE_STATES_OLD)
        batch_op.drop_constraint(batch_op.f('fk_quotes_superseded_by_id_quotes'), type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_at')
