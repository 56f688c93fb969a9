"""The round optimiser on small days: optimality, every rule, reasons, re-planning, determinism.

Every plan is run through the independent checker (``routing.check``) as well.
"""

from __future__ import annotations

from dataclasses import replace

import itertools

import numpy as np
import pytest

from routing.check import check
from routing.model import (Assistant, Break, Done, Lock, ModelError, Order, Pickup, Problem,
                           TimeWindow as W, Weights)
from routing.solver import SolveParams, solve
from routing.solver.insert import fill
from web.reasons import say

H = 3600
FAST = SolveParams(time_limit=0.5, seed="none")


def grid(points: list[tuple[float, float]], minutes_per_unit: float = 1.0, modes=("bike",)):
    """Matrices for points on a plane: Manhattan distance, ``minutes_per_unit`` per unit."""
    xy = np.array(points, dtype=float)
    d = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    secs = np.ceil(d * minutes_per_unit * 60).astype(np.int64)
    return {m: secs for m in modes}, {m: d * 250.0 for m in modes}


def problem(points, orders, assistants, **kw) -> Problem:
    dur, dist = grid(points)
    return Problem(tuple(orders), tuple(assistants), dur, dist, **kw)


def ok(p: Problem, plan) -> None:
    assert plan.violations == [], plan.violations
    assert check(p, plan) == []


def test_single_order_times_add_up():
    p = problem([(0, 0), (10, 0)], [Order("o1", "parcel", 1, praatje=300, handling=60)],
                [Assistant("a", shift=W(9 * H, 12 * H), start=0)])
    plan = solve(p, FAST)
    ok(p, plan)
    (v,) = plan.route("a").visits
    assert v.travel == 600 and v.end - v.start == 360
    assert plan.route("a").finish == v.end + 600
    assert plan.route("a").distance == pytest.approx(2 * 10 * 250.0)


# ---------------------------------------------------------------- brute force


def _travel_cost(p: Problem, a: Assistant, seq) -> int | None:
    """Earliest-start simulation of one route; total travel seconds, or None if infeasible."""
    dur = p.durations[a.mode]
    t, here, cost, load = a.shift.start, a.start, 0, 0
    load = sum(o.size for o, act in seq if o.pickup is None)
    if load > a.capacity:
        return None
    for o, act in seq:
        place = o.pickup.location if act == "pickup" else o.location
        wins = (o.pickup.windows if act == "pickup" else o.windows) or (a.shift,)
        cost += int(dur[here, place])
        t += int(dur[here, place])
        w = next((w for w in wins if w.end >= t), None)
        if w is None:
            return None
        t = max(t, w.start) + (o.pickup.handling if act == "pickup" else o.service)
        load += o.size if act == "pickup" else -o.size
        if load > a.capacity:
            return None
        here = place
    cost += int(dur[here, a.end_location])
    return cost if t + int(dur[here, a.end_location]) <= a.shift.end else None


def _best_route(p: Problem, a: Assistant, orders) -> int | None:
    stops = [(o, "pickup") for o in orders if o.pickup] + [(o, "delivery") for o in orders]
    best = None
    for perm in itertools.permutations(stops):
        pos = {(o.id, act): i for i, (o, act) in enumerate(perm)}
        if any(o.pickup and pos[(o.id, "pickup")] > pos[(o.id, "delivery")] for o in orders):
            continue
        c = _travel_cost(p, a, perm)
        if c is not None and (best is None or c < best):
            best = c
    return best


def brute_force(p: Problem) -> int:
    best = None
    for assign in itertools.product(range(len(p.assistants)), repeat=len(p.orders)):
        total = 0
        for v, a in enumerate(p.assistants):
            mine = [o for o, w in zip(p.orders, assign, strict=True) if w == v]
            c = _best_route(p, a, mine) if mine else 0
            if c is None:
                break
            total += c
        else:
            best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_tiny_instances_match_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    n = 5
    pts = [(0, 0), (0, 0)] + [tuple(rng.integers(-15, 16, 2)) for _ in range(2 * n)]
    orders = []
    for i in range(n):
        lo = int(rng.integers(9 * H, 11 * H))
        win = (W(lo, lo + int(rng.integers(1, 4)) * H),)
        if seed % 2 and i < 2:  # some pickup-and-delivery pairs
            orders.append(Order(f"o{i}", "meal", 2 + n + i, windows=win, pickup=Pickup(2 + i, "kitchen"),
                                praatje=240, size=1))
        else:
            orders.append(Order(f"o{i}", "parcel", 2 + i, windows=win, praatje=240, size=1))
    team = [Assistant("a", start=0, capacity=3, shift=W(9 * H, 14 * H)),
            Assistant("b", start=1, capacity=3, shift=W(9 * H, 14 * H))]
    p = problem(pts, orders, team, weights=Weights(balance=0))
    plan = solve(p, SolveParams(time_limit=1.0, seed="none"))
    ok(p, plan)
    assert not plan.unplanned
    assert sum(r.travel for r in plan.routes) == brute_force(p)


# ---------------------------------------------------------------- the rules of the day


def test_pickup_before_delivery_and_hot_meal_ride_time():
    # kitchen at 0; two doors in opposite directions 20 min away: together they cannot be hot
    pts = [(0, 0), (1, 0), (20, 0), (-20, 0)]
    orders = [Order(f"m{i}", "meal", 2 + i, pickup=Pickup(1, "kitchen", (W(11 * H + 1800, 13 * H),)),
                    windows=(W(11 * H + 1800, 13 * H + 1800),), hot_meal=True, max_ride=1800)
              for i in range(2)]
    p = problem(pts, orders, [Assistant("a", start=0, shift=W(11 * H, 15 * H))])
    plan = solve(p, FAST)
    ok(p, plan)
    stops = plan.sequences()["a"]
    assert [a for _, a in stops] == ["pickup", "delivery", "pickup", "delivery"]


def test_several_windows_per_stop_the_later_one_is_used():
    pts = [(0, 0), (30, 0)]
    o = Order("v", "visit", 1, windows=(W(9 * H, 9 * H + 600), W(14 * H, 15 * H)))
    p = problem(pts, [o], [Assistant("a", start=0, shift=W(9 * H, 17 * H))])
    plan = solve(p, FAST)
    ok(p, plan)
    assert 14 * H <= plan.route("a").visits[0].start <= 15 * H


def test_capacity_splits_the_load_between_assistants():
    pts = [(0, 0)] + [(i + 1, 1) for i in range(6)]
    orders = [Order(f"p{i}", "parcel", 1 + i, size=2) for i in range(6)]
    team = [Assistant(x, start=0, capacity=6, shift=W(9 * H, 17 * H)) for x in "ab"]
    p = problem(pts, orders, team)
    plan = solve(p, FAST)
    ok(p, plan)
    assert sorted(r.start_load for r in plan.routes) == [6, 6]


def test_break_is_taken_inside_its_window_between_visits():
    pts = [(0, 0)] + [(i * 5, 5) for i in range(8)]
    orders = [Order(f"v{i}", "visit", 1 + i) for i in range(8)]
    a = Assistant("a", start=0, shift=W(10 * H, 16 * H),
                  break_=Break(W(12 * H, 12 * H + 1800), 1800))
    p = problem(pts, orders, [a])
    plan = solve(p, FAST)
    ok(p, plan)
    (b,) = plan.route("a").breaks
    assert 12 * H <= b.start <= 12 * H + 1800 and b.end - b.start == 1800
    assert plan.route("a").departure < b.start < plan.route("a").finish


def test_workload_is_balanced_not_just_the_longest_route():
    # ten house calls in one cluster: one assistant could do them all (least travel), but the
    # coordinator wants both to share the work
    pts = [(0, 0), (0, 1)] + [(20 + i % 3, i // 3) for i in range(10)]
    orders = [Order(f"v{i}", "visit", 2 + i) for i in range(10)]
    team = [Assistant("a", start=0, shift=W(9 * H, 17 * H)), Assistant("b", start=1, shift=W(9 * H, 17 * H))]
    lazy = solve(p0 := problem(pts, orders, team, weights=Weights(balance=0)), FAST)
    fair = solve(p := problem(pts, orders, team), FAST)
    ok(p0, lazy)
    ok(p, fair)
    assert sorted(len(r.visits) for r in lazy.routes) == [0, 10]
    finishes = [r.finish for r in fair.routes]
    assert max(finishes) - min(finishes) <= 30 * 60
    assert max(finishes) < max(r.finish for r in lazy.routes) - H


def test_regular_assistant_and_own_buurt_are_preferred():
    pts = [(0, 0), (10, 0), (5, 3), (5, -3)]
    orders = [Order("r", "visit", 2, resident="res-17"), Order("b", "visit", 3, buurt="Oudwijk")]
    team = [Assistant("a", start=0, buurt="Abstede", shift=W(9 * H, 17 * H)),
            Assistant("b", start=1, buurt="Oudwijk", regulars=("res-17",), shift=W(9 * H, 17 * H))]
    p = problem(pts, orders, team, weights=Weights(balance=0))
    plan = solve(p, FAST)
    ok(p, plan)
    assert plan.sequences()["b"] and {o for o, _ in plan.sequences()["b"]} == {"r", "b"}


def test_over_full_day_keeps_medicine_before_meals_before_parcels():
    pts = [(0, 0)] + [(10, i) for i in range(9)]
    kinds = ["parcel", "meal", "medicine"] * 3
    orders = [Order(f"{k}{i}", k, 1 + i, praatje=1200) for i, k in enumerate(kinds)]
    p = problem(pts, orders, [Assistant("a", start=0, shift=W(9 * H, 11 * H + 2700))])  # room for 6
    plan = solve(p, FAST)
    ok(p, plan)
    planned = {o for o, _ in plan.sequences()["a"]}
    assert {o.id for o in orders if o.kind == "medicine"} <= planned
    assert {u.order_id for u in plan.unplanned} == {o.id for o in orders if o.kind == "parcel"}
    assert {u.code for u in plan.unplanned} == {"over_full"}


# ---------------------------------------------------------------- reasons for unplanned orders


def _one_reason(p: Problem) -> tuple[str, str]:
    plan = solve(p, FAST)
    ok(p, plan)
    (u,) = plan.unplanned
    # the sentence is kept as template and values, and the coordinator's page says it in Dutch
    assert u.template.format(**u.params) == u.reason
    assert say(u.to_dict(), "nl") != u.reason and "{" not in say(u.to_dict(), "nl")
    return u.code, u.reason


def test_reason_capacity():
    p = problem([(0, 0), (3, 3)], [Order("big", "parcel", 1, size=9)],
                [Assistant("a", start=0, capacity=4), Assistant("b", start=0, capacity=6)])
    code, text = _one_reason(p)
    assert code == "capacity" and "9 crate units" in text and "6" in text


def test_reason_no_shift():
    p = problem([(0, 0), (3, 3)], [Order("late", "parcel", 1, windows=(W(18 * H, 19 * H),))],
                [Assistant("a", start=0, shift=W(9 * H, 17 * H))])
    code, text = _one_reason(p)
    assert code == "no_shift" and "18:00–19:00" in text


def test_reason_window_unreachable_after_the_pharmacy_opens():
    pharmacy = Pickup(1, "Apotheek Oost", (W(10 * H, 17 * H),))
    o = Order("med", "medicine", 2, pickup=pharmacy, windows=(W(10 * H, 10 * H + 900),))
    p = problem([(0, 0), (0, 1), (20, 1)], [o], [Assistant("a", start=0, shift=W(9 * H, 17 * H))])
    code, text = _one_reason(p)
    assert code == "window_unreachable"
    assert text == "time window 10:00–10:15 cannot be reached after the pharmacy opens at 10:00"


def test_reason_ride_time_for_a_hot_meal():
    o = Order("m", "meal", 2, pickup=Pickup(1, "kitchen"), hot_meal=True)
    p = problem([(0, 0), (0, 1), (40, 1)], [o], [Assistant("a", start=0)])
    code, text = _one_reason(p)
    assert code == "ride_time" and "40 min" in text and "30 min" in text


def test_reason_lock_that_cannot_hold():
    o = Order("v", "visit", 1, windows=(W(15 * H, 16 * H),))
    team = [Assistant("a", start=0, shift=W(9 * H, 13 * H)), Assistant("b", start=0, shift=W(13 * H, 17 * H))]
    p = problem([(0, 0), (3, 3)], [o], team, locks=(Lock("v", "a"),))
    code, _ = _one_reason(p)
    assert code == "locked"


def test_an_order_the_search_left_out_is_put_in_where_it_still_fits():
    pts = [(0, 0), (2, 2), (4, 4)]
    orders = [Order("x", "parcel", 1), Order("y", "parcel", 2)]
    team = [Assistant("a", start=0)]
    full = problem(pts, orders, team)
    partial = solve(p1 := problem(pts, orders[:1], team), FAST)
    ok(p1, partial)
    filled, placed = fill(full, partial, [orders[1]])
    assert placed == ["y"]
    filled.unplanned = []
    assert check(full, filled) == []
    assert sorted(v.order_id for v in filled.route("a").visits) == ["x", "y"]


def test_over_full_says_so_when_no_place_fits():
    # one hour of shift, two orders of 40 minutes each at the door
    orders = [Order(f"o{i}", "visit", 1, praatje=40 * 60, handling=0) for i in range(2)]
    p = problem([(0, 0), (1, 0)], orders, [Assistant("a", start=0, shift=W(9 * H, 10 * H))])
    plan = solve(p, replace(FAST, advice=False))
    ok(p, plan)
    (u,) = plan.unplanned
    assert u.code == "over_full" and "the day is full" in u.reason
    # with advice: the change found by trying (80 minutes at the doors, 2 km walked)
    (u,) = solve(p, FAST).unplanned
    assert u.code == "over_full" and u.reason == "fits in the round of a if the shift lasts until 10:30"


# ---------------------------------------------------------------- re-planning and pins


def test_replanning_keeps_done_stops_and_inserts_a_late_order():
    pts = [(0, 0)] + [(i % 4 * 3, i // 4 * 3 + 1) for i in range(8)] + [(5, 5)]
    orders = [Order(f"o{i}", "parcel", 1 + i) for i in range(8)]
    team = [Assistant("a", start=0, shift=W(9 * H, 15 * H)), Assistant("b", start=0, shift=W(9 * H, 15 * H))]
    morning = solve(p0 := problem(pts, orders, team), FAST)
    ok(p0, morning)
    route = next(r for r in morning.routes if len(r.visits) >= 2)
    done = tuple(Done(v.order_id, v.action, route.assistant_id, v.start) for v in route.visits[:2])
    now = route.visits[1].end
    late = Order("late", "medicine", 9, windows=(W(now, 15 * H),))
    p1 = problem(pts, orders + [late], team, done=done, now=now)
    by_hand = p0.replan(morning, now, add=(late,), done=tuple((d.order_id, d.action) for d in done))
    assert by_hand.to_dict() == p1.to_dict()
    plan = solve(p1, FAST)
    ok(p1, plan)
    again = plan.route(route.assistant_id).visits
    assert [(v.order_id, v.start) for v in again[:2]] == [(d.order_id, d.start) for d in done]
    assert "late" in {o for seq in plan.sequences().values() for o, _ in seq}
    assert all(v.start >= now for r in plan.routes for v in r.visits if v.order_id not in {d.order_id for d in done})


def test_coordinator_locks_a_stop_to_an_assistant_and_a_position():
    pts = [(0, 0), (30, 0)] + [(i, 0) for i in range(1, 5)]
    orders = [Order(f"o{i}", "parcel", 2 + i) for i in range(4)]
    team = [Assistant("a", start=0), Assistant("b", start=1)]
    p0 = problem(pts, orders, team, weights=Weights(balance=0))
    free = solve(p0, FAST)
    ok(p0, free)
    assert free.sequences()["b"] == [] and len(free.sequences()["a"]) == 4
    # b must start with o2, a must do o3 as its third stop: a coordinator's pins
    locks = (Lock("o2", "b", position=0), Lock("o3", "a", position=2))
    p = problem(pts, orders, team, locks=locks, weights=Weights(balance=0))
    plan = solve(p, FAST)
    ok(p, plan)
    assert plan.sequences()["b"][0] == ("o2", "delivery")
    assert plan.sequences()["a"][2] == ("o3", "delivery")


def test_same_input_twice_gives_the_same_plan():
    rng = np.random.default_rng(7)
    pts = [(0, 0)] + [tuple(rng.integers(-10, 11, 2)) for _ in range(14)]
    orders = [Order(f"o{i}", "parcel", 1 + i, windows=(W(9 * H + 600 * i, 12 * H + 600 * i),)) for i in range(14)]
    team = [Assistant("a", start=0), Assistant("b", start=0)]
    params = SolveParams(time_limit=30, solution_limit=200, seed="none")
    p = problem(pts, orders, team)
    one, two = solve(p, params), solve(p2 := problem(pts, orders, team), params)
    ok(p, one)
    ok(p2, two)
    assert one.to_dict()["routes"] == two.to_dict()["routes"]
    assert one.cost == two.cost


def test_seeded_from_pyvrp_on_a_plain_day_is_checked_too():
    pts = [(0, 0)] + [(i % 5 * 2, i // 5 * 2 + 1) for i in range(15)]
    orders = [Order(f"o{i}", "parcel", 1 + i, windows=(W(9 * H, 13 * H),)) for i in range(15)]
    p = problem(pts, orders, [Assistant("a", start=0), Assistant("b", start=0)], weights=Weights(balance=0))
    plan = solve(p, SolveParams(time_limit=1.0, seed="auto"))
    ok(p, plan)
    assert plan.stats["engine"] == "pyvrp+ortools" and plan.stats["seed_feasible"]
    assert not plan.unplanned


def test_seeded_search_is_reproducible_with_iteration_limits():
    rng = np.random.default_rng(3)
    pts = [(0, 0)] + [tuple(rng.integers(-12, 13, 2)) for _ in range(25)]
    orders = [Order(f"o{i}", "parcel", 1 + i, windows=(W(9 * H + 300 * i, 13 * H + 300 * i),)) for i in range(25)]
    team = [Assistant(x, start=0) for x in "abc"]
    params = SolveParams(time_limit=60, seed="auto", seed_iterations=300, solution_limit=50)
    p = problem(pts, orders, team, weights=Weights(balance=0))
    one = solve(p, params)
    two = solve(p2 := problem(pts, orders, team, weights=Weights(balance=0)), params)
    ok(p, one)
    ok(p2, two)
    assert one.stats["engine"] == "pyvrp+ortools"
    assert one.to_dict()["routes"] == two.to_dict()["routes"]


def test_a_day_without_assistants_reports_every_order():
    p = problem([(0, 0), (1, 1)], [Order("a", "parcel", 1), Order("b", "visit", 1)], [])
    plan = solve(p, FAST)
    ok(p, plan)
    assert [(u.order_id, u.code) for u in plan.unplanned] == [("a", "no_shift"), ("b", "no_shift")]


def test_a_busy_day_at_pilot_scale_is_planned_and_checked():
    """60 orders from two pharmacies, a meal kitchen and a parcel point, plus house calls; three
    assistants (bike, bike, on foot) with breaks: the SCENARIOS.md pilot day, on a synthetic plane."""
    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 2500, (64, 2))  # metres: 0 buurthuis, 1-2 pharmacies, 3 kitchen
    d = np.abs(xy[:, None] - xy[None]).sum(axis=2) * 1.2
    dur = {"bike": np.ceil(d / 4.0 + 30).astype(np.int64), "walk": np.ceil(d / 1.3 + 10).astype(np.int64)}
    for m in dur:
        np.fill_diagonal(dur[m], 0)
    orders = []
    for i in range(60):
        kind = ("medicine", "meal", "parcel", "visit")[i % 4]
        if kind == "medicine":
            orders.append(Order(f"med{i}", kind, 4 + i, in_person=True, windows=(W(10 * H, 16 * H),),
                                pickup=Pickup(1 + i % 8 // 4, "apotheek", (W(9 * H + 1800, 17 * H),))))
        elif kind == "meal":
            orders.append(Order(f"meal{i}", kind, 4 + i, hot_meal=True, max_ride=2700, windows=(W(11 * H + 1800, 13 * H),),
                                pickup=Pickup(3, "keuken", (W(11 * H + 1800, 12 * H + 1800),))))
        elif kind == "parcel":
            orders.append(Order(f"pak{i}", kind, 4 + i, size=2))
        else:
            orders.append(Order(f"visit{i}", kind, 4 + i, windows=(W(9 * H, 12 * H), W(14 * H, 16 * H))))
    lunch = Break(W(12 * H + 1800, 14 * H), 1800)
    team = [Assistant("a", mode="bike", shift=W(9 * H, 17 * H), capacity=8, break_=lunch),
            Assistant("b", mode="bike", shift=W(9 * H, 17 * H), capacity=12, break_=lunch),
            Assistant("c", mode="walk", shift=W(9 * H, 13 * H), capacity=4)]
    p = Problem(tuple(orders), tuple(team), dur, {m: d for m in dur})
    plan = solve(p, SolveParams(time_limit=2.0))
    ok(p, plan)
    gone = {u.order_id for u in plan.unplanned}
    assert not {o.id for o in orders if o.kind == "medicine"} & gone
    assert {u.code for u in plan.unplanned} <= {"over_full"}  # each alone is doable
    assert all(len(r.breaks) == 1 for r in plan.routes if r.visits and r.assistant_id != "c")


def test_replan_marks_started_stops_done_and_refuses_to_cancel_them():
    pts = [(0, 0)] + [(i, 2) for i in range(1, 6)]
    orders = [Order(f"o{i}", "parcel", 1 + i) for i in range(5)]
    p0 = problem(pts, orders, [Assistant("a", start=0)])
    morning = solve(p0, FAST)
    ok(p0, morning)
    second = morning.route("a").visits[1]
    p1 = p0.replan(morning, second.start, cancel=(morning.route("a").visits[-1].order_id,))
    assert [d.order_id for d in p1.done] == [v.order_id for v in morning.route("a").visits[:2]]
    assert len(p1.orders) == 4
    plan = solve(p1, FAST)
    ok(p1, plan)
    with pytest.raises(ModelError, match="cannot cancel"):
        p0.replan(morning, second.start, cancel=(second.order_id,))


def test_replan_after_a_done_pickup_still_plans_its_delivery_and_keeps_done_stops():
    # Found by hypothesis on a loaded CI machine: with the pickup of a pair done but not its
    # delivery, insertion heuristics found no first plan and done stops vanished.
    zero = np.zeros((3, 3), dtype=np.int64)
    orders = [Order("o0", "medicine", 0), Order("o1", "medicine", 0),
              Order("o2", "medicine", 0, pickup=Pickup(0, "partner")), Order("o3", "medicine", 0)]
    team = [Assistant("a0", mode="bike", shift=W(8 * 3600, 10 * 3600), capacity=2)]
    p = Problem(tuple(orders), tuple(team), {"bike": zero}, {"bike": zero.astype(float)})
    first = solve(p, SolveParams(time_limit=0.5, seed="none"))
    visits = first.route("a0").visits
    pickup_at = [(v.order_id, v.action) for v in visits].index(("o2", "pickup"))
    done = tuple(Done(v.order_id, v.action, "a0", v.start) for v in visits[:pickup_at + 1])
    p2 = Problem(p.orders, p.assistants, p.durations, p.distances, done=done,
                 now=visits[pickup_at].end)
    plan = solve(p2, SolveParams(time_limit=0.3, seed="none"))
    assert plan.violations == [] and check(p2, plan) == []
    again = [(v.order_id, v.action) for v in plan.route("a0").visits]
    assert again[:len(done)] == [(d.order_id, d.action) for d in done]
    assert ("o2", "delivery") in again
