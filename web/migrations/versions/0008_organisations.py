"""organisations: many cooperatives on one service

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 13:30:00

Every table of a cooperative's work gets ``org_id``. A database of one cooperative (every
installation before this revision) becomes organisation 1, "cooperatie", and all its rows,
users and partners belong to it. Residents are unique per organisation (two cooperatives may
each have a "J. de Vries" at the same address in a shared area), partners' names are no
longer unique across the service, at most one planning run per organisation and day.
SQLite rebuilds the tables (``web.migrate`` switches foreign keys off around the migration
and checks them before it commits).
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TENANT_TABLES = ('assistants', 'residents', 'orders', 'order_events', 'shifts', 'plans',
                 'stop_locks', 'facts', 'plan_requests', 'daily_stats')
#: Unique constraints that become per organisation: (table, old columns).
PER_ORG_UNIQUE = {'residents': ('name', 'address'),
                  'daily_stats': ('service_date', 'buurt', 'kind', 'status')}
SQLITE_NAMES = {'uq': 'uq_%(table_name)s_%(column_0_N_name)s'}
TRUE = 'true'  # SQLite (3.23+) and PostgreSQL both read it


def _unique_name(table: str, columns: tuple[str, ...]) -> str:
    if op.get_context().dialect.name == 'postgresql':
        return f"{table}_{'_'.join(columns)}_key"  # PostgreSQL's own default name
    return f"uq_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('slug', sa.String(length=40), nullable=False, unique=True),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('area', sa.String(length=60)),
        sa.Column('time_zone', sa.String(length=40), nullable=False,
                  server_default='Europe/Amsterdam'),
        sa.Column('retain_order_days', sa.Integer()),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_at', sa.DateTime(), nullable=False,
                  server_default=sa.func.current_timestamp()),
    )
    op.create_table(
        'partner_links',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('org_id', sa.Integer(), sa.ForeignKey('organisations.id'), nullable=False,
                  index=True),
        sa.Column('partner_id', sa.Integer(), sa.ForeignKey('partners.id'), nullable=False,
                  index=True),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_at', sa.DateTime(), nullable=False,
                  server_default=sa.func.current_timestamp()),
        sa.UniqueConstraint('org_id', 'partner_id'),
    )
    # plain SQL (also for ``alembic upgrade --sql``): an installation with data becomes
    # organisation 1; an empty one gets no organisation (the service admin makes them)
    op.execute(
        "INSERT INTO organisations (id, slug, name, time_zone, active, created_at) "
        "SELECT 1, 'cooperatie', COALESCE((SELECT name FROM partners WHERE kind = "
        "'cooperative' ORDER BY id LIMIT 1), 'Buurtcoöperatie'), 'Europe/Amsterdam', "
        f"{TRUE}, CURRENT_TIMESTAMP WHERE " + " OR ".join(
            f"EXISTS (SELECT 1 FROM {t})" for t in ('users', 'partners', *TENANT_TABLES)))
    if op.get_context().dialect.name == 'postgresql':
        op.execute("SELECT setval('organisations_id_seq', "
                   "(SELECT COALESCE(max(id), 0) + 1 FROM organisations), false)")
    op.execute("INSERT INTO partner_links (org_id, partner_id, active, created_at) "
               f"SELECT organisations.id, partners.id, {TRUE}, CURRENT_TIMESTAMP "
               "FROM partners, organisations")
    one = "(SELECT min(id) FROM organisations)"

    op.drop_index('uq_plans_one_running_per_day', table_name='plans')  # remade per org below
    with op.batch_alter_table('partners', naming_convention=SQLITE_NAMES) as batch:
        batch.drop_constraint(_unique_name('partners', ('name',)), type_='unique')
    for table in TENANT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET org_id = {one}")
        with op.batch_alter_table(table, naming_convention=SQLITE_NAMES) as batch:
            batch.alter_column('org_id', existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(f'fk_{table}_org_id', 'organisations', ['org_id'], ['id'])
            batch.create_index(f'ix_{table}_org_id', ['org_id'])
            if table in PER_ORG_UNIQUE:
                columns = PER_ORG_UNIQUE[table]
                batch.drop_constraint(_unique_name(table, columns), type_='unique')
                batch.create_unique_constraint(f'uq_{table}_org_{"_".join(columns)}',
                                               ['org_id', *columns])
    with op.batch_alter_table('residents') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_users_org_id', 'organisations', ['org_id'], ['id'])
        batch.create_index('ix_users_org_id', ['org_id'])
    op.execute(f"UPDATE users SET org_id = {one} WHERE role IN "
               "('coordinator', 'assistant', 'privacy_officer')")
    # the access log is append-only (triggers): a plain new column, no rebuild
    op.add_column('access_log', sa.Column('org_id', sa.Integer(), nullable=True))
    op.create_index('ix_access_log_org_id', 'access_log', ['org_id'])
    for trigger in _access_log_triggers_off():
        op.execute(trigger)
    op.execute(f"UPDATE access_log SET org_id = {one}")
    for trigger in _access_log_triggers_on():
        op.execute(trigger)

    op.create_index('uq_plans_one_running_per_day', 'plans', ['org_id', 'service_date'],
                    unique=True, sqlite_where=sa.text("status = 'running'"),
                    postgresql_where=sa.text("status = 'running'"))


def _access_log_triggers_off() -> tuple[str, ...]:
    if op.get_context().dialect.name == 'postgresql':
        return ("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change",)
    return ("DROP TRIGGER access_log_no_update",)


def _access_log_triggers_on() -> tuple[str, ...]:
    if op.get_context().dialect.name == 'postgresql':
        return ("ALTER TABLE access_log ENABLE TRIGGER access_log_no_change",)
    return (("CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
             "BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END"),)


def downgrade() -> None:
    bind = op.get_bind()
    if (bind.execute(sa.text("SELECT count(*) FROM organisations")).scalar() or 0) > 1:
        raise RuntimeError("several organisations cannot become one; restore a backup instead")
    op.drop_index('uq_plans_one_running_per_day', table_name='plans')
    for table in reversed(TENANT_TABLES):
        with op.batch_alter_table(table, naming_convention=SQLITE_NAMES) as batch:
            if table in PER_ORG_UNIQUE:
                columns = PER_ORG_UNIQUE[table]
                batch.drop_constraint(f'uq_{table}_org_{"_".join(columns)}', type_='unique')
                batch.create_unique_constraint(_unique_name(table, columns), list(columns))
            batch.drop_index(f'ix_{table}_org_id')
            batch.drop_constraint(f'fk_{table}_org_id', type_='foreignkey')
            batch.drop_column('org_id')
    with op.batch_alter_table('residents') as batch:
        batch.drop_column('active')
    with op.batch_alter_table('users') as batch:
        batch.drop_index('ix_users_org_id')
        batch.drop_constraint('fk_users_org_id', type_='foreignkey')
        batch.drop_column('org_id')
    op.drop_index('ix_access_log_org_id', table_name='access_log')
    for trigger in _access_log_triggers_off():
        op.execute(trigger)
    op.drop_column('access_log', 'org_id')
    for trigger in _access_log_triggers_on():
        op.execute(trigger)
    with op.batch_alter_table('partners', naming_convention=SQLITE_NAMES) as batch:
        batch.create_unique_constraint(_unique_name('partners', ('name',)), ['name'])
    op.create_index('uq_plans_one_running_per_day', 'plans', ['service_date'], unique=True,
                    sqlite_where=sa.text("status = 'running'"),
                    postgresql_where=sa.text("status = 'running'"))
    op.drop_table('partner_links')
    op.drop_table('organisations')
