"""at the door: safety alerts, signals, house-call campaigns; residents' consent to a contact

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 14:00:00

New tables of a cooperative's work (each with ``org_id``); on residents, their consent that
the contact person (0009) is called when they do not open; on organisations, where their
safety alerts are sent. A pause after an alert is a standing-order pause (0010).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _org() -> sa.Column:
    return sa.Column('org_id', sa.Integer(), sa.ForeignKey('organisations.id'), nullable=False,
                     index=True)


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('alert_email', sa.String(length=300), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('alert_sms', sa.String(length=200), nullable=False,
                                   server_default=''))
    with op.batch_alter_table('residents') as batch:
        batch.add_column(sa.Column('contact_consent', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        'safety_alerts',
        sa.Column('id', sa.Integer(), primary_key=True),
        _org(),
        sa.Column('resident_id', sa.Integer(), sa.ForeignKey('residents.id'), nullable=False,
                  index=True),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('fact_id', sa.Integer(), nullable=False, unique=True),
        sa.Column('service_date', sa.Date(), nullable=False, index=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('buurt', sa.String(length=80), nullable=False),
        sa.Column('assistant_id', sa.Integer(), sa.ForeignKey('assistants.id')),
        sa.Column('at_seconds', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=12), nullable=False),
        sa.Column('previous_id', sa.Integer()),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('notified', sa.String(length=200), nullable=False),
        sa.Column('closed_at', sa.DateTime()),
        sa.Column('closed_by', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('outcome', sa.Text(), nullable=False),
    )
    op.create_table(
        'signals',
        sa.Column('id', sa.Integer(), primary_key=True),
        _org(),
        sa.Column('client_id', sa.String(length=64), nullable=False, unique=True),
        sa.Column('category', sa.String(length=12), nullable=False),
        sa.Column('urgency', sa.String(length=12), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('resident_id', sa.Integer(), sa.ForeignKey('residents.id'), index=True),
        sa.Column('buurt', sa.String(length=80), nullable=False),
        sa.Column('assistant_id', sa.Integer(), sa.ForeignKey('assistants.id')),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('noticed_at', sa.DateTime(), nullable=False, index=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('follow_up_user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('follow_up_due', sa.Date()),
        sa.Column('assigned_at', sa.DateTime()),
        sa.Column('closed_at', sa.DateTime()),
        sa.Column('closed_by', sa.Integer(), sa.ForeignKey('users.id')),
    )
    op.create_table(
        'signal_notes',
        sa.Column('id', sa.Integer(), primary_key=True),
        _org(),
        sa.Column('signal_id', sa.Integer(), sa.ForeignKey('signals.id'), nullable=False,
                  index=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
    )
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), primary_key=True),
        _org(),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('buurten', sa.JSON(), nullable=False),
        sa.Column('streets', sa.JSON(), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('end', sa.Date(), nullable=False),
        sa.Column('min_interval_days', sa.Integer(), nullable=False),
        sa.Column('call_minutes', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'campaign_doors',
        sa.Column('id', sa.Integer(), primary_key=True),
        _org(),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False,
                  index=True),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.Column('street', sa.String(length=120), nullable=False),
        sa.Column('buurt', sa.String(length=80), nullable=False),
        sa.Column('lat', sa.Double(), nullable=False),
        sa.Column('lon', sa.Double(), nullable=False),
        sa.UniqueConstraint('campaign_id', 'address'),
    )
    op.create_table(
        'house_calls',
        sa.Column('id', sa.Integer(), primary_key=True),
        _org(),
        sa.Column('client_id', sa.String(length=64), nullable=False, unique=True),
        sa.Column('door_id', sa.Integer(), sa.ForeignKey('campaign_doors.id'), nullable=False,
                  index=True),
        sa.Column('service_date', sa.Date(), nullable=False, index=True),
        sa.Column('assistant_id', sa.Integer(), sa.ForeignKey('assistants.id'), nullable=False),
        sa.Column('at_seconds', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ('house_calls', 'campaign_doors', 'campaigns', 'signal_notes', 'signals',
                  'safety_alerts'):
        op.drop_table(table)
    with op.batch_alter_table('residents') as batch:
        batch.drop_column('contact_consent')
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('alert_sms')
        batch.drop_column('alert_email')
