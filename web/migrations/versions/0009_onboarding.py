"""onboarding: partners' opening hours, assistants' places and availability, one-time links

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00

A cooperative starts without the demo: partners get opening hours per weekday and handling
minutes, assistants a start and end place, a weekly availability and absences from which
shifts are made (``shifts.source`` tells a generated shift from one set by hand), residents a
contact person and a note for the door, users an optional e-mail address, and invitations and
password resets are one-time links whose SHA-256 only is stored.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _place(prefix: str) -> list[sa.Column]:
    return [sa.Column(f'{prefix}_address', sa.String(length=200), nullable=False,
                      server_default=''),
            sa.Column(f'{prefix}_lat', sa.Double()), sa.Column(f'{prefix}_lon', sa.Double())]


def upgrade() -> None:
    with op.batch_alter_table('partners') as batch:
        batch.add_column(sa.Column('opening_hours', sa.JSON()))
        batch.add_column(sa.Column('handling_minutes', sa.Integer()))
    with op.batch_alter_table('assistants') as batch:
        for column in _place('start') + _place('end'):
            batch.add_column(column)
    with op.batch_alter_table('shifts') as batch:
        for column in _place('end'):
            batch.add_column(column)
        batch.add_column(sa.Column('source', sa.String(length=10), nullable=False,
                                   server_default='hand'))
    with op.batch_alter_table('residents') as batch:
        batch.add_column(sa.Column('contact_name', sa.String(length=80)))
        batch.add_column(sa.Column('contact_phone', sa.String(length=32)))
        batch.add_column(sa.Column('door_note', sa.String(length=300), nullable=False,
                                   server_default=''))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.String(length=200)))
    op.create_table(
        'availability',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('org_id', sa.Integer(), sa.ForeignKey('organisations.id'), nullable=False,
                  index=True),
        sa.Column('assistant_id', sa.Integer(), sa.ForeignKey('assistants.id'), nullable=False,
                  index=True),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('start', sa.String(length=5), nullable=False),
        sa.Column('end', sa.String(length=5), nullable=False),
        sa.Column('break_from', sa.String(length=5)),
        sa.Column('break_until', sa.String(length=5)),
        sa.Column('break_minutes', sa.Integer(), nullable=False, server_default='0'),
        sa.UniqueConstraint('assistant_id', 'weekday'),
    )
    op.create_table(
        'absences',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('org_id', sa.Integer(), sa.ForeignKey('organisations.id'), nullable=False,
                  index=True),
        sa.Column('assistant_id', sa.Integer(), sa.ForeignKey('assistants.id'), nullable=False,
                  index=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False,
                  server_default=sa.func.current_timestamp()),
    )
    op.create_table(
        'one_time_links',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False,
                  index=True),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False, unique=True),
        sa.Column('created_by', sa.Integer(), sa.ForeignKey('users.id')),
        sa.Column('created_at', sa.DateTime(), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime()),
    )


def downgrade() -> None:
    op.drop_table('one_time_links')
    op.drop_table('absences')
    op.drop_table('availability')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email')
    with op.batch_alter_table('residents') as batch:
        for name in ('door_note', 'contact_phone', 'contact_name'):
            batch.drop_column(name)
    with op.batch_alter_table('shifts') as batch:
        for name in ('source', 'end_lon', 'end_lat', 'end_address'):
            batch.drop_column(name)
    with op.batch_alter_table('assistants') as batch:
        for name in ('end_lon', 'end_lat', 'end_address', 'start_lon', 'start_lat',
                     'start_address'):
            batch.drop_column(name)
    with op.batch_alter_table('partners') as batch:
        batch.drop_column('handling_minutes')
        batch.drop_column('opening_hours')
