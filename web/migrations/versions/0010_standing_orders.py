"""standing orders, their pauses, flexible parcels

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29 14:00:00

A standing order repeats an order on weekdays (every week or every N weeks) between two dates;
pauses and single dates without it are ``standing_pauses``. An order made from a standing
order names it, and the database allows one such order per standing order and day, so two
processes making a day's orders at once make one. ``orders.flexible_until``: a parcel that may
go to a later day when its own day has no room.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SQLITE_NAMES = {'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
                'fk': 'fk_%(table_name)s_%(column_0_name)s'}


def _created() -> list[sa.Column]:
    return [sa.Column('created_by', sa.Integer(), sa.ForeignKey('users.id')),
            sa.Column('created_at', sa.DateTime(), nullable=False,
                      server_default=sa.func.current_timestamp())]


def upgrade() -> None:
    op.create_table(
        'standing_orders',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('org_id', sa.Integer(), sa.ForeignKey('organisations.id'), nullable=False,
                  index=True),
        sa.Column('partner_id', sa.Integer(), sa.ForeignKey('partners.id'), nullable=False,
                  index=True),
        sa.Column('resident_id', sa.Integer(), sa.ForeignKey('residents.id'), nullable=False,
                  index=True),
        sa.Column('weekdays', sa.JSON(), nullable=False),
        sa.Column('every_weeks', sa.Integer(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date()),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('phone', sa.String(length=32)),
        sa.Column('windows', sa.JSON(), nullable=False),
        sa.Column('pickup_name', sa.String(length=120)),
        sa.Column('pickup_address', sa.String(length=200)),
        sa.Column('pickup_lat', sa.Double()),
        sa.Column('pickup_lon', sa.Double()),
        sa.Column('ready_time', sa.String(length=5)),
        sa.Column('praatje_minutes', sa.Integer()),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('hot_meal', sa.Boolean(), nullable=False),
        sa.Column('in_person', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('reference', sa.String(length=64)),
        *_created(),
        sa.UniqueConstraint('partner_id', 'reference'),
    )
    op.create_table(
        'standing_pauses',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('org_id', sa.Integer(), sa.ForeignKey('organisations.id'), nullable=False,
                  index=True),
        sa.Column('resident_id', sa.Integer(), sa.ForeignKey('residents.id'), nullable=False,
                  index=True),
        sa.Column('standing_order_id', sa.Integer(), sa.ForeignKey('standing_orders.id'),
                  index=True),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        *_created(),
    )
    with op.batch_alter_table('orders', naming_convention=SQLITE_NAMES) as batch:
        batch.add_column(sa.Column('flexible_until', sa.Date()))
        batch.add_column(sa.Column('standing_order_id', sa.Integer()))
        batch.create_foreign_key('fk_orders_standing_order_id', 'standing_orders',
                                 ['standing_order_id'], ['id'])
        batch.create_index('ix_orders_standing_order_id', ['standing_order_id'])
        batch.create_unique_constraint('uq_orders_standing_order_id_service_date',
                                       ['standing_order_id', 'service_date'])


def downgrade() -> None:
    with op.batch_alter_table('orders', naming_convention=SQLITE_NAMES) as batch:
        batch.drop_constraint('uq_orders_standing_order_id_service_date', type_='unique')
        batch.drop_index('ix_orders_standing_order_id')
        batch.drop_constraint('fk_orders_standing_order_id', type_='foreignkey')
        batch.drop_column('standing_order_id')
        batch.drop_column('flexible_until')
    op.drop_table('standing_pauses')
    op.drop_table('standing_orders')
