"""`make bench`: every benchmark, figures printed and written to bench/results/*.json.

Each measurement runs in its own process so that one does not warm up another.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def run_json(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "routing.bench", *args], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    line = out.strip().splitlines()[-1]
    print(line, flush=True)
    return json.loads(line)


def matrix() -> None:
    rows = [run_json("matrix", "--points", str(n), "--mode", mode)
            for mode in ("walk", "bike") for n in (100, 500, 1000)]
    baseline = run_json("matrix", "--points", "100", "--mode", "walk", "--baseline", "networkx")
    ours = next(r for r in rows if r["mode"] == "walk" and r["points"] == 100)
    ratio = baseline["seconds"] / ours["seconds"]
    print(f"matrix: 1000×1000 walk {next(r['seconds'] for r in rows if r['mode'] == 'walk' and r['points'] == 1000):.2f} s; "
          f"CSR Dijkstra is {ratio:.0f}× faster than per-pair networkx at 100 points")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "matrix.json").write_text(json.dumps(
        {"runs": rows, "baseline": baseline, "speedup_vs_networkx_100": round(ratio, 1)},
        indent=2) + "\n")


def day() -> None:
    rows = [run_json("day", "--orders", str(n), "--assistants", "3", "--seconds", "10")
            for n in (60, 100, 150)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "day.json").write_text(json.dumps(rows, indent=2) + "\n")


def peers() -> None:
    """The demo days of 60, 100 and 150 orders, full and relaxed, at 3 s and 10 s: Buurtroute,
    PyVRP and VROOM side by side, every plan checked, the seeded searches over seeds 1–8
    (bench/day_peers.py, about 20 minutes)."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "day_peers.py")], cwd=ROOT, check=True)


def liveday() -> None:
    """The demo day played forward with a real worker (about 4 minutes)."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "liveday.py")], cwd=ROOT, check=True)


def solve() -> None:
    """All 112 instances at 1 s and 10 s each (about 25 minutes), and Solomon at 0.4 s, the
    time of VROOM's published +1.63 %."""
    report = str(ROOT / "bench" / "solve_report.py")
    for extra in (["--seconds", "0.4", "--family", "solomon"], ["--seconds", "1"],
                  ["--seconds", "10"]):
        subprocess.run([sys.executable, report, *extra], cwd=ROOT, check=True)


def privacy() -> None:
    """A demo month, erasure and the retention purge: bench/results/privacy.json."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "privacy.py")], cwd=ROOT, check=True)


def service() -> None:
    """Load, faults and the live day against the production WSGI server (loopback); each
    writes its JSON."""
    for script in ("load.py", "faults.py", "liveday.py"):
        subprocess.run([sys.executable, str(ROOT / "bench" / script)], cwd=ROOT, check=True)


def scale() -> None:
    """Twenty cooperatives planned by 1, 2 and 4 workers on Redis and PostgreSQL, then a
    minute of open-loop order intake (bench/scale.py, about half an hour on 2 cores)."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py")], cwd=ROOT, check=True)


if __name__ == "__main__":
    wanted = sys.argv[1:] or ["matrix", "day", "peers", "service", "scale", "privacy", "solve"]
    for name in wanted:
        globals()[name]()
