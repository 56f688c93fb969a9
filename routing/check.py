"""An independent plan checker: does this plan keep every rule of the day?

Written apart from the solver on purpose (it imports only the model): it recomputes every time,
load and distance of a :class:`routing.model.Plan` from the problem's matrices and returns what is
wrong, in plain sentences. An empty list means the plan is feasible. It accepts any plan, also
one edited by hand by a coordinator.
"""

from __future__ import annotations

import math

from .model import Assistant, Plan, Problem, Route, TimeWindow, hhmm

# Where each stop was planned: (order id, action) → (assistant id, position, start).
Where = dict[tuple[str, str], tuple[str, int, int]]


def check(problem: Problem, plan: Plan) -> list[str]:
    """All violations of ``plan`` against ``problem`` (windows, precedence, capacity, ride time,
    shifts, breaks, done and locked stops, times and distances adding up, every order accounted)."""
    bad: list[str] = []
    seen_routes: set[str] = set()
    where: Where = {}
    for route in plan.routes:
        if route.assistant_id not in {a.id for a in problem.assistants}:
            bad.append(f"route of unknown assistant {route.assistant_id!r}")
            continue
        if route.assistant_id in seen_routes:
            bad.append(f"assistant {route.assistant_id} has two routes")
        seen_routes.add(route.assistant_id)
        bad += _route(problem, route, where)
    bad += _orders(problem, plan, where)
    bad += _pins(problem, where)
    return bad


def _in(t: int, windows: tuple[TimeWindow, ...]) -> bool:
    return not windows or any(w.start <= t <= w.end for w in windows)


def _route(problem: Problem, route: Route, where: Where) -> list[str]:
    a = problem.assistant(route.assistant_id)
    who = a.id
    if not route.visits:
        return [] if not route.breaks else [f"{who}: breaks listed on an empty route"]
    bad: list[str] = []
    dur, dist = problem.durations[a.mode], problem.distances[a.mode]
    done = {(d.order_id, d.action): d for d in problem.done}
    breaks = sorted(route.breaks, key=lambda b: b.start)
    if route.departure < a.shift.start:
        bad.append(f"{who}: leaves at {hhmm(route.departure)}, before the shift starts at {hhmm(a.shift.start)}")
    here, prev_end = a.start, route.departure
    depot_goods = sum(problem.order(v.order_id).size for v in route.visits
                      if v.action == "delivery" and problem.order(v.order_id).pickup is None)
    if route.start_load != depot_goods:
        bad.append(f"{who}: starts with {route.start_load} on board, its deliveries need {depot_goods}")
    load = depot_goods
    if load > a.capacity:
        bad.append(f"{who}: leaves with {load} crate units, capacity {a.capacity}")
    gaps = []  # (free from, free until, travel) between services, for the breaks
    for pos, v in enumerate(route.visits):
        tag = f"{who} stop {pos} ({v.order_id} {v.action})"
        try:
            o = problem.order(v.order_id)
        except KeyError:
            bad.append(f"{tag}: no such order")
            continue
        if v.action not in ("pickup", "delivery") or (v.action == "pickup" and o.pickup is None):
            bad.append(f"{tag}: not a stop of this order")
            continue
        pickup = o.pickup if v.action == "pickup" else None
        place = pickup.location if pickup else o.location
        if v.location != place:
            bad.append(f"{tag}: at place {v.location}, the order says {place}")
        key = (v.order_id, v.action)
        if key in where:
            bad.append(f"{tag}: stop planned twice")
        where[key] = (who, pos, v.start)
        travel = int(dur[here, place])
        if v.travel != travel or not math.isclose(v.distance, float(dist[here, place]), abs_tol=1e-6):
            bad.append(f"{tag}: travel {v.travel}s/{v.distance}m, the matrix says {travel}s/{dist[here, place]}m")
        in_gap = [b for b in breaks if prev_end <= b.start and b.end <= v.start]
        arrival = prev_end + travel + sum(b.end - b.start for b in in_gap)
        gaps.append((prev_end, v.start))
        if v.arrival != arrival:
            bad.append(f"{tag}: arrival {hhmm(v.arrival)} but previous end + travel gives {hhmm(arrival)}")
        if v.start < arrival:
            bad.append(f"{tag}: service starts {hhmm(v.start)} before arriving at {hhmm(arrival)}")
        if v.wait != v.start - v.arrival:
            bad.append(f"{tag}: waiting {v.wait}s does not equal start - arrival")
        if key in done:
            if v.start != done[key].start or done[key].assistant_id != who:
                bad.append(f"{tag}: done stop moved (was {done[key].assistant_id} at {hhmm(done[key].start)})")
        else:
            wins = pickup.windows if pickup else o.windows
            if not _in(v.start, wins):
                bad.append(f"{tag}: starts {hhmm(v.start)}, outside {', '.join(map(str, wins))}")
            if problem.now is not None and v.start < problem.now:
                bad.append(f"{tag}: planned at {hhmm(v.start)}, in the past (now {hhmm(problem.now)})")
        service = pickup.handling if pickup else o.service
        if v.end != v.start + service:
            bad.append(f"{tag}: ends {hhmm(v.end)}, start + {service}s service says {hhmm(v.start + service)}")
        load += o.size if v.action == "pickup" else -o.size
        if v.load != load:
            bad.append(f"{tag}: load {v.load} reported, {load} on board")
        if not 0 <= load <= a.capacity:
            bad.append(f"{tag}: {load} crate units on board, capacity {a.capacity}")
        prev_end, here = v.end, place
    back = int(dur[here, a.end_location])
    finish = prev_end + back + sum(b.end - b.start for b in breaks if prev_end <= b.start < route.finish)
    gaps.append((prev_end, route.finish))
    if route.back_travel != back or route.finish != finish:
        bad.append(f"{who}: back at {hhmm(route.finish)} after {route.back_travel}s, expected {hhmm(finish)} after {back}s")
    if route.finish > a.shift.end:
        bad.append(f"{who}: finishes {hhmm(route.finish)}, after the shift ends at {hhmm(a.shift.end)}")
    bad += _breaks(a, route, breaks, gaps)
    return bad


def _breaks(a: Assistant, route: Route, breaks: list[TimeWindow], gaps: list[tuple[int, int]]) -> list[str]:
    who = a.id
    if a.break_ is None:
        return [f"{who}: a break is planned but the assistant has none"] if breaks else []
    if len(breaks) != 1:
        return [f"{who}: {len(breaks)} breaks planned, expected one of {a.break_.duration // 60} min"]
    b, want = breaks[0], a.break_
    bad = []
    if b.end - b.start != want.duration:
        bad.append(f"{who}: break of {(b.end - b.start) // 60} min, expected {want.duration // 60}")
    if not want.window.start <= b.start <= want.window.end:
        bad.append(f"{who}: break starts {hhmm(b.start)}, outside {want.window}")
    outside = b.end <= route.departure or b.start >= route.finish
    if not outside and not any(lo <= b.start and b.end <= hi for lo, hi in gaps):
        bad.append(f"{who}: break {b} overlaps a visit")
    return bad


def _orders(problem: Problem, plan: Plan, where: Where) -> list[str]:
    """Every order planned once or reported unplanned; pickups before deliveries on one route;
    goods picked up stay with whoever picked them up (a hand-over makes the new carrier the
    one who did the pickup); ride limits."""
    bad = []
    done_pickup = {d.order_id: d.assistant_id for d in problem.done if d.action == "pickup"}
    left = {}
    for u in plan.unplanned:
        if u.order_id in left:
            bad.append(f"order {u.order_id} reported unplanned twice")
        left[u.order_id] = u
        if not u.reason or not u.code:
            bad.append(f"order {u.order_id} unplanned without a reason")
    for o in problem.orders:
        planned = (o.id, "delivery") in where
        if planned and o.id in left:
            bad.append(f"order {o.id} both planned and unplanned")
        if not planned and o.id not in left:
            bad.append(f"order {o.id} is neither planned nor reported unplanned")
        if o.pickup is None:
            continue
        pick = where.get((o.id, "pickup"))
        carrier = done_pickup.get(o.id)
        if carrier is not None and not planned and o.id in left:
            continue  # on board, not delivered today: reported unplanned, goods stay on the bike
        if planned != (pick is not None):
            bad.append(f"order {o.id}: pickup and delivery not planned together")
        if not (planned and pick):
            continue
        drop = where[(o.id, "delivery")]
        if carrier is not None and drop[0] != carrier:
            bad.append(f"order {o.id}: the goods are with {carrier}, the delivery is planned "
                       f"for {drop[0]}")
        elif pick[0] != drop[0] or pick[1] > drop[1]:
            bad.append(f"order {o.id}: pickup is not before the delivery on the same route")
        limit = o.ride_limit
        if limit is not None and drop[2] - (pick[2] + o.pickup.handling) > limit:
            bad.append(f"order {o.id}: on the way {(drop[2] - pick[2] - o.pickup.handling) // 60} min, "
                       f"more than {limit // 60} min")
    unknown = set(left) - {o.id for o in problem.orders}
    bad += [f"unplanned order {oid} does not exist" for oid in sorted(unknown)]
    return bad


def _pins(problem: Problem, where: Where) -> list[str]:
    bad = []
    by_assistant: dict[str, list[tuple[int, int]]] = {}
    for d in problem.done:
        at = where.get((d.order_id, d.action))
        if at is None:
            bad.append(f"done stop {d.order_id} {d.action} missing from the plan")
        else:
            by_assistant.setdefault(d.assistant_id, []).append((d.start, at[1]))
    for who, stops in by_assistant.items():
        if [pos for _, pos in sorted(stops)] != list(range(len(stops))):
            bad.append(f"{who}: done stops are not the first stops of the route, in the order done")
    for k in problem.locks:
        at = where.get((k.order_id, k.action))
        if at is None:
            continue
        if at[0] != k.assistant_id:
            bad.append(f"order {k.order_id}: locked to {k.assistant_id}, planned for {at[0]}")
        elif k.position is not None and at[1] != k.position:
            bad.append(f"order {k.order_id}: locked at position {k.position}, planned at {at[1]}")
    return bad
