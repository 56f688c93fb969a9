"""A live Redis server for the tests that prove planning workers share a Redis queue.

``redis_url`` (one per test session) is a throwaway ``redis-server`` on a free loopback port
(``tests.servers.ThrowawayRedis``: no persistence, its working folder in a temporary
directory); stopped when the session ends. Without the binary the tests FAIL, saying what to
install (as :mod:`tests.pg_fixtures` does for PostgreSQL): a skipped test would hide exactly
the multi-worker behaviour it is for.
"""

from __future__ import annotations

import pytest

from tests.servers import ServerMissing, ThrowawayRedis

__all__ = ["redis_url"]


@pytest.fixture(scope="session")
def redis_url():
    """``redis://127.0.0.1:<port>/0`` of a fresh server, for the whole test session."""
    try:
        server = ThrowawayRedis()
    except ServerMissing as exc:
        pytest.fail(str(exc))
    try:
        try:
            url = server.start()
        except RuntimeError as exc:
            pytest.fail(str(exc))
        yield url
    finally:
        server.stop()
