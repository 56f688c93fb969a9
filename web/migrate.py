"""Schema migrations: ``upgrade(engine)`` brings a database to the newest Alembic revision.

Alembic is driven from code (no alembic.ini) so that the app, the CLI and the tests all migrate
the same way: ``python -m web.cli db upgrade`` or automatically when the app starts.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def revision(url: str, message: str) -> None:
    """Autogenerate a new revision from the models (for developers changing web/store.py)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
