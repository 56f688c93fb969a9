"""A live PostgreSQL server for the tests that prove the store runs on it.

``pg_server`` (one per test session) is the server named by ``BUURTROUTE_TEST_PG_URL`` (a URL
whose user may create databases, e.g. ``postgresql://me@localhost/postgres``), or else a
throwaway cluster: ``initdb`` into a temporary folder, ``pg_ctl start`` listening on a unix
socket in that folder only (no TCP port), no fsync, trust authentication; stopped and removed
when the session ends. As root the cluster runs as an unprivileged user (``postgres`` or
``nobody``), since PostgreSQL refuses to run as root. Without a server and without the
PostgreSQL binaries the tests FAIL, saying what to install: a skipped PostgreSQL test would
hide exactly the gap these tests are for.

Every test gets its own database: ``pg_database`` an empty one, ``pg_app`` a copy (``CREATE
DATABASE ... TEMPLATE``) of the demo day seeded once per session through the app's own
migrations and seeding; each is dropped after the test.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

__all__ = ["pg_server", "pg_database", "pg_seeded", "pg_app_factory", "pg_app", "pg_accounts"]
ENV = "BUURTROUTE_TEST_PG_URL"
INSTALL = ("PostgreSQL is needed for these tests: set BUURTROUTE_TEST_PG_URL to a server "
           "(postgresql://user@host/postgres, a user allowed to CREATE DATABASE), or install "
           "the server binaries so a throwaway cluster can be started: "
           "`apt-get install postgresql` (Debian/Ubuntu; initdb and pg_ctl from "
           "/usr/lib/postgresql/<version>/bin are found on their own).")


@dataclass
class PgServer:
    """A server the tests may create and drop databases on."""

    admin: URL  # a URL to the maintenance database, as a user who may CREATE DATABASE
    origin: str  # "BUURTROUTE_TEST_PG_URL" or the throwaway cluster's folder

    def url(self, database: str) -> str:
        """A ``postgresql+psycopg`` URL (as a string, password included) for ``database``."""
        return self.admin.set(database=database).render_as_string(hide_password=False)

    def execute(self, *statements: str) -> None:
        engine = create_engine(self.admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def create(self, template: str | None = None, prefix: str = "buurtroute_test") -> str:
        """A new database (a copy of ``template`` if given); answers its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template
                                                     else ""))
        return name

    def drop(self, name: str) -> None:
        """Drop ``name``, ending connections a test left open (e.g. a planner thread's)."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _binaries() -> tuple[str, str] | None:
    """initdb and pg_ctl: on PATH, or in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb"), shutil.which("pg_ctl")
    if all(found):
        return found  # type: ignore[return-value]
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                     key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0)
    for folder in reversed(folders):
        initdb, pg_ctl = Path(folder, "initdb"), Path(folder, "pg_ctl")
        if initdb.exists() and pg_ctl.exists():
            return str(initdb), str(pg_ctl)
    return None


def _as_user() -> tuple[list[str], str | None]:
    """The command prefix to run the server unprivileged, and that user (None: ourselves)."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], name
        if shutil.which("setpriv"):
            entry = pwd.getpwnam(name)
            return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
                    "--init-groups"], name
    pytest.fail("running as root, PostgreSQL refuses root, and no unprivileged user "
                "(postgres, nobody) with runuser/setpriv was found. " + INSTALL)


class ThrowawayCluster:
    """initdb + pg_ctl in a temporary folder; the socket is in that folder, no TCP."""

    def __init__(self) -> None:
        binaries = _binaries()
        if binaries is None:
            pytest.fail("no PostgreSQL server: BUURTROUTE_TEST_PG_URL is not set and initdb "
                        "is not installed. " + INSTALL)
        self.initdb, self.pg_ctl = binaries
        self.prefix, user = _as_user()
        self.folder = Path(tempfile.mkdtemp(prefix="buurtroute-pg-"))
        self.data = self.folder / "data"
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.folder.chmod(0o700)

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.prefix, *command], capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}"
                               f"\n{tail}")

    def start(self) -> PgServer:
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = (f"-k {self.folder} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "-s", "start")
        admin = URL.create("postgresql+psycopg", username="postgres", database="postgres",
                           query={"host": str(self.folder)})
        return PgServer(admin, str(self.folder))

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "-s",
                          "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _external(url: str) -> PgServer:
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url.removeprefix(plain)
    server = PgServer(make_url(url), ENV)
    try:
        server.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any connection problem is reported as such)
        pytest.fail(f"{ENV} is set but its server does not answer: {exc}")
    return server


@pytest.fixture(scope="session")
def pg_server():
    """The live PostgreSQL server of this test session."""
    if os.environ.get(ENV):
        yield _external(os.environ[ENV])
        return
    cluster = ThrowawayCluster()
    try:
        try:
            server = cluster.start()
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            pytest.fail(f"the throwaway PostgreSQL cluster did not start: {exc}\n{INSTALL}")
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
