"""A realistic day on the area's real streets: solve time and the plan's totals.

``python -m routing.bench day --orders 100 --assistants 3 --seconds 10`` builds the demo day
(:mod:`routing.demo`), its matrices and plan, and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

from ..area import load_area
from ..demo import demo_day, demo_problem
from ..solver import SolveParams, solve


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing.bench day")
    parser.add_argument("--orders", type=int, default=60)
    parser.add_argument("--assistants", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--area", default=None)
    args = parser.parse_args(argv)
    area = load_area(args.area)
    day = demo_day(area, args.orders, args.assistants, args.seed)
    start = time.perf_counter()
    problem, stops = demo_problem(area, day)
    matrix_seconds = time.perf_counter() - start
    plan = solve(problem, SolveParams(time_limit=args.seconds, random_seed=args.seed))
    routes = {r.assistant_id: r.totals(problem) for r in plan.routes}
    finishes = [t["finish"] for t in routes.values() if t["stops"]]
    print(json.dumps({
        "area": area.name, "orders": args.orders, "assistants": args.assistants,
        "points": len(stops), "matrix_seconds": round(matrix_seconds, 3),
        "solve_seconds": plan.stats.get("seconds"), "feasible": plan.feasible,
        "planned": sum(r.stops for r in plan.routes), "unplanned": len(plan.unplanned),
        "unplanned_codes": sorted({u.code for u in plan.unplanned}),
        "finish_spread_min": round((max(finishes) - min(finishes)) / 60, 1) if finishes else 0,
        "routes": routes,
    }))
    return 0
