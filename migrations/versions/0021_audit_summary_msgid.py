"""audit entries: a code-written summary kept as its msgid and parameters, shown in the reader's language

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 16:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entries') as batch:
        batch.add_column(sa.Column('summary_msgid', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('summary_params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_entries') as batch:
        batch.drop_column('summary_params')
        batch.drop_column('summary_msgid')
