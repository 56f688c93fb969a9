"""the live day: facts (marks as events), plan requests, plans with the checker's verdict

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'facts',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_id', sa.String(length=64), nullable=False, unique=True),
        sa.Column('service_date', sa.Date(), nullable=False, index=True),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('orders.id'), nullable=False,
                  index=True),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('assistant_id', sa.Integer(), sa.ForeignKey('assistants.id'), nullable=False),
        sa.Column('from_assistant_id', sa.Integer(), sa.ForeignKey('assistants.id')),
        sa.Column('at_seconds', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'plan_requests',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('service_date', sa.Date(), nullable=False, index=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('orders.id')),
        sa.Column('base_plan_id', sa.Integer(), sa.ForeignKey('plans.id')),
        sa.Column('lock_before', sa.JSON()),
        sa.Column('undone_by', sa.Integer()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upto_request', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('mode', sa.String(length=12), nullable=False,
                                      server_default='full'))
        batch_op.add_column(sa.Column('attempt', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('violations', sa.JSON(), nullable=False,
                                      server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        for column in ('violations', 'attempt', 'mode', 'upto_request'):
            batch_op.drop_column(column)
    op.drop_table('plan_requests')
    op.drop_table('facts')
