"""access log (append-only, NEN 7513), anonymous daily statistics, residents' last order date

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:50:00

The access log refuses UPDATE and DELETE in the database itself (triggers on SQLite and
PostgreSQL), so not even a bug in the app or a stray SQL statement through it can rewrite
who looked at whose data. Removing the triggers takes a deliberate DDL statement.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    ("CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
     "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END"),
    ("CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
     "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END"),
)
POSTGRES_TRIGGERS = (
    ("CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
     "BEGIN RAISE EXCEPTION 'access_log is append-only'; END $$"),
    ("CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log "
     "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()"),
    ("CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
     "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()"),
)


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('on_behalf', sa.String(length=80), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('subject_user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('part', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('endpoint', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_access_log_at', 'access_log', ['at'], unique=False)
    op.create_index('ix_access_log_user_id', 'access_log', ['user_id'], unique=False)
    op.create_index('ix_access_log_resident_id', 'access_log', ['resident_id'], unique=False)
    op.create_table('daily_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('buurt', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('praatje_minutes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_date', 'buurt', 'kind', 'status')
    )
    op.create_index('ix_daily_stats_service_date', 'daily_stats', ['service_date'],
                    unique=False)
    with op.batch_alter_table('residents') as batch:
        batch.add_column(sa.Column('last_order_date', sa.Date(), nullable=True))
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect,
                                                                                       ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_change ON access_log")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    with op.batch_alter_table('residents') as batch:
        batch.drop_column('last_order_date')
    op.drop_index('ix_daily_stats_service_date', table_name='daily_stats')
    op.drop_table('daily_stats')
    op.drop_index('ix_access_log_resident_id', table_name='access_log')
    op.drop_index('ix_access_log_user_id', table_name='access_log')
    op.drop_index('ix_access_log_at', table_name='access_log')
    op.drop_table('access_log')
