"""api tokens: scopes (read, usage:write, clients:write, billing:write); existing tokens keep usage:write

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

# Tokens made before scopes existed could only POST /api/v1/usage: they keep exactly that (no read).
CLIENT_SCOPES_CHECK = (
    "client_id IS NULL OR (scopes NOT LIKE '%clients:write%' AND scopes NOT LIKE '%billing:write%')"
)


def upgrade():
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(
            sa.Column('scopes', sa.String(length=100), nullable=False, server_default='usage:write')
        )
        batch.create_check_constraint(batch.f('ck_api_tokens_client_scopes'), CLIENT_SCOPES_CHECK)


def downgrade():
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_constraint(batch.f('ck_api_tokens_client_scopes'), type_='check')
        batch.drop_column('scopes')
