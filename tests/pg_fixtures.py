"""A live PostgreSQL server for the tests that prove the store runs on it.

``pg_server`` (one per test session) is the server named by ``BUURTROUTE_TEST_PG_URL`` (a URL
whose user may create databases, e.g. ``postgresql://me@localhost/postgres``), or else a
throwaway cluster (``tests.servers.ThrowawayCluster``: a temporary folder, a unix socket, no
fsync), stopped and removed when the session ends. Without a server and without the
PostgreSQL binaries the tests FAIL, saying what to install: a skipped PostgreSQL test would
hide exactly the gap these tests are for.

Every test gets its own database: ``pg_database`` an empty one, ``pg_app`` a copy (``CREATE
DATABASE ... TEMPLATE``) of the demo day seeded once per session through the app's own
migrations and seeding; each is dropped after the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import PG_INSTALL, ServerMissing, ThrowawayCluster, external_pg

__all__ = ["pg_server", "pg_database", "pg_seeded", "pg_app_factory", "pg_app", "pg_accounts"]
ENV = "BUURTROUTE_TEST_PG_URL"


@pytest.fixture(scope="session")
def pg_server():
    """The live PostgreSQL server of this test session."""
    try:
        external = external_pg(os.environ[ENV], ENV) if os.environ.get(ENV) else None
        cluster = ThrowawayCluster() if external is None else None
    except ServerMissing as exc:
        pytest.fail(str(exc))
    if external is not None:
        yield external
        return
    try:
        try:
            server = cluster.start()
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            pytest.fail(f"the throwaway PostgreSQL cluster did not start: {exc}\n{PG_INSTALL}")
        yield server
    finally:
        cluster.stop()


@pytest.fixture
def pg_database(pg_server):
    """The URL of a new, empty database; dropped after the test."""
    name = pg_server.create()
    yield pg_server.url(name)
    pg_server.drop(name)


@dataclass
class SeededTemplate:
    name: str
    accounts: object  # web.demo.DemoAccounts


@pytest.fixture(scope="session")
def pg_seeded(pg_server, area):
    """A database migrated by the app and seeded with the demo day, kept as a template."""
    from tests.web_fixtures import DAY, PASSWORD, make_app
    from web.db import new_session
    from web.demo import seed

    name = pg_server.create(prefix="buurtroute_seed")
    folder = Path(tempfile.mkdtemp(prefix="buurtroute-pg-app-"))
    try:
        app = make_app(folder, "unused", DATABASE_URL=pg_server.url(name))
        with app.app_context():
            session = new_session()
            accounts = seed(session, area, DAY, password=PASSWORD)
            session.close()
        app.extensions["buurtroute.engine"].dispose()  # a template must have no connections
        yield SeededTemplate(name, accounts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        pg_server.drop(name)


@pytest.fixture
def pg_app_factory(tmp_path, pg_server, pg_seeded):
    """``make(**config)``: the app on a fresh copy of the seeded demo database."""
    from tests.web_fixtures import make_app

    made = []

    def make(**extra):
        name = pg_server.create(template=pg_seeded.name)
        app = make_app(tmp_path / f"app{len(made)}", "unused", DATABASE_URL=pg_server.url(name),
                       **extra)
        made.append((app, name))
        return app

    yield make
    for app, name in made:
        app.extensions["buurtroute.engine"].dispose()
        pg_server.drop(name)


@pytest.fixture
def pg_app(pg_app_factory):
    return pg_app_factory()


@pytest.fixture
def pg_accounts(pg_seeded):
    return pg_seeded.accounts
