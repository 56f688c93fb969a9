"""House calls in the slack of real rounds (issue 15), on the demo area: the checker accepts
every day with its calls; no order is pushed out or moved; a door is never rung twice within
the campaign's interval once reached, nor after "not interested", nor twice a day; the time
of day changes over attempts; doors near the route only; and the rules on hand-made
histories."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pytest

from routing import housecalls
from routing.check import check
from routing.demo import demo_day, demo_problem
from routing.housecalls import Attempt, Door
from routing.solver import SolveParams, solve

MONDAY = date(2026, 11, 30)


def solved_day(area, seed: int):
    """A demo day solved, and every door of the area in its matrices, by buurt."""
    problem, stops = demo_problem(area, demo_day(area, orders=60, assistants=3, seed=seed))
    plan = solve(problem, SolveParams(time_limit=2, advice=False))
    assert check(problem, plan) == []
    points = list(stops.points)
    doors: dict[str, list[Door]] = {}
    for label in area.geocoder.labels():
        point = area.geocoder.lookup(label)
        doors.setdefault(point.buurt or "", []).append(Door(label, len(points), label))
        points.append((point.lat, point.lon))
    matrices = {m: area.matrix(points, m) for m in problem.durations}
    extended = housecalls.with_doors(
        problem, {m: np.ceil(t.seconds).astype(np.int64) for m, t in matrices.items()},
        {m: t.metres for m, t in matrices.items()})
    return extended, plan, doors


@pytest.fixture(scope="module")
def week(area):
    """Five demo days, Monday to Friday: other orders, other rounds each day."""
    return [solved_day(area, seed) for seed in range(1, 6)]


@pytest.fixture(scope="module")
def day(week):
    return week[0]


def displaced(plan, result) -> list:
    """Order stops whose assistant, place in the round or start changed, and orders whose
    planned-or-not changed."""
    def stops(p):
        return {r.assistant_id: [(v.order_id, v.action, v.start) for v in r.visits
                                 if not v.order_id.startswith(housecalls.CALL_PREFIX)]
                for r in p.routes}
    before, after = stops(plan), stops(result.plan)
    moved = [a for a in before if before[a] != after[a]]
    return moved + sorted({u.order_id for u in plan.unplanned}
                          ^ {u.order_id for u in result.plan.unplanned})


def test_calls_fill_slack_near_the_route_and_the_checker_holds_the_day(day):
    problem, plan, by_buurt = day
    doors = [d for ds in by_buurt.values() for d in ds]
    result = housecalls.insert(problem, plan, doors, MONDAY)
    assert result.calls, "the demo day leaves slack for some house calls"
    assert check(result.problem, result.plan) == []
    assert displaced(plan, result) == []
    assert len({c.door_id for c in result.calls}) == len(result.calls)
    assert housecalls.slack(result.problem, result.plan) < housecalls.slack(problem, plan)
    for call in result.calls:
        a = problem.assistant(call.assistant_id)
        route = plan.route(call.assistant_id)
        door = next(d for d in doors if d.id == call.door_id)
        dur = problem.durations[a.mode]
        near = min(min(dur[v.location, door.location], dur[door.location, v.location])
                   for v in route.visits)
        assert near <= housecalls.NEAR_SECONDS
        assert a.shift.start <= call.start and call.end <= a.shift.end


def test_a_re_plan_puts_no_call_before_now(day):
    problem, plan, by_buurt = day
    doors = [d for ds in by_buurt.values() for d in ds]
    now = 13 * 3600
    later = housecalls.insert(problem.__class__(
        problem.orders, problem.assistants, problem.durations, problem.distances,
        problem.weights, (), (), now, problem.name), plan, doors, MONDAY)
    assert later.calls and all(c.start >= now for c in later.calls)


def outcome_of(rng: random.Random, part: str) -> str:
    """A door's answer: more people at home later in the day."""
    home = {"morning": 0.3, "midday": 0.4, "afternoon": 0.55}[part]
    if rng.random() >= home:
        return "rung"
    return rng.choice(["talked", "talked", "opened", "not_interested", "come_back"])


def test_six_weeks_never_ring_a_reached_door_twice_within_the_interval_and_vary_the_time(week):
    buurt = "Kaisaniemi"  # 97 doors
    interval = 42
    rng = random.Random(7)
    history: dict[str, list[Attempt]] = {}
    for k in range(42):
        today = MONDAY + timedelta(days=k)
        if today.weekday() >= 5:
            continue
        problem, plan, by_buurt = week[today.weekday()]
        doors = by_buurt[buurt]
        history = history or {d.id: [] for d in doors}
        due = [Door(d.id, d.location, d.label, tuple(history[d.id])) for d in doors
               if housecalls.due(Door(d.id, d.location, d.label, tuple(history[d.id])), today,
                                 interval)]
        result = housecalls.insert(problem, plan, due, today)
        assert check(result.problem, result.plan) == []
        assert displaced(plan, result) == []
        for call in result.calls:
            history[call.door_id].append(Attempt(today, call.start,
                                                 outcome_of(rng, call.part)))
    attempts = [a for h in history.values() for a in h]
    assert len(attempts) > 30
    repeated = 0
    for door_id, h in history.items():
        days = [a.day for a in h]
        assert len(days) == len(set(days)), door_id  # never twice a day
        for i, a in enumerate(h):
            if a.outcome in housecalls.REACHED:
                assert all(b.day >= a.day + timedelta(days=interval) for b in h[i + 1:]), door_id
            if a.outcome == "not_interested":
                assert h[i + 1:] == [], door_id
        # before anyone opened, each new try is at a part of the day not tried yet
        parts = [housecalls.part_of(a.at) for a in h[:3]]
        repeated += len(parts) > 1
        assert len(parts) == len(set(parts)), (door_id, h)
    assert repeated >= 5


def test_the_rules_on_hand_made_histories():
    monday = MONDAY
    door = Door("d", 0)
    assert housecalls.due(door, monday, 42)
    rung = Door("d", 0, attempts=(Attempt(monday, 10 * 3600, "rung"),))
    assert not housecalls.due(rung, monday, 42)  # not twice a day
    assert housecalls.due(rung, monday + timedelta(days=1), 42)
    assert [w.start for w in housecalls.windows_for(rung)] == [12 * 3600, 14 * 3600 + 1800]
    talked = Door("d", 0, attempts=(Attempt(monday, 16 * 3600, "talked"),))
    assert not housecalls.due(talked, monday + timedelta(days=41), 42)
    assert housecalls.due(talked, monday + timedelta(days=42), 42)
    assert len(housecalls.windows_for(talked)) == 3  # reached: every part again
    no = Door("d", 0, attempts=(Attempt(monday, 16 * 3600, "not_interested"),))
    assert not housecalls.due(no, monday + timedelta(days=400), 42)
    every = Door("d", 0, attempts=tuple(Attempt(monday + timedelta(days=i), t, "rung")
                                        for i, t in enumerate((9 * 3600, 13 * 3600,
                                                               15 * 3600))))
    assert len(housecalls.windows_for(every)) == 3  # every part tried: start over
    weekday = Door("w", 0, attempts=(Attempt(monday - timedelta(days=7), 10 * 3600, "rung"),))
    other = Door("o", 0, attempts=(Attempt(monday - timedelta(days=6), 10 * 3600, "rung"),))
    assert housecalls.rank(door, monday) < housecalls.rank(other, monday) \
        < housecalls.rank(weekday, monday)
