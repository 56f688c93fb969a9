"""A live Redis server for the tests that prove planning workers share a Redis queue.

``redis_url`` (one per test session) is a throwaway ``redis-server`` on a free loopback port,
with no persistence (``--save '' --appendonly no``) and its working folder in a temporary
directory; stopped when the session ends. Without the binary the tests FAIL, saying what to
install (as :mod:`tests.pg_fixtures` does for PostgreSQL): a skipped test would hide exactly
the multi-worker behaviour it is for.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.browser_fixtures import HOST, free_port

__all__ = ["redis_url"]
INSTALL = ("redis-server is needed for these tests (planning workers on a Redis queue): "
           "`apt-get install redis-server` (Debian/Ubuntu) or put redis-server on PATH.")


def _binary() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
         if Path(p).exists()), None)


@pytest.fixture(scope="session")
def redis_url():
    """``redis://127.0.0.1:<port>/0`` of a fresh server, for the whole test session."""
    import redis

    binary = _binary()
    if binary is None:
        pytest.fail(INSTALL)
    folder = Path(tempfile.mkdtemp(prefix="buurtroute-redis-"))
    port = free_port()
    log = open(folder / "redis.log", "ab")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--protected-mode", "yes"],
        stdout=log, stderr=subprocess.STDOUT)
    log.close()
    url = f"redis://{HOST}:{port}/0"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"redis-server exited with {process.returncode}: "
                            f"{(folder / 'redis.log').read_text()[-2000:]}")
            try:
                if redis.Redis.from_url(url, socket_timeout=1).ping():
                    break
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not answer within 30 s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
