"""concurrency constraints: one live contract per quote, paid_fen in range, used form keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LIVE_CONTRACT_SQL = "status <> 'terminated'"
PAID_IN_RANGE_SQL = "paid_fen >= 0 AND (paid_fen = 0 OR paid_fen <= total_fen)"


def _refuse_duplicates():
    """Several live contracts from one quote (made before this rule) must be sorted out by hand."""
    rows = op.get_bind().execute(sa.text(
        f"SELECT quote_id, COUNT(*) FROM contracts WHERE quote_id IS NOT NULL AND {LIVE_CONTRACT_SQL} "
        "GROUP BY quote_id HAVING COUNT(*) > 1")).all()
    if rows:
        raise RuntimeError(
            "Cannot add uq_contracts_quote_live: these quotes have more than one contract that is not terminated "
            f"(quote_id, count): {rows}. Delete the extra draft contracts, then run the migration again.")


def upgrade():
    _refuse_duplicates()
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('key', name=op.f('uq_idempotency_keys_key'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index('uq_contracts_quote_live', ['quote_id'], unique=True,
                              sqlite_where=sa.text(LIVE_CONTRACT_SQL), postgresql_where=sa.text(LIVE_CONTRACT_SQL))

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_invoices_paid_in_range'), PAID_IN_RANGE_SQL)


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoices_paid_in_range'), type_='check')

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('uq_contracts_quote_live', sqlite_where=sa.text(LIVE_CONTRACT_SQL),
                            postgresql_where=sa.text(LIVE_CONTRACT_SQL))

    op.drop_table('idempotency_keys')
