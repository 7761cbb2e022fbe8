"""allocations, refunds and the client credit balance: stored allocation sums on invoices and credit notes

Revision ID: 0010
Revises: 0017
Create Date: 2026-11-30 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0017'
branch_labels = None
depends_on = None

ALLOCATED_IN_RANGE_SQL = "allocated_fen >= 0 AND (allocated_fen = 0 OR paid_fen + allocated_fen <= total_fen)"
CREDIT_IN_RANGE_SQL = "deposit_fen >= 0 AND allocated_fen >= 0 AND deposit_fen + allocated_fen <= total_fen"
ONE_TARGET_SQL = (
    "(kind = 'refund' AND refund_id IS NOT NULL AND invoice_id IS NULL)"
    " OR (kind <> 'refund' AND invoice_id IS NOT NULL AND refund_id IS NULL)"
)


def upgrade():
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('refunded_on', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_refunds_client_id_clients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_refunds_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_client_id'), ['client_id'], unique=False)

    op.create_table('allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_allocations_amount_positive')),
    sa.CheckConstraint("kind IN ('credit_note', 'credit_balance', 'refund')", name=op.f('ck_allocations_kind_known')),
    sa.CheckConstraint(ONE_TARGET_SQL, name=op.f('ck_allocations_one_target')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_allocations_client_id_clients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_notes.id'], name=op.f('fk_allocations_credit_note_id_credit_notes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_allocations_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_allocations_refund_id_refunds'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_allocations_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocations'))
    )
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocations_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_credit_note_id'), ['credit_note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocations_refund_id'), ['refund_id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allocated_fen', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deposit_fen', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('allocated_fen', sa.BigInteger(), server_default='0', nullable=False))

    _allocate_existing_credit_notes()

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_invoices_allocated_in_range'), ALLOCATED_IN_RANGE_SQL)
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_credit_notes_credit_in_range'), CREDIT_IN_RANGE_SQL)


def _allocate_existing_credit_notes():
    """Each issued credit note settles its invoice up to what was unpaid; the excess (which used to show
    as a negative balance) becomes the client's credit balance."""
    bind = op.get_bind()
    notes = bind.execute(sa.text(
        "SELECT n.id, n.invoice_id, n.total_fen, i.client_id, n.created_at FROM credit_notes n"
        " JOIN invoices i ON i.id = n.invoice_id WHERE n.status = 'issued' ORDER BY n.id"
    )).all()
    for note_id, invoice_id, total_fen, client_id, created_at in notes:
        total, paid, allocated = bind.execute(
            sa.text("SELECT total_fen, paid_fen, allocated_fen FROM invoices WHERE id = :id"), {"id": invoice_id}
        ).one()
        amount = min(total_fen, max(0, total - paid - allocated))
        if amount <= 0:
            continue
        bind.execute(sa.text(
            "INSERT INTO allocations (client_id, kind, credit_note_id, invoice_id, amount_fen, created_at)"
            " VALUES (:client, 'credit_note', :note, :invoice, :amount, :at)"
        ), {"client": client_id, "note": note_id, "invoice": invoice_id, "amount": amount, "at": created_at})
        bind.execute(sa.text("UPDATE credit_notes SET allocated_fen = :a WHERE id = :id"), {"a": amount, "id": note_id})
        bind.execute(
            sa.text("UPDATE invoices SET allocated_fen = allocated_fen + :a WHERE id = :id"),
            {"a": amount, "id": invoice_id},
        )


def downgrade():
    with op.batch_alter_table('credit_notes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_credit_notes_credit_in_range'), type_='check')
        batch_op.drop_column('allocated_fen')
        batch_op.drop_column('deposit_fen')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_invoices_allocated_in_range'), type_='check')
        batch_op.drop_column('allocated_fen')
    with op.batch_alter_table('allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocations_refund_id'))
        batch_op.drop_index(batch_op.f('ix_allocations_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_allocations_credit_note_id'))
        batch_op.drop_index(batch_op.f('ix_allocations_client_id'))
    op.drop_table('allocations')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refunds_client_id'))
    op.drop_table('refunds')
