"""Migrations as an operator meets them: ``python -m web.cli db-upgrade`` really upgrades
(also with BUURTROUTE_AUTO_MIGRATE=false), and processes that start at once — a web server and
its workers — migrate one at a time instead of failing, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from tests.pg_fixtures import pg_database, pg_server  # noqa: F401 (fixtures by name)
from web import migrate
from web.store import Base, make_engine

ROOT = Path(__file__).resolve().parents[1]


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def db_upgrade(url: str, tmp_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUURTROUTE_")}
    env.update({"DATABASE_URL": url, "BUURTROUTE_AUTO_MIGRATE": "false",
                "BUURTROUTE_SECRET_KEY": "migrate-test", "PYTHONPATH": str(ROOT),
                "BUURTROUTE_INSTANCE_PATH": str(tmp_path / "instance")})
    return subprocess.Popen([sys.executable, "-m", "web.cli", "db-upgrade"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_db_upgrade_upgrades_an_empty_database_and_then_says_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    first = db_upgrade(url, tmp_path)
    out = first.communicate(timeout=120)[0]
    assert first.returncode == 0, out
    assert f"from empty to {head()}" in out
    engine = make_engine(url)
    assert migrate.current(engine) == head()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    again = db_upgrade(url, tmp_path)
    out = again.communicate(timeout=120)[0]
    assert again.returncode == 0 and f"newest schema ({head()})" in out, out


def _race(url: str, tmp_path: Path, processes: int = 3) -> list[str]:
    started = [db_upgrade(url, tmp_path) for _ in range(processes)]
    outputs = [p.communicate(timeout=180)[0] for p in started]
    assert [p.returncode for p in started] == [0] * processes, outputs
    return outputs


def test_processes_starting_at_once_migrate_one_at_a_time_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    outputs = _race(url, tmp_path)
    assert sum("from empty" in out for out in outputs) == 1, outputs
    assert migrate.current(make_engine(url)) == head()


def test_processes_starting_at_once_migrate_one_at_a_time_on_postgresql(pg_database, tmp_path):
    outputs = _race(pg_database, tmp_path)
    assert sum("from empty" in out for out in outputs) == 1, outputs
    assert migrate.current(make_engine(pg_database)) == head()
