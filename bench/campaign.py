"""A six-week house-call campaign in the slack of real rounds (issue 15).

Every door of one demo district (Kluuvi, the area's own address data) is the campaign; the
days are the demo days the web app seeds (70 orders, three assistants; a different seeded day
for each weekday, Monday to Friday), each planned once by the solver. For 30 working days the
campaign's due doors are put into each day's plan by ``routing.housecalls.insert`` and the
independent checker holds every day with its calls. What a door answers is simulated with a
fixed seed: more people open later in the day (30 % in the morning, 40 % around noon, 55 %
in the afternoon); of those who open, a third talk a while, some only open, a few are not
interested or ask to come back later. A door reached is not rung again within 42 days, "not
interested" ends the campaign for it.

Figures (``bench/results/campaign.json``), with what they are measured against:

* per week: house calls, doors reached for the first time, doors reached so far (share of the
  district), talked to, and the share of the rounds' slack the calls used (travel and time at
  the door, out of the idle time of the rounds before the calls);
* ``orders_displaced`` (must be 0): order stops whose assistant, place in the round or start
  changed, and orders planned or left out differently, over all 30 days;
* ``checker_violations`` (must be 0);
* ``reached_door_rung_again_within_interval``, ``rung_after_not_interested``,
  ``rung_twice_a_day`` (all must be 0); ``retries_at_a_part_of_day_tried_before`` (0 until
  every part was tried); ``doors_tried_again_on_another_weekday`` (share);
* beside them, Apeldoorn's figure from the seeds: more than 10 000 doors in five years by
  dedicated house-call rounds, about 38 a week.

    .venv/bin/python bench/campaign.py [--district Kluuvi] [--weeks 6] [--seed 7]

No timed assertion; the exit code says only whether the bench ran.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routing import housecalls  # noqa: E402
from routing.area import load_area  # noqa: E402
from routing.check import check  # noqa: E402
from routing.demo import demo_day, demo_problem  # noqa: E402
from routing.housecalls import Attempt, Door  # noqa: E402
from routing.solver import SolveParams, solve  # noqa: E402

INTERVAL = 42
HOME = {"morning": 0.30, "midday": 0.40, "afternoon": 0.55}
ANSWERS = ["talked", "talked", "opened", "opened", "not_interested", "come_back"]
APELDOORN_PER_WEEK = round(10_000 / (5 * 52))
START = date(2026, 11, 30)  # a Monday


def planned_day(area, seed: int, district: str):
    """One demo day planned, with the district's doors added to its matrices."""
    problem, stops = demo_problem(area, demo_day(area, orders=70, assistants=3, seed=seed))
    plan = solve(problem, SolveParams(time_limit=30, work_limit=150_000, seed_iterations=1000,
                                      advice=False))
    points = list(stops.points)
    doors = []
    for label in area.geocoder.labels():
        point = area.geocoder.lookup(label)
        if point.buurt == district:
            doors.append(Door(label, len(points), label))
            points.append((point.lat, point.lon))
    matrices = {m: area.matrix(points, m) for m in problem.durations}
    extended = housecalls.with_doors(
        problem, {m: np.ceil(t.seconds).astype(np.int64) for m, t in matrices.items()},
        {m: t.metres for m, t in matrices.items()})
    return extended, plan, doors


def displaced(plan, after) -> int:
    def stops(p):
        return {r.assistant_id: [(v.order_id, v.action, v.start) for v in r.visits
                                 if not v.order_id.startswith(housecalls.CALL_PREFIX)]
                for r in p.routes}
    before, now = stops(plan), stops(after)
    moved = sum(len(set(before[a]) ^ set(now[a])) for a in before)
    return moved + len({u.order_id for u in plan.unplanned}
                       ^ {u.order_id for u in after.unplanned})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--district", default="Kluuvi")
    parser.add_argument("--weeks", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    area = load_area("helsinki-demo")
    started = time.perf_counter()
    days = [planned_day(area, seed, args.district) for seed in range(1, 6)]
    plan_seconds = time.perf_counter() - started
    rng = random.Random(args.seed)
    history: dict[str, list[Attempt]] = {d.id: [] for d in days[0][2]}
    weeks, totals = [], Counter()
    reached_ever: set[str] = set()
    insert_seconds = []
    for week in range(args.weeks):
        w = Counter()
        for weekday in range(5):
            today = START + timedelta(days=7 * week + weekday)
            problem, plan, doors = days[weekday]
            due = [Door(d.id, d.location, d.label, tuple(history[d.id])) for d in doors
                   if housecalls.due(Door(d.id, d.location, d.label, tuple(history[d.id])),
                                     today, INTERVAL)]
            t = time.perf_counter()
            result = housecalls.insert(problem, plan, due, today)
            insert_seconds.append(time.perf_counter() - t)
            totals["checker_violations"] += len(check(result.problem, result.plan))
            totals["orders_displaced"] += displaced(plan, result.plan)
            slack = housecalls.slack(problem, plan)
            w["slack_seconds"] += slack
            w["used_seconds"] += slack - housecalls.slack(result.problem, result.plan)
            for call in result.calls:
                part = call.part
                if rng.random() < HOME[part]:
                    outcome = rng.choice(ANSWERS)
                else:
                    outcome = "rung"
                history[call.door_id].append(Attempt(today, call.start, outcome))
                w["house_calls"] += 1
                w[f"part:{part}"] += 1
                if outcome in housecalls.REACHED:
                    w["talked"] += outcome == "talked"
                    if call.door_id not in reached_ever:
                        w["doors_reached_first_time"] += 1
                        reached_ever.add(call.door_id)
        weeks.append({
            "week": week + 1, "house_calls": w["house_calls"],
            "doors_reached_first_time": w["doors_reached_first_time"],
            "doors_reached_so_far": len(reached_ever),
            "share_of_district_reached": round(len(reached_ever) / len(history), 3),
            "talked": w["talked"],
            "by_part_of_day": {p: w[f"part:{p}"] for p in HOME},
            "slack_minutes": round(w["slack_seconds"] / 60),
            "slack_used_minutes": round(w["used_seconds"] / 60),
            "share_of_slack_used": round(w["used_seconds"] / w["slack_seconds"], 3)
            if w["slack_seconds"] else 0.0})
    rules = Counter()
    tried_again = other_weekday = 0
    for _door_id, attempts in history.items():
        days_ = [a.day for a in attempts]
        rules["rung_twice_a_day"] += len(days_) - len(set(days_))
        since: list[str] = []
        for i, a in enumerate(attempts):
            later = attempts[i + 1:]
            if a.outcome in housecalls.REACHED:
                rules["reached_door_rung_again_within_interval"] += sum(
                    b.day < a.day + timedelta(days=INTERVAL) for b in later)
                since = []
            if a.outcome == "not_interested":
                rules["rung_after_not_interested"] += len(later)
            part = housecalls.part_of(a.at)
            if a.outcome not in housecalls.REACHED:
                if part in since and len(set(since)) < len(HOME):
                    rules["retries_at_a_part_of_day_tried_before"] += 1
                since.append(part)
        if len(attempts) > 1:
            tried_again += 1
            other_weekday += len({a.day.weekday() for a in attempts}) > 1
    result = {
        "district": args.district, "doors": len(history), "weeks": args.weeks,
        "working_days": 5 * args.weeks, "orders_per_day": 70, "assistants": 3,
        "min_interval_days": INTERVAL, "answer_model": HOME, "seed": args.seed,
        "per_week": weeks,
        "house_calls": sum(w["house_calls"] for w in weeks),
        "doors_reached": len(reached_ever),
        "share_of_district_reached": round(len(reached_ever) / len(history), 3),
        "share_of_slack_used": round(sum(w["slack_used_minutes"] for w in weeks)
                                     / max(1, sum(w["slack_minutes"] for w in weeks)), 3),
        "orders_displaced": totals["orders_displaced"],
        "checker_violations": totals["checker_violations"],
        **{k: rules[k] for k in ("reached_door_rung_again_within_interval",
                                 "rung_after_not_interested", "rung_twice_a_day",
                                 "retries_at_a_part_of_day_tried_before")},
        "doors_tried_more_than_once": tried_again,
        "doors_tried_again_on_another_weekday": round(other_weekday / tried_again, 3)
        if tried_again else None,
        "insert_seconds_p50": round(float(np.median(insert_seconds)), 3),
        "insert_seconds_max": round(max(insert_seconds), 3),
        "planning_seconds_five_days": round(plan_seconds, 1),
        "compare": {"apeldoorn_doors_per_week": APELDOORN_PER_WEEK,
                    "note": "Apeldoorn: dedicated house-call rounds; here only the slack of "
                            "full delivery rounds"},
    }
    out = ROOT / "bench" / "results" / "campaign.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"campaign over {args.district}: {len(history)} doors, {args.weeks} weeks, "
          f"70 orders a day, 3 assistants")
    print(f"{'week':>4} {'calls':>6} {'new':>4} {'reached':>8} {'talked':>7} "
          f"{'slack min':>10} {'used':>6}   (Apeldoorn ≈ {APELDOORN_PER_WEEK} doors/week)")
    for w in weeks:
        print(f"{w['week']:>4} {w['house_calls']:>6} {w['doors_reached_first_time']:>4} "
              f"{w['doors_reached_so_far']:>8} {w['talked']:>7} {w['slack_minutes']:>10} "
              f"{w['share_of_slack_used']:>6.0%}")
    for key in ("orders_displaced", "checker_violations",
                "reached_door_rung_again_within_interval", "rung_after_not_interested",
                "rung_twice_a_day", "retries_at_a_part_of_day_tried_before"):
        print(f"{key}: {result[key]} (must be 0)")
    print(f"doors tried again on another weekday: {result['doors_tried_again_on_another_weekday']}"
          f" of {tried_again}; slack used overall {result['share_of_slack_used']:.0%}")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
