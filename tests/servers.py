"""Live PostgreSQL and Redis servers, for the tests (through ``tests/pg_fixtures.py`` and
``tests/redis_fixtures.py``) and for the benchmarks (``bench/scale.py``, ``bench/load.py``).

No pytest here: a server that cannot be started raises :class:`ServerMissing` saying what to
install; the fixtures turn that into a failed test, a benchmark into its exit message.

- PostgreSQL: :func:`external_pg` for a server named by a URL, or a :class:`ThrowawayCluster`:
  ``initdb`` into a temporary folder, ``pg_ctl start`` listening on a unix socket in that
  folder only (no TCP port), no fsync, trust authentication; as root it runs as an
  unprivileged user (``postgres`` or ``nobody``), since PostgreSQL refuses to run as root.
- Redis: a :class:`ThrowawayRedis` on a free loopback port, no persistence, its working
  folder in a temporary directory.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from tests.browser_fixtures import HOST, free_port

PG_INSTALL = ("PostgreSQL is needed: set BUURTROUTE_TEST_PG_URL to a server "
              "(postgresql://user@host/postgres, a user allowed to CREATE DATABASE), or install "
              "the server binaries so a throwaway cluster can be started: "
              "`apt-get install postgresql` (Debian/Ubuntu; initdb and pg_ctl from "
              "/usr/lib/postgresql/<version>/bin are found on their own).")
REDIS_INSTALL = ("redis-server is needed (planning workers on a Redis queue): "
                 "`apt-get install redis-server` (Debian/Ubuntu) or put redis-server on PATH.")


class ServerMissing(RuntimeError):
    """No server, and none could be started; the message says what to install or set."""


@dataclass
class PgServer:
    """A server the caller may create and drop databases on."""

    admin: URL  # a URL to the maintenance database, as a user who may CREATE DATABASE
    origin: str  # where it came from: an environment variable's name or a cluster's folder

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
        """Drop ``name``, ending connections left open (e.g. a planner thread's)."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def external_pg(url: str, origin: str) -> PgServer:
    """The server at ``url`` (``postgres://`` and ``postgresql://`` are taken as psycopg 3),
    checked to answer."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            url = "postgresql+psycopg://" + url.removeprefix(plain)
    server = PgServer(make_url(url), origin)
    try:
        server.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 (any connection problem is reported as such)
        raise ServerMissing(f"{origin} is set but its server does not answer: {exc}") from exc
    return server


def _pg_binaries() -> tuple[str, str] | None:
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
    raise ServerMissing("running as root, PostgreSQL refuses root, and no unprivileged user "
                        "(postgres, nobody) with runuser/setpriv was found. " + PG_INSTALL)


class ThrowawayCluster:
    """initdb + pg_ctl in a temporary folder; the socket is in that folder, no TCP."""

    def __init__(self, max_connections: int = 60) -> None:
        binaries = _pg_binaries()
        if binaries is None:
            raise ServerMissing("no PostgreSQL server: no URL is set and initdb is not "
                                "installed. " + PG_INSTALL)
        self.initdb, self.pg_ctl = binaries
        self.max_connections = max_connections
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
                   "-c synchronous_commit=off -c full_page_writes=off "
                   f"-c max_connections={self.max_connections}")
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


def _redis_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
         if Path(p).exists()), None)


class ThrowawayRedis:
    """``redis-server`` on a free loopback port, no persistence; ``start()`` answers its URL
    (``redis://127.0.0.1:<port>/0``) once it answers PING."""

    def __init__(self) -> None:
        self.binary = _redis_binary()
        if self.binary is None:
            raise ServerMissing(REDIS_INSTALL)
        self.folder = Path(tempfile.mkdtemp(prefix="buurtroute-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> str:
        import redis

        port = free_port()
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(port), "--bind", HOST, "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "yes"],
                stdout=log, stderr=subprocess.STDOUT)
        url = f"redis://{HOST}:{port}/0"
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}: "
                                   f"{(self.folder / 'redis.log').read_text()[-2000:]}")
            try:
                if redis.Redis.from_url(url, socket_timeout=1).ping():
                    return url
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def children_by_parent() -> dict[int, list[int]]:
    """Parent pid → child pids, for every process (from /proc/<pid>/stat): a worker's forked
    solves, a server's processes."""
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):  # ended while listed
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def consumers_waiting(url: str, count: int, timeout: float = 90) -> None:
    """Wait until ``count`` worker processes block on the Redis queue (a worker takes some
    seconds to import the planner; a burst sent before would all go to the first one)."""
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    try:
        while sum(c.get("cmd") in ("brpop", "blpop", "bzpopmin")
                  for c in client.client_list()) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {count} workers on the queue after "
                                   f"{timeout:.0f} s")
            time.sleep(0.1)
    finally:
        client.close()
