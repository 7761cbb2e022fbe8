"""void and re-issue, deposits partly applied, contracts terminated for breach

One NOT VOID invoice per (contract, period) (a partial unique index replaces the unique constraint,
so a voided invoice frees its period for a corrected one, linked by invoices.replaces_id);
contracts.deposit_applied_fen (the part of the deposit offset on invoices), the deposit state
'partly_applied', and contracts.terminated_for_breach (违约终止: the deposit is kept for forfeiture).

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None

LIVE_INVOICE_SQL = "status <> 'void'"
OLD_DEPOSIT_STATES = "deposit_status IN ('none', 'due', 'received', 'applied', 'refunded', 'forfeited')"
NEW_DEPOSIT_STATES = (
    "deposit_status IN ('none', 'due', 'received', 'partly_applied', 'applied', 'refunded', 'forfeited')"
)


def upgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_invoices_replaces_id_invoices'), 'invoices', ['replaces_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_invoices_replaces_id'), ['replaces_id'], unique=False)
        batch_op.drop_constraint(op.f('uq_invoices_contract_id_period'), type_='unique')
        batch_op.create_index('uq_invoices_contract_period_live', ['contract_id', 'period'], unique=True,
                              sqlite_where=sa.text(LIVE_INVOICE_SQL), postgresql_where=sa.text(LIVE_INVOICE_SQL))

    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deposit_applied_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('terminated_for_breach', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_constraint(op.f('ck_contracts_deposit_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_contracts_deposit_status_known'), NEW_DEPOSIT_STATES)

    # Deposits applied before this revision: the offset of their (not void) invoices.
    op.execute(
        "UPDATE contracts SET deposit_applied_fen = COALESCE((SELECT -SUM(i.deposit_offset_fen) FROM invoices i "
        "WHERE i.contract_id = contracts.id AND i.status IN ('issued', 'paid')), 0) "
        "WHERE deposit_status = 'applied'"
    )


def downgrade():
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT COUNT(*) FROM contracts WHERE deposit_status = 'partly_applied'")).scalar():
        raise RuntimeError("Cannot downgrade 0012: some deposits are 'partly_applied'; settle them first.")
    rows = bind.execute(sa.text(
        "SELECT contract_id, period FROM invoices GROUP BY contract_id, period HAVING COUNT(*) > 1")).all()
    if rows:
        raise RuntimeError(f"Cannot downgrade 0012: re-issued invoices share a (contract, period): {rows}.")
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contracts_deposit_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_contracts_deposit_status_known'), OLD_DEPOSIT_STATES)
        batch_op.drop_column('terminated_for_breach')
        batch_op.drop_column('deposit_applied_fen')

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('uq_invoices_contract_period_live', sqlite_where=sa.text(LIVE_INVOICE_SQL),
                            postgresql_where=sa.text(LIVE_INVOICE_SQL))
        batch_op.create_unique_constraint(op.f('uq_invoices_contract_id_period'), ['contract_id', 'period'])
        batch_op.drop_index(batch_op.f('ix_invoices_replaces_id'))
        batch_op.drop_constraint(op.f('fk_invoices_replaces_id_invoices'), type_='foreignkey')
        batch_op.drop_column('replaces_id')
