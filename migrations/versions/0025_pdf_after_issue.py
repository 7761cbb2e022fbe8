"""invoices and credit notes: the PDF's data as issued, so a queue consumer renders it after commit

Revision ID: 0025
Revises: 0022
Create Date: 2026-11-30 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoices') as batch:
        batch.add_column(sa.Column('pdf_data', sa.JSON(), nullable=True))
    with op.batch_alter_table('credit_notes') as batch:
        batch.add_column(sa.Column('pdf_data', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('credit_notes') as batch:
        batch.drop_column('pdf_data')
    with op.batch_alter_table('invoices') as batch:
        batch.drop_column('pdf_data')
