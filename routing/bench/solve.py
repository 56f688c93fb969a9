"""``python -m routing.bench solve PATH --seconds S``: solve one Solomon or Li & Lim file.

Prints one JSON line: instance, distance (the instance's own units, recomputed from the routes
with exact Euclidean distances), vehicles, feasible (checked exactly by
:func:`routing.instances.evaluate` *and* by the plan checker), seconds (wall clock, reading
included), plus the engine used and how many customers were left out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .. import instances
from ..solver import SolveParams, solve


def run(path: str, seconds: float, engine: str = "auto", vehicle_first: bool | None = None,
        seed: int = 0) -> dict[str, Any]:
    t0 = time.monotonic()
    inst = instances.read(path)
    problem = instances.to_problem(inst, vehicle_first=vehicle_first)
    left = max(0.05, seconds - (time.monotonic() - t0))
    plan = solve(problem, SolveParams(time_limit=left, seed="none" if engine == "ortools" else "auto",
                                      random_seed=seed))
    ev = instances.evaluate(inst, instances.plan_routes(plan))
    return {"instance": inst.name, "distance": round(ev.distance, 4), "vehicles": ev.vehicles,
            "feasible": ev.feasible and plan.feasible, "seconds": round(time.monotonic() - t0, 3),
            "engine": plan.stats.get("engine"), "unplanned": len(plan.unplanned),
            # PyVRP's own objective (distance + any fixed vehicle cost), to see what OR-Tools added
            "seed_objective": plan.stats["seed_cost"] / 1000 if plan.stats.get("seed_cost") else None,
            "objective": plan.cost / 1000,
            # PyVRP iterations: how much search the time bought (machine load shows here)
            "seed_iterations": plan.stats.get("seed_iterations_done"),
            "customers": inst.customers}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m routing.bench solve", description=__doc__.split("\n")[0])
    ap.add_argument("path", help="a Solomon or Li & Lim instance file")
    ap.add_argument("--seconds", type=float, default=1.0, help="time limit, wall clock (default 1)")
    ap.add_argument("--engine", choices=("auto", "ortools"), default="auto",
                    help="auto: PyVRP seeds OR-Tools; ortools: OR-Tools alone")
    ap.add_argument("--objective", choices=("auto", "distance", "vehicles"), default="auto",
                    help="distance-first, vehicle-first, or auto (Li & Lim vehicle-first)")
    ap.add_argument("--seed", type=int, default=0, help="random seed")
    args = ap.parse_args(argv)
    vf = {"auto": None, "distance": False, "vehicles": True}[args.objective]
    try:
        out = run(args.path, args.seconds, args.engine, vf, args.seed)
    except (OSError, instances.InstanceError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out))
    return 0
