"""数电票 readiness: fapiao numbers on invoices, the client's 发票类型, the 红字确认单 reason of credit
notes, and the configurable 项目名称 / 税收分类编码 / 单位 per line kind

Revision ID: 0028
Revises: 0025
Create Date: 2026-11-30 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'fapiao_item_codes',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('item_name', sa.String(length=90), nullable=False),
        sa.Column('tax_code', sa.String(length=19), nullable=False),
        sa.Column('unit', sa.String(length=20), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('seat', 'base', 'commission', 'consult', 'minimum', 'extra', 'true_up', 'late_fee', "
            "'adjustment')",
            name=op.f('ck_fapiao_item_codes_kind_known'),
        ),
        sa.CheckConstraint('length(tax_code) = 19', name=op.f('ck_fapiao_item_codes_tax_code_length')),
        sa.ForeignKeyConstraint(
            ['updated_by_id'], ['users.id'], name=op.f('fk_fapiao_item_codes_updated_by_id_users'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('kind', name=op.f('pk_fapiao_item_codes')),
    )
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('fapiao_type', sa.String(length=10), server_default='normal', nullable=False))
        batch.create_check_constraint(batch.f('ck_clients_fapiao_type_known'), "fapiao_type IN ('normal', 'special')")
    # A client whose contract agreed a 专票 asks for one: start it there (the export lists any details missing).
    op.execute(
        "UPDATE clients SET fapiao_type = 'special' WHERE id IN "
        "(SELECT client_id FROM contracts WHERE invoice_type = 'special' AND status <> 'cancelled')"
    )
    with op.batch_alter_table('invoices') as batch:
        batch.add_column(sa.Column('fapiao_number', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('fapiao_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('fapiao_status', sa.String(length=12), nullable=True))
        batch.create_unique_constraint(batch.f('uq_invoices_fapiao_number'), ['fapiao_number'])
        batch.create_check_constraint(
            batch.f('ck_invoices_fapiao_complete'),
            "(fapiao_number IS NULL AND fapiao_date IS NULL AND fapiao_status IS NULL)"
            " OR (fapiao_number IS NOT NULL AND fapiao_date IS NOT NULL AND fapiao_status IS NOT NULL)",
        )
        batch.create_check_constraint(batch.f('ck_invoices_fapiao_number_length'), 'fapiao_number IS NULL OR length(fapiao_number) = 20')
        batch.create_check_constraint(
            batch.f('ck_invoices_fapiao_status_known'), "fapiao_status IS NULL OR fapiao_status IN ('issued', 'partly_red', 'red')"
        )
    with op.batch_alter_table('credit_notes') as batch:
        batch.add_column(sa.Column('red_reason', sa.String(length=2), server_default='', nullable=False))
        batch.create_check_constraint(batch.f('ck_credit_notes_red_reason_known'), "red_reason IN ('', '01', '02', '03', '04')")


def downgrade():
    with op.batch_alter_table('credit_notes') as batch:
        batch.drop_constraint(batch.f('ck_credit_notes_red_reason_known'), type_='check')
        batch.drop_column('red_reason')
    with op.batch_alter_table('invoices') as batch:
        batch.drop_constraint(batch.f('ck_invoices_fapiao_status_known'), type_='check')
        batch.drop_constraint(batch.f('ck_invoices_fapiao_number_length'), type_='check')
        batch.drop_constraint(batch.f('ck_invoices_fapiao_complete'), type_='check')
        batch.drop_constraint(batch.f('uq_invoices_fapiao_number'), type_='unique')
        batch.drop_column('fapiao_status')
        batch.drop_column('fapiao_date')
        batch.drop_column('fapiao_number')
    with op.batch_alter_table('clients') as batch:
        batch.drop_constraint(batch.f('ck_clients_fapiao_type_known'), type_='check')
        batch.drop_column('fapiao_type')
    op.drop_table('fapiao_item_codes')
