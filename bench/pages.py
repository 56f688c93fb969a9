"""Page weight and server time of the two pages used all day: the coordinator's day (three
planned rounds of the demo day) and an assistant's round (Anna's), before and after a change.

Each page is served by the app in this process (Flask's test client: the server's own time,
without a network), ``--repeat`` times after one warm-up; the figures are the HTML bytes and
the median and best server time. "before" is the same measurement on another checkout of the
code (``--before-tree``, e.g. ``git archive bfb27f8 | tar -x -C /tmp/before``), run in a child
process with that tree first on ``sys.path``; the demo day, the area and the clock are the same.

    .venv/bin/python bench/pages.py --before-tree /tmp/before [--repeat 7]

Writes ``bench/results/pages.json`` and prints before beside after; no timed assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
TREE = Path(os.environ.get("BENCH_TREE") or HERE.parent)
sys.path.insert(0, str(TREE))

DAY = date(2025, 3, 14)  # a Friday: the demo day, pinned so both runs plan the same day
PAGES = {"coordinator_day": ("coordinator", f"/coordinator/?date={DAY.isoformat()}"),
         "assistant_round": ("anna", "/assistant/")}


def measure(repeat: int) -> dict:
    """Seed, plan and serve both pages with the code of ``TREE``."""
    import re

    from tests.browser_fixtures import PASSWORD, seed_database
    from web import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    database, _accounts = seed_database(folder, DAY)
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench",
                      "AREA": "helsinki-demo", "TODAY": DAY, "NOW": "10:00",
                      "QUEUE": "immediate", "INSTANCE_PATH": str(folder / "instance"),
                      "REQUEST_LOG": False})
    token = re.compile(r'name="csrf_token" value="([^"]+)"')

    def client_for(username: str):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token.search(page)[1]})
        return client

    coordinator = client_for("coordinator")
    page = coordinator.get(PAGES["coordinator_day"][1]).get_data(as_text=True)
    coordinator.post("/coordinator/plan", data={"service_date": DAY.isoformat(),
                                                "csrf_token": token.search(page)[1]})
    out = {}
    for name, (username, path) in PAGES.items():
        client = coordinator if username == "coordinator" else client_for(username)
        response = client.get(path)  # warm-up: the area's street paths are cached after it
        assert response.status_code == 200, (name, response.status_code)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = {"html_bytes": len(response.get_data()),
                     "server_ms_median": round(statistics.median(times), 1),
                     "server_ms_best": round(min(times), 1), "repeat": repeat}
    app.extensions["buurtroute.engine"].dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before-tree", type=Path, help="a checkout of the code to compare")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat)))
        return
    result = {"day": DAY.isoformat(), "after": measure(args.repeat)}
    if args.before_tree:
        child = subprocess.run(
            [sys.executable, __file__, "--child", "--repeat", str(args.repeat)],
            env={**os.environ, "BENCH_TREE": str(args.before_tree.resolve())},
            cwd=args.before_tree, capture_output=True, text=True, check=True)
        result["before"] = json.loads(child.stdout.strip().splitlines()[-1])
        result["before_tree"] = str(args.before_tree)
    for name in PAGES:
        after = result["after"][name]
        before = result.get("before", {}).get(name)
        line = f"{name:16} after: {after['html_bytes']:>8,} B {after['server_ms_median']:>7} ms"
        if before:
            line += (f"   before: {before['html_bytes']:>8,} B {before['server_ms_median']:>7} ms"
                     f"   ({after['html_bytes'] / before['html_bytes']:.0%} of the bytes)")
        print(line)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "pages.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
