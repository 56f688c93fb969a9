"""Schema migrations: ``upgrade(engine)`` brings a database to the newest Alembic revision.

Alembic is driven from code (no alembic.ini) so that the app, the CLI and the tests all migrate
the same way: ``python -m web.cli db upgrade`` or automatically when the app starts.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


#: The PostgreSQL advisory lock that serialises migrations (any fixed 64-bit number).
LOCK_KEY = 0x6275757274726F75  # "buurtrou"


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Migrate to ``revision``, one process at a time.

    Several processes start at once (a web server and its worker, several workers): each
    migrates on start. PostgreSQL: a transaction-scoped advisory lock makes the second wait
    for the first, which then finds nothing to do. SQLite: an exclusive lock on a file next to
    the database does the same (SQLite's own locking would let the second fail instead).
    Answers the revision the database was at, read under the lock (None: empty)."""
    from alembic.runtime.migration import MigrationContext

    config = alembic_config()
    with _file_lock(engine), engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a table rebuild drops the old table: no cascade, checked below instead
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": LOCK_KEY})
                before = MigrationContext.configure(connection).get_current_revision()
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows pointing at nothing")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
    return before


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: empty)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    path = f"{database}.migrate-lock"  # private like the database it sits beside
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision from the models (for developers changing web/store.py)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
