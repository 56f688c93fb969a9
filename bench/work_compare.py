"""Buurtroute's plans of the demo days at a fixed count of work, over solver seeds.

The machine this runs on is shared, so variants of the solver are compared at the same counted
work (``SolveParams.work_limit``), never the same wall time: ``--seconds`` instead runs timed
and prints the work each run reached (``plan.stats["work"]``), to pick the counts to compare at.
One JSON line per run (day, seed, planned, penalty, travel minutes, key), then mean/min/max;
``--out`` also writes them to a JSON file (under bench/results/).

``python bench/work_compare.py --orders 100 --day relaxed --work 900000 --seeds 1 2 3``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from day_peers import figures, relaxed, spread  # noqa: E402

from routing.area import load_area  # noqa: E402
from routing.demo import demo_day, demo_problem  # noqa: E402
from routing.solver import SolveParams, solve  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/work_compare.py")
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--day", choices=["full", "relaxed"], default="relaxed")
    parser.add_argument("--work", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    area = load_area("helsinki-demo")
    full, _stops = demo_problem(area, demo_day(area, args.orders, 3, 1))
    problem = full if args.day == "full" else relaxed(full)
    rows = []
    for s in args.seeds:
        t0 = time.monotonic()
        if args.work:
            plan = solve(problem, SolveParams(time_limit=600, work_limit=args.work, random_seed=s))
        else:
            plan = solve(problem, SolveParams(time_limit=args.seconds or 3.0, random_seed=s))
        f = figures(problem, plan, time.monotonic() - t0)
        row = {"orders": args.orders, "day": args.day, "seed": s, "valid": f["valid"], "planned": f["planned"],
               "penalty": f["penalty"], "travel_min": f["travel_min"], "work": plan.stats.get("work"),
               "seconds": f["seconds"], "key": plan.stats["key"], "chosen": plan.stats["chosen"]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    over = spread(rows)
    for name in ("travel_min", "penalty", "planned"):
        print(f"{name}: mean {over[name]['mean']} min {over[name]['min']} max {over[name]['max']}")
    print("all valid:", over["valid"] == over["seeds"])
    if args.out:
        Path(args.out).write_text(json.dumps({"area": "helsinki-demo", "runs": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
