"""Put orders the search left out into the finished plan, wherever they truly still fit.

A search that stops on its time limit can leave out an order that would fit; a coordinator then
sees "not planned" for a stop the assistant could easily make. So after the search, every
left-out order (most important first) is tried at the places in every round, the cheapest
detours first, each timed by :func:`schedule` from scratch (windows, breaks, shift end, capacity,
ride time, done stops), and the first that holds is taken. What still fits nowhere is "over
full" for this plan: a reason found by trying, not guessed.

Places are first screened by a quick time check (windows, shift end, the break where the round
takes it: :func:`_bounds`), then timed in full, at most ``TRIES_PER_ORDER`` per order: a count, not the clock, so the same
plan and problem always give the same result.

Completion runs at every checkpoint of the search and is not counted as its work, so its time
is taken from the search's: what the quick check needs of a round is worked out once per round
while many orders are placed (:class:`_Round`), and a place's stop list is only made for the
places timed in full (of a pickup and delivery pair there are some hundred places per round).
The same places in the same order as before, and :func:`fill` in about two thirds of its time
(profiled on the relaxed 100-order day at 450 000 work: the whole 3 s run about 4 % sooner).
Travel times are read from the matrices as lists, a round's legs once per round and an order's
to and from every place of it once per order (reading NumPy one element at a time was most of
the quick check's time and much of :func:`schedule`'s), and a delivery's places end where the
round is pushed past its last window. The same places again (checked call by call on the 60-,
100- and 150-order days); whole runs at the web planner's 300 000 work with the same plans in
0.91 (full 60-order day), 0.78 (100) and 0.70 (150) of their time, so a run on the clock
searches longer: the relaxed 150-order day at 3 s (8 seeds) 434 000 work instead of 330 000,
penalty 1421 → 1396, travel 267.9 → 265.5 min.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..model import Assistant, Order, Plan, Problem, Route, TimeWindow, Visit

Stop = tuple[str, str]  # (order id, "pickup" | "delivery")
TRIES_PER_ORDER = 200
"""Places timed in full per left-out order (the most promising ones: cheapest detour first)."""


def _first_start(t: int, windows: tuple[TimeWindow, ...], now: int = 0) -> int | None:
    """The first moment from ``t`` (and not before ``now``) within one of ``windows``."""
    if t < now:
        t = now
    for w in windows:
        if t <= w.end:
            return t if t > w.start else w.start
    return None if windows else t


def schedule(problem: Problem, a: Assistant, stops: list[Stop], keep: Route | None = None) -> Route | None:
    """The round doing ``stops`` in this order as early as possible, or None if it breaks a rule.

    Done stops keep their start. The break goes where the old round ``keep`` had it (before the
    same stop, or the stop before that), else where waiting covers it or it can wait no longer.
    A hot meal that rides too long is retried with its pickup as late as the ride allows.
    """
    tries: list[int | None] = []
    if a.break_ is not None and keep is not None:
        g = _break_gap(keep)
        if g is not None:
            after = (keep.visits[g].order_id, keep.visits[g].action) if g < len(keep.visits) else None
            at = stops.index(after) if after in stops else len(stops)
            tries += [at, at - 1] if at > 0 else [at]
    tries.append(None)
    for break_at in tries:
        late_pickup: dict[str, int] = {}
        for _ in range(4):
            route, ride_fix = _forward(problem, a, stops, late_pickup, break_at, keep)
            if ride_fix is None:
                break
            oid, at = ride_fix
            if late_pickup.get(oid, -1) >= at:
                route = None
                break
            late_pickup[oid] = at
        if route is not None:
            return route
    return None


def _served(o: Order, act: str) -> tuple[int, int, tuple[TimeWindow, ...], str]:
    """Where, how long and when the stop ``act`` of ``o`` is served, and its label."""
    if act == "pickup":
        assert o.pickup is not None, f"{o.id} has no pickup"
        return o.pickup.location, o.pickup.handling, o.pickup.windows, o.pickup.label or ""
    return o.location, o.service, o.windows, o.address or ""


def _forward(problem: Problem, a: Assistant, stops: list[Stop], late_pickup: dict[str, int],
             break_at: int | None, keep: Route | None
             ) -> tuple[Route | None, tuple[str, int] | None]:
    """One pass in time order; ``break_at``: the break before stop k (None: wherever it must)."""
    dur, dist = problem.durations[a.mode], problem.distances[a.mode]
    done = {(d.order_id, d.action): d for d in problem.done if d.assistant_id == a.id}
    orders = {oid: problem.order(oid) for oid, _ in stops}
    brk = a.break_
    breaks: list[TimeWindow] = []
    load = start_load = sum(orders[oid].size for oid, act in stops
                            if act == "delivery" and orders[oid].pickup is None)
    if load > a.capacity:
        return None, None
    departure = keep.departure if keep is not None and done else a.shift.start
    served = [_served(orders[oid], act) for oid, act in stops]
    at = np.asarray([a.start] + [s[0] for s in served] + [a.end_location])
    legs, metres = dur[at[:-1], at[1:]].tolist(), dist[at[:-1], at[1:]].tolist()
    t, visits, picked = departure, [], {}
    for k, (oid, act) in enumerate(stops):
        o = orders[oid]
        place, service, wins, label = served[k]
        travel = legs[k]
        d = done.get((oid, act))
        # a done stop was served when it was: "now" (after it) and a late pickup are for the rest
        earliest = t + travel if d is not None else \
            max(t + travel, problem.now or 0, late_pickup.get(oid, 0) if act == "pickup" else 0)
        start = d.start if d is not None else _first_start(earliest, wins)
        if start is None:
            return None, None
        if brk is not None and not breaks:
            b0 = max(t, brk.window.start)
            if break_at is None:  # where the waiting covers it, or it can wait no longer
                take = (b0 + brk.duration <= start and t + travel + brk.duration <= start) or \
                    start + service > brk.window.end
            else:
                take = break_at == k
            if take:
                if b0 > brk.window.end:
                    return None, None
                breaks.append(TimeWindow(b0, b0 + brk.duration))
                later = max(earliest, b0 + brk.duration, t + travel + brk.duration)
                start = d.start if d is not None else _first_start(later, wins)
                if start is None or start < later:  # a done stop leaves no room for it
                    return None, None
        arrival = t + travel + sum(b.end - b.start for b in breaks if t <= b.start and b.end <= start)
        if start < arrival:
            return None, None
        load += o.size if act == "pickup" else -o.size
        if not 0 <= load <= a.capacity:
            return None, None
        if act == "pickup":
            picked[oid] = start
        elif oid in picked and o.ride_limit is not None and d is None:
            handling = _served(o, "pickup")[1]
            if start - (picked[oid] + handling) > o.ride_limit:
                return None, (oid, start - o.ride_limit - handling)
        visits.append(Visit(oid, act, place, label,
                            arrival, start - arrival, start, start + service, load, travel,
                            float(metres[k])))
        t = start + service
    if not visits:
        return Route(a.id, departure, [], departure, 0, 0.0, [], 0), None
    back = legs[-1]
    finish = t + back
    if brk is not None and not breaks:  # on the way home if it must be, else after the round
        b0 = max(t, brk.window.start) if finish > brk.window.end or break_at == len(stops) \
            else max(finish, brk.window.start)
        if b0 > brk.window.end:
            return None, None
        breaks.append(TimeWindow(b0, b0 + brk.duration))
        if b0 < finish:
            finish += brk.duration
    if finish > a.shift.end:
        return None, None
    if not done and not any(b.start < visits[0].start for b in breaks):  # leave just in time
        departure = max(departure, visits[0].start - visits[0].travel)
        visits[0] = replace(visits[0], arrival=departure + visits[0].travel,
                            wait=visits[0].start - departure - visits[0].travel)
    return Route(a.id, departure, visits, finish, back, float(metres[-1]), breaks, start_load), None


def _break_gap(route: Route) -> int | None:
    """Where the round takes its break: before visit ``g`` (``len(visits)``: on the way home)."""
    if not route.breaks or not route.visits:
        return None
    b = route.breaks[0]
    ends = [route.departure] + [v.end for v in route.visits]
    starts = [v.start for v in route.visits] + [route.finish]
    return next((g for g, (lo, hi) in enumerate(zip(ends, starts, strict=True))
                 if lo <= b.start and b.end <= hi), None)


def _bounds(problem: Problem, a: Assistant, route: Route, gap: int | None, leg: list[int],
            wins: list[tuple[TimeWindow, ...]]) -> tuple[list[int], list[int]]:
    """Per stop of the round, its earliest end and its latest start that keeps every later stop
    and the shift end, with the break kept in its gap, ignoring capacity and ride times.
    ``leg[k]``: travel to stop k (``leg[n]``: home); ``wins[k]``: stop k's windows."""
    brk, now = a.break_, problem.now or 0
    done = {(d.order_id, d.action): d.start for d in problem.done if d.assistant_id == a.id}
    ends, t = [], (route.departure if done else a.shift.start)
    assert gap is None or brk is not None  # a round keeps a gap only for its break
    for k, v in enumerate(route.visits):
        if gap == k and brk is not None:
            t = max(t, brk.window.start) + brk.duration
        start = done.get((v.order_id, v.action))
        if start is None:
            start = _first_start(t + leg[k], wins[k], now)
            start = v.start if start is None else start
        t = start + (v.end - v.start)
        ends.append(t)
    n = len(route.visits)
    nxt = a.shift.end - leg[n]  # the latest end of the stop before
    if gap == n and brk is not None:
        nxt = min(nxt - brk.duration, brk.window.end)
    latest = [0] * n
    for k in range(n - 1, -1, -1):
        v = route.visits[k]
        fixed = done.get((v.order_id, v.action))
        limit = nxt - (v.end - v.start)
        fit = [w for w in wins[k] if w.start <= limit]
        latest[k] = fixed if fixed is not None else (min(limit, fit[-1].end) if fit else (limit if not wins[k] else -1))
        if k:
            nxt = latest[k] - leg[k]
            if gap == k and brk is not None:
                nxt = min(nxt - brk.duration, brk.window.end)
    return ends, latest


@dataclass
class _Round:
    """What the quick time check of :func:`_candidates` needs of one round, whatever the order
    to put in: worked out once per round, not once per order tried."""

    route: Route
    first: int
    seq: list[Stop]
    base: list[int]  # end of the stop before place i
    latest: list[int]  # latest end of stop i that keeps the rest; last: latest arrival home
    wins: list[tuple[TimeWindow, ...]]
    service: list[int]
    gap: int | None
    at: np.ndarray  # place i of the round (its start, stops, end) as an index into the matrices
    leg: list[int]  # travel from place i to place i + 1 of the round as it is


def _round(problem: Problem, a: Assistant, route: Route, first: int) -> _Round:
    seq = [(v.order_id, v.action) for v in route.visits]
    at = np.asarray([a.start] + [v.location for v in route.visits] + [a.end_location])
    leg = problem.durations[a.mode][at[:-1], at[1:]].tolist()
    wins = [_served(problem.order(oid), act)[2] for oid, act in seq]
    gap, brk = _break_gap(route), a.break_
    ends, latest = _bounds(problem, a, route, gap, leg, wins)
    base = [route.departure if first else a.shift.start] + ends
    if gap is not None and brk is not None:  # a stop put in the break's gap comes after it
        b0 = max(base[gap], brk.window.start)
        base[gap] = b0 + brk.duration if b0 <= brk.window.end else 10 ** 9
    return _Round(route, first, seq, base, latest + [a.shift.end], wins,
                  [v.end - v.start for v in route.visits], gap, at, leg)


Place = tuple[int, int, int]
"""(extra travel, place of the pickup or delivery, place of the delivery after a pickup; -1
without a pickup): the stop list is only made for the places timed in full."""


def _stops(r: _Round, o: Order, where: Place) -> list[Stop]:
    _extra, i, j = where
    if j < 0:
        return r.seq[:i] + [(o.id, "delivery")] + r.seq[i:]
    return r.seq[:i] + [(o.id, "pickup")] + r.seq[i:j] + [(o.id, "delivery")] + r.seq[j:]


def _candidates(problem: Problem, a: Assistant, r: _Round, o: Order) -> list[Place]:
    """The places for ``o`` in the round (after its first ``r.first`` stops) that pass a quick
    time check (windows, shift end, the break in its gap), cheapest detour first. The travel
    times to and from the order's places are taken from the matrix once, as lists: reading
    NumPy one element at a time was most of this function's time."""
    dur = problem.durations[a.mode]
    n, first, base, latest, leg = len(r.seq), r.first, r.base, r.latest, r.leg
    wins, service, gap, brk = r.wins, r.service, r.gap, a.break_
    now = problem.now or 0
    d = o.location
    to_d, from_d = dur[r.at, d].tolist(), dur[d, r.at].tolist()
    out: list[Place] = []
    if o.pickup is None:
        for i in range(first, n + 1):
            start = _first_start(base[i] + to_d[i], o.windows, now)
            if start is not None and start + o.service + from_d[i + 1] <= latest[i]:
                out.append((to_d[i] + from_d[i + 1] - leg[i], i, -1))
        out.sort(key=lambda c: c[0])
        return out
    p, pick_windows, handling = o.pickup.location, o.pickup.windows, o.pickup.handling
    to_p, from_p, p_d = dur[r.at, p].tolist(), dur[p, r.at].tolist(), int(dur[p, d])
    closes = o.windows[-1].end if o.windows else None  # (windows are sorted)
    for i in range(first, n + 1):
        start = _first_start(base[i] + to_p[i], pick_windows, now)
        if start is None:
            continue
        extra_p = to_p[i] + from_p[i + 1] - leg[i]
        t = start + handling  # the round after the pickup, pushed forward, up to the delivery's place j
        for j in range(i, n + 1):
            if j > i:
                pushed = _first_start(t + (from_p[j] if j == i + 1 else leg[j - 1]), wins[j - 1], now)
                if pushed is None or pushed > latest[j - 1]:
                    break
                t = pushed + service[j - 1]
                if gap == j and brk is not None:
                    if max(t, brk.window.start) > brk.window.end:
                        break
                    t = max(t, brk.window.start) + brk.duration
            if closes is not None and t > closes:
                break  # past the delivery's last window here, and at every later place
            start = _first_start(t + (p_d if j == i else to_d[j]), o.windows, now)
            if start is not None and start + o.service + from_d[j + 1] <= latest[j]:
                extra = to_p[i] + p_d + from_d[i + 1] - leg[i] if j == i else \
                    extra_p + to_d[j] + from_d[j + 1] - leg[j]
                out.append((extra, i, j))
    out.sort(key=lambda c: c[0])
    return out


def _locks_hold(problem: Problem, a: Assistant, stops: list[Stop]) -> bool:
    pos = {s: k for k, s in enumerate(stops)}
    return all(pos[(k.order_id, k.action)] == k.position for k in problem.locks
               if k.assistant_id == a.id and k.position is not None and (k.order_id, k.action) in pos)


def place(problem: Problem, routes: dict[str, Route], o: Order, only: str | None = None,
          tries: int = TRIES_PER_ORDER, rounds: dict[str, _Round] | None = None) -> Route | None:
    """The round of ``routes`` (of assistant ``only``, if given) with ``o`` put in at the
    cheapest place that holds, or None: at most ``tries`` places are timed in full. ``rounds``:
    what the quick check worked out of each round, kept by a caller that places many orders
    (refreshed here for a round that is no longer the one in ``routes``)."""
    done_keys = {(d.order_id, d.action) for d in problem.done}
    locked_to = {k.assistant_id for k in problem.locks if k.order_id == o.id}
    rounds = {} if rounds is None else rounds
    options: list[tuple[int, str, list[Stop] | None, Place]] = []
    for a in problem.assistants:
        if (locked_to and a.id not in locked_to) or (only is not None and a.id != only):
            continue
        route = routes[a.id]
        r = rounds.get(a.id)
        if r is None or r.route is not route:
            first = sum(1 for v in route.visits if (v.order_id, v.action) in done_keys)
            r = rounds[a.id] = _round(problem, a, route, first)
        options += [(c[0], a.id, None, c) for c in _candidates(problem, a, r, o)]
    if problem.locks:
        options = [(x, aid, st, c) for x, aid, _st, c in options
                   for st in [_stops(rounds[aid], o, c)] if _locks_hold(problem, problem.assistant(aid), st)]
    options.sort(key=lambda c: c[0])  # stable: cheaper first, then assistant order
    for _extra, aid, stops, c in options[:tries]:
        new = schedule(problem, problem.assistant(aid), stops or _stops(rounds[aid], o, c), routes[aid])
        if new is not None:
            return new
    return None


def fill(problem: Problem, plan: Plan, left_out: list[Order]) -> tuple[Plan, list[str]]:
    """``plan`` with as many of ``left_out`` inserted as fit (most important first), and the
    ids of the orders placed."""
    routes = {r.assistant_id: r for r in plan.routes}
    rounds: dict[str, _Round] = {}
    placed = []
    pinned = {d.order_id for d in problem.done}
    at_position = {k.order_id for k in problem.locks if k.position is not None}
    # orders pinned to a stop number go last: inserting others after them would shift them
    for o in sorted((o for o in left_out if o.id not in pinned),
                    key=lambda o: (o.id in at_position, o.rank)):
        best = place(problem, routes, o, rounds=rounds)
        if best is not None:
            routes[best.assistant_id] = best
            placed.append(o.id)
    return replace(plan, routes=[routes[r.assistant_id] for r in plan.routes]), placed
