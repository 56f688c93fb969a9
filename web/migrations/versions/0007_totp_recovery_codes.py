"""recovery codes for two-step login

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 11:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_totp', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recovery', sa.JSON(), nullable=False,
                                      server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('user_totp', schema=None) as batch_op:
        batch_op.drop_column('recovery')
