"""plan status and coordinator locks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False,
                                      server_default='done'))
        batch_op.add_column(sa.Column('error', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
    op.create_table('stop_locks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('assistant_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['assistant_id'], ['assistants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id')
    )


def downgrade() -> None:
    op.drop_table('stop_locks')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('finished_at')
        batch_op.drop_column('error')
        batch_op.drop_column('status')
