"""Solve every benchmark instance at a time limit and compare with the best-known solutions.

    python bench/solve_report.py --seconds 1            # all 112, writes bench/results/solve_1s.json
    python bench/solve_report.py --seconds 10 --only R1 # a subset (name prefix, repeatable)
    python bench/solve_report.py --seconds 1 --engine ortools --out bench/results/solve_1s_ortools.json
    python bench/solve_report.py --seconds 0.4 --family solomon  # one family only

Wall-clock limits make the figures depend on machine load (the machine may be shared): each
result records the load average before and after, and per instance PyVRP's iteration count.

Conventions: the Solomon table is distance-first (vehicles free), so the gap is on distance; the
Li & Lim table is vehicle-first, so vehicles are reported beside distance and the distance gap is
summarised over all instances and over those where we match the BKS vehicle count. Two Solomon
distance-first entries (R109, RC103) lie below the truncated-distance optimum and so cannot be
reached; summaries are also given without them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.bench.solve import run  # noqa: E402

FAMILIES = {"solomon": ("solomon/*.txt", "solomon/bks.csv"), "lilim": ("lilim/100/*.txt", "lilim/bks.csv")}


def bks(path: Path) -> dict[str, tuple[int, float]]:
    with path.open() as f:
        return {r["instance"].lower(): (int(r["vehicles"]), float(r["distance"])) for r in csv.DictReader(f)}


def suspect(data: Path) -> set[str]:
    """Distance-first BKS entries below the truncated-distance optimum: no double-precision plan
    can reach them (truncating arcs only shortens them), so the table value is wrong there."""
    first = bks(data / "solomon" / "bks.csv")
    trunc = bks(data / "solomon" / "bks_dimacs_trunc1.csv")
    return {k for k, (_, d) in first.items() if k in trunc and d < trunc[k][1] - 0.01}


def summary(rows: list[dict]) -> dict:
    gaps = [r["gap_pct"] for r in rows if r["feasible"]]
    sound = [r["gap_pct"] for r in rows if r["feasible"] and not r.get("bks_suspect")]
    same = [r["gap_pct"] for r in rows if r["feasible"] and r["vehicles"] == r["bks_vehicles"]]
    its = [r["seed_iterations"] for r in rows if r.get("seed_iterations")]
    return {
        "instances": len(rows), "feasible": sum(r["feasible"] for r in rows),
        "mean_gap_pct": round(statistics.mean(gaps), 3) if gaps else None,
        "worst_gap_pct": round(max(gaps), 3) if gaps else None,
        "mean_gap_pct_same_vehicles": round(statistics.mean(same), 3) if same else None,
        "suspect_bks": sorted(r["instance"] for r in rows if r.get("bks_suspect")),
        "mean_gap_pct_without_suspect_bks": round(statistics.mean(sound), 3) if sound else None,
        "worst_gap_pct_without_suspect_bks": round(max(sound), 3) if sound else None,
        "vehicles": sum(r["vehicles"] for r in rows), "bks_vehicles": sum(r["bks_vehicles"] for r in rows),
        "instances_with_bks_vehicles": sum(r["vehicles"] == r["bks_vehicles"] for r in rows),
        "instances_with_more_vehicles": sum(r["vehicles"] > r["bks_vehicles"] for r in rows),
        "mean_seconds": round(statistics.mean(r["seconds"] for r in rows), 3) if rows else None,
        "mean_seed_iterations": round(statistics.mean(its)) if its else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--engine", choices=("auto", "ortools"), default="auto")
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "bench")
    ap.add_argument("--only", action="append", default=[], help="instance name prefix (repeatable)")
    ap.add_argument("--family", action="append", choices=sorted(FAMILIES), default=[],
                    help="benchmark family (repeatable; default all)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--summarise", type=Path, help="recompute the summaries of a results file")
    args = ap.parse_args(argv)
    bad = suspect(args.data)
    if args.summarise:
        results = json.loads(args.summarise.read_text())
        for family, part in results["families"].items():
            for r in part["instances"]:
                r["bks_suspect"] = r["instance"].lower() in bad
            part["summary"] = summary(part["instances"])
            print(family, json.dumps(part["summary"]))
        args.summarise.write_text(json.dumps(results, indent=1) + "\n")
        return 0
    out = args.out or ROOT / "bench" / "results" / (
        f"solve_{args.seconds:g}s" + ("" if args.engine == "auto" else f"_{args.engine}") + ".json")
    results: dict = {"seconds": args.seconds, "engine": args.engine, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "load_average_before": [round(x, 2) for x in os.getloadavg()], "families": {}}
    for family, (pattern, table) in FAMILIES.items():
        if args.family and family not in args.family:
            continue
        best = bks(args.data / table)
        rows = []
        for path in sorted(args.data.glob(pattern)):
            if args.only and not any(path.stem.lower().startswith(p.lower()) for p in args.only):
                continue
            r = run(str(path), args.seconds, args.engine)
            bv, bd = best[path.stem.lower()]
            r.update(bks_vehicles=bv, bks_distance=bd, gap_pct=round(100 * (r["distance"] - bd) / bd, 3),
                     bks_suspect=path.stem.lower() in bad)
            rows.append(r)
            print(json.dumps(r), flush=True)
        if rows:
            results["families"][family] = {"summary": summary(rows), "instances": rows}
            print(family, json.dumps(results["families"][family]["summary"]), flush=True)
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
