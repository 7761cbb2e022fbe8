"""clients can be archived: hidden from lists by default, kept with all their records

Revision ID: 0015
Revises: 0007
Create Date: 2026-11-30 15:10:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_clients_archived_at', ['archived_at'])


def downgrade():
    with op.batch_alter_table('clients') as batch:
        batch.drop_index('ix_clients_archived_at')
        batch.drop_column('archived_at')
