"""contract amendments (补充协议): seat rows and monthly extras versioned by effective date

Revision ID: 0020
Revises: 0008
Create Date: 2026-11-30 16:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'sent', 'accepted', 'rejected', 'withdrawn')", name=op.f('ck_contract_amendments_status_known')),
    sa.CheckConstraint('seq > 0', name=op.f('ck_contract_amendments_seq_positive')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_amendments_contract_id_contracts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contract_amendments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_contract_amendments_decided_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_amendments')),
    sa.UniqueConstraint('contract_id', 'seq', name=op.f('uq_contract_amendments_contract_id_seq')),
    sa.UniqueConstraint('number', name=op.f('uq_contract_amendments_number'))
    )
    with op.batch_alter_table('contract_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_amendments_contract_id'), ['contract_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contract_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_amendments_contract_id'))

    op.drop_table('contract_amendments')
