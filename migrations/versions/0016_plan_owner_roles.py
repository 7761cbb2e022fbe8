"""plan items: the role that owns each and the event that ticks it by itself

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# A copy of ops.clients.plan as it stood (a migration never imports the app's code).
PHASE_ROLES = {1: 'sales', 2: 'sales', 3: 'sales', 4: 'trainer', 5: 'trainer', 6: 'finance'}
WORK_RULES = {'与店铺负责人沟通并确认外包需求': ('sales', 'needs_recorded'),
 '收集近 30 天咨询量、询单转化率与客单价数据': ('sales', 'needs_recorded'),
 '制定外包计划：各阶段重点关注问题与重点工作': ('sales', ''),
 '根据需求测算坐席数并出具报价单': ('sales', 'quote_sent'),
 '与客户洽谈价格并确认报价': ('sales', 'quote_accepted'),
 '起草合同并约定考核指标': ('sales', 'contract_signed'),
 '完成合同签署并归档签字版': ('sales', 'contract_signed'),
 '确认定金到账': ('finance', 'deposit_received'),
 '向客户发送培训材料清单并收齐材料': ('trainer', 'materials_uploaded'),
 '安排培训场次并完成培训（一般 3–5 天）': ('trainer', 'training_done'),
 '组织产品知识考试': ('trainer', 'training_done'),
 '子账号与密码准备并完成认证': ('trainer', 'agents_live'),
 '快捷短语导入': ('trainer', 'agents_live'),
 '分流设置与跟岗实习': ('trainer', 'agents_live'),
 '客服正式上线接待': ('manager', 'agents_live'),
 '核对当期咨询量与业绩数据': ('finance', 'invoice_issued'),
 '出具结算单与发票': ('finance', 'invoice_issued'),
 '跟进回款': ('finance', '')}


def upgrade():
    with op.batch_alter_table('plan_items') as batch:
        batch.add_column(sa.Column('owner_role', sa.String(length=20), nullable=False, server_default=''))
        batch.add_column(sa.Column('tick_event', sa.String(length=30), nullable=False, server_default=''))
    items = sa.table(
        'plan_items',
        sa.column('id', sa.Integer), sa.column('phase', sa.Integer), sa.column('kind', sa.String),
        sa.column('title', sa.String), sa.column('owner_role', sa.String), sa.column('tick_event', sa.String),
    )
    bind = op.get_bind()
    for phase, role in PHASE_ROLES.items():
        bind.execute(items.update().where(items.c.phase == phase).values(owner_role=role))
    for title, (role, event) in WORK_RULES.items():
        bind.execute(
            items.update()
            .where(items.c.kind == 'work', items.c.title == title)
            .values(owner_role=role, tick_event=event)
        )


def downgrade():
    with op.batch_alter_table('plan_items') as batch:
        batch.drop_column('tick_event')
        batch.drop_column('owner_role')
