"""one running plan per day, across processes; which process runs it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    # Runs left "running" by a server that stopped cannot finish any more (their process is
    # gone), and duplicates would break the new index: they become what the app makes of them.
    op.execute("UPDATE plans SET status = 'failed', error = 'interrupted', superseded = true "
               "WHERE status = 'running'")
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=120), nullable=False,
                                      server_default=''))
    op.create_index('uq_plans_one_running_per_day', 'plans', ['service_date'], unique=True,
                    sqlite_where=RUNNING, postgresql_where=RUNNING)


def downgrade() -> None:
    op.drop_index('uq_plans_one_running_per_day', table_name='plans',
                  sqlite_where=RUNNING, postgresql_where=RUNNING)
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('runner')
