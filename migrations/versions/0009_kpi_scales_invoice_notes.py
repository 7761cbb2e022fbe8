"""KPI scales (contract_kpi_bands), the response-delay metric, engine notes and KPI results on invoices

Revision ID: 0009
Revises: 0016
Create Date: 2026-11-30 15:00:00

Each existing KPI clause becomes a clause with one band (its threshold and deduction).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0016'
branch_labels = None
depends_on = None

OLD_METRICS = ('first_response_seconds', 'avg_response_seconds', 'reply_3min_rate', 'inquiry_conversion',
               'satisfaction', 'dispute_refund_rate')
NEW_METRICS = (*OLD_METRICS, 'response_delay_rate')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table('contract_kpi_bands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('deduction_bp', sa.Integer(), nullable=False),
    sa.Column('deduction_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('threshold >= 0', name=op.f('ck_contract_kpi_bands_threshold_non_negative')),
    sa.CheckConstraint('deduction_bp >= 0 AND deduction_bp <= 10000 AND deduction_fen >= 0',
                       name=op.f('ck_contract_kpi_bands_deduction_in_range')),
    sa.ForeignKeyConstraint(['kpi_id'], ['contract_kpis.id'], name=op.f('fk_contract_kpi_bands_kpi_id_contract_kpis'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_kpi_bands')),
    sa.UniqueConstraint('kpi_id', 'position', name=op.f('uq_contract_kpi_bands_kpi_id_position'))
    )
    with op.batch_alter_table('contract_kpi_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_kpi_bands_kpi_id'), ['kpi_id'], unique=False)

    # Data: every existing clause keeps its threshold and deduction as its one band.
    op.execute(
        "INSERT INTO contract_kpi_bands (kpi_id, position, threshold, deduction_bp, deduction_fen) "
        "SELECT id, 0, threshold, deduction_bp, deduction_fen FROM contract_kpis"
    )
    with op.batch_alter_table('contract_kpis', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contract_kpis_deduction_non_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_contract_kpis_metric_known'), type_='check')
        batch_op.drop_column('threshold')
        batch_op.drop_column('deduction_bp')
        batch_op.drop_column('deduction_fen')
        batch_op.create_check_constraint(op.f('ck_contract_kpis_metric_known'), _in('metric', NEW_METRICS))

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('kpi_results', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('kpi_results')
        batch_op.drop_column('notes')

    # A clause keeps its first band (a scale's further bands are lost; response-delay clauses go).
    op.execute("DELETE FROM contract_kpis WHERE metric = 'response_delay_rate'")
    with op.batch_alter_table('contract_kpis', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contract_kpis_metric_known'), type_='check')
        batch_op.add_column(sa.Column('threshold', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('deduction_bp', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('deduction_fen', sa.BigInteger(), nullable=False, server_default='0'))
    for column in ('threshold', 'deduction_bp', 'deduction_fen'):
        op.execute(
            f"UPDATE contract_kpis SET {column} = (SELECT b.{column} FROM contract_kpi_bands b "
            f"WHERE b.kpi_id = contract_kpis.id AND b.position = 0) "
            f"WHERE EXISTS (SELECT 1 FROM contract_kpi_bands b WHERE b.kpi_id = contract_kpis.id AND b.position = 0)"
        )
    with op.batch_alter_table('contract_kpis', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_contract_kpis_metric_known'), _in('metric', OLD_METRICS))
        batch_op.create_check_constraint(op.f('ck_contract_kpis_deduction_non_negative'),
                                         'deduction_bp >= 0 AND deduction_fen >= 0')

    with op.batch_alter_table('contract_kpi_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_kpi_bands_kpi_id'))

    op.drop_table('contract_kpi_bands')
