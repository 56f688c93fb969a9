"""``bench/scale.py`` in a tiny mode, against the live PostgreSQL and Redis of the tests: two
cooperatives planned by one worker process, five seconds of open-loop intake at 4 orders/s
into two gunicorn web processes (as ``compose.yaml`` runs the web).

What is asserted is the benchmark's accounting, never its speed: every cooperative's day has
exactly one plan and no run failed, and every acknowledged order is in the database exactly
once — counted there, not taken from the clients' word.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.browser_fixtures import ROOT
from tests.redis_fixtures import redis_url  # noqa: F401 (fixture by name)


def test_the_scale_bench_accounts_for_every_plan_and_order(tmp_path, pg_server, redis_url):
    out = tmp_path / "scale.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--orgs", "2", "--orders", "20,30",
         "--workers", "1", "--web-processes", "2", "--rate", "4", "--seconds", "5",
         "--partners", "6", "--threads", "4", "--work-limit", "20000", "--pg-url", pg_server.url("postgres"),
         "--redis-url", redis_url, "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())

    assert [c["orders"] for c in result["cooperatives"]] == [20, 30]
    (round_,) = result["planning"]
    assert round_["workers"] == 1 and round_["days"] == 2
    assert (round_["planned"], round_["planned_twice"], round_["not_planned"],
            round_["failed_runs"]) == (2, 0, 0, 0)
    assert round_["plans_per_worker"] == [2]
    assert round_["peak_rss_mb_per_worker"][0] > 0 and round_["worker_vmhwm_mb"][0] > 0

    (intake,) = result["intake"]
    assert intake["web_processes"] == 2 and intake["server"].startswith("gunicorn --workers 2")
    assert len(intake["web_cpu_s_per_process"]) == 3  # the master and its two workers
    assert intake["partners"] == 6 and intake["sent"] == 20
    assert intake["statuses"] == {"201": 20}
    assert intake["acknowledged"] == intake["stored"] == 20
    assert (intake["lost"], intake["duplicated"], intake["stored_not_acknowledged"],
            intake["gave_up"]) == (0, 0, 0, 0)
    assert {t["what"] for t in result["targets"]} >= {"2 web processes: intake lost / duplicated"}
    assert "target" in done.stdout and "load average" in done.stdout


def test_more_workers_are_compared_with_fewer_within_each_round():
    """A slow spell of the machine in one round weighs on both sides of that round's ratio: the
    pairing is by round, not by sorted throughput."""
    from bench.scale import pair

    two = [{"workers": 2, "plans_per_minute": x} for x in (40.0, 30.0, 42.0)]
    four = [{"workers": 4, "plans_per_minute": x} for x in (41.0, 31.5, 40.0)]
    p = pair(two, four)
    assert p["workers"] == [2, 4] and p["rounds"] == 3
    assert p["ratios"] == [0.952, 1.025, 1.05]
    assert p["median"] == 1.025 and p["rounds_not_slower"] == 2
