"""Areas benchmark: what one more area costs a process. Writes ``bench/results/areas.json``.

    .venv/bin/python bench/areas.py [--repeat 3]

For every area whose extract is on this machine (offline: the Helsinki and Karhula demo
extracts), each in fresh processes on an empty cache folder:

- cold: ``load_area`` builds the area from its OSM extract and writes the disk cache;
- warm: a new process loads it from the disk cache;
- hot: the same process asks again (from memory);
- MB: the memory the cache counts for the area (``routing.area.growth_mb``: what a process
  gains by loading and routing another copy of it, measured once per cache file), beside the
  pickle's size.

Then, for each pair of areas, a fresh process serving one area loads and routes the other: its
resident growth is printed beside the other's figure, to show the figure is what one more area
costs a process that serves areas already. Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

LOAD = """
import json, sys, time
import routing.area as A
start = time.perf_counter(); A.load_area(sys.argv[1]); first = time.perf_counter() - start
start = time.perf_counter(); A.load_area(sys.argv[1]); hot = time.perf_counter() - start
(loaded,) = A.AREAS.loaded()
print(json.dumps({"source": loaded.source, "seconds": loaded.seconds, "hot_seconds": hot,
                  "mb": loaded.mb}))
"""

BESIDE = """
import gc, json, sys
import routing.area as A
A._routed(sys.argv[1])
gc.collect(); before = A._rss_mb()
A._routed(sys.argv[2])
gc.collect()
print(json.dumps({"rss_growth_mb": A._rss_mb() - before}))
"""


def run(code: str, args: list[str], cache: Path) -> dict:
    env = {**os.environ, "BUURTROUTE_AREA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(name: str, repeat: int) -> dict:
    cold, warm, hot, mbs, pickle_mb = [], [], [], [], 0.0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            cache = Path(folder)
            built = run(LOAD, [name], cache)
            again = run(LOAD, [name], cache)
            assert (built["source"], again["source"]) == ("built", "disk"), (built, again)
            cold.append(built["seconds"])
            warm.append(again["seconds"])
            hot.append(again["hot_seconds"])
            mbs.append(built["mb"])
            pickle_mb = sum(p.stat().st_size for p in cache.glob("*.pickle")) / 2**20
    row = {"area": name, "cold_build_s": round(statistics.median(cold), 3),
           "warm_disk_s": round(statistics.median(warm), 3),
           "hot_memory_us": round(statistics.median(hot) * 1e6, 1),
           "mb": round(statistics.median(mbs), 1), "mb_runs": mbs,
           "pickle_mb": round(pickle_mb, 2)}
    print(f"{name:<14} cold {row['cold_build_s']:6.2f} s   warm {row['warm_disk_s']:5.2f} s   "
          f"hot {row['hot_memory_us']:5.1f} µs   {row['mb']:5.1f} MB in memory "
          f"(runs {mbs}) vs {row['pickle_mb']:.2f} MB pickled", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from routing.area import AREAS_DIR, extract_available

    names = [p.stem for p in sorted(AREAS_DIR.glob("*.toml")) if extract_available(p.stem)]
    rows = [measure(name, args.repeat) for name in names]
    counted = {row["area"]: row["mb"] for row in rows}
    beside = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            run(LOAD, [name], Path(folder))  # the disk cache in place
        for first in names:
            for then in names:
                if then != first:
                    growth = statistics.median(run(BESIDE, [first, then], Path(folder))
                                               ["rss_growth_mb"] for _ in range(args.repeat))
                    beside.append({"serving": first, "then_loads": then,
                                   "rss_growth_mb": round(growth, 1), "counted_mb": counted[then]})
                    print(f"a process serving {first} loads {then}: resident growth "
                          f"{growth:.1f} MB vs {counted[then]} MB counted by the cache", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "areas.json").write_text(json.dumps(
        {"repeat": args.repeat, "cpu_count": os.cpu_count(), "areas": rows,
         "one_more_area": beside,
         "mb_means": "what a process gains by loading another copy of the area from the disk "
                     "cache and routing once per mode: the larger of its resident growth and "
                     "Python's traced allocations (routing.area.growth_mb)"}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
