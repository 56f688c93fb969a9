"""Why an order is not in the plan, in words a coordinator understands.

Before solving, orders no assistant could do even alone are taken out with a reason (capacity,
ride time, no shift, window unreachable, a lock that cannot hold). After solving, an order the
search left out is explained by trying to insert it into the plan: if it fits somewhere the search
ran out of time (``time_limit``), otherwise the day is full (``over_full``).
"""

from __future__ import annotations

from ..model import Assistant, Order, Plan, Problem, TimeWindow, Unplanned, hhmm
from .engine import clip

PLACE = {"medicine": "the pharmacy", "meal": "the meal kitchen", "parcel": "the parcel point"}


def _wins(ws: tuple[TimeWindow, ...], day: TimeWindow) -> tuple[TimeWindow, ...]:
    return ws or (day,)


def alone(problem: Problem, o: Order, a: Assistant) -> str | None:
    """``None`` if assistant ``a`` could do order ``o`` on an empty round, else a reason code."""
    if o.size > a.capacity:
        return "capacity"
    dur = problem.durations[a.mode]
    S, E = a.shift.start, a.shift.end
    if problem.now is not None:
        S = max(S, problem.now)
    d, end = o.location, a.end_location
    dwins = clip(_wins(o.windows, a.shift), problem.now)
    if o.pickup is None:
        earliest = S + dur[a.start, d]
        for w in dwins:
            t = max(w.start, earliest)
            if t <= w.end and t + o.service + dur[d, end] <= E:
                return None
        return "window_unreachable"
    p = o.pickup.location
    hp, tpd = o.pickup.handling, int(dur[p, d])
    limit = o.ride_limit
    if limit is not None and tpd > limit:
        return "ride_time"
    ride = limit if limit is not None else 10 ** 12
    for wp in clip(_wins(o.pickup.windows, a.shift), problem.now):
        for wd in dwins:
            latest = min(wd.end, E - o.service - int(dur[d, end]))
            lo = max(wp.start, S + int(dur[a.start, p]), wd.start - hp - ride)
            hi = min(wp.end, latest - hp - tpd)
            if wd.start <= latest and lo <= hi:
                return None
    return "window_unreachable"


def _covers(a: Assistant, o: Order) -> bool:
    return any(w.start <= a.shift.end and w.end >= a.shift.start for w in o.windows) or not o.windows


def why_alone(problem: Problem, o: Order) -> Unplanned | None:
    """The reason no assistant can take ``o`` even alone, or ``None`` if one can."""
    locks = [k for k in problem.locks if k.order_id == o.id]
    team = [problem.assistant(locks[0].assistant_id)] if locks else list(problem.assistants)
    if not team:
        return Unplanned(o.id, "no_shift", "no assistant works today")
    codes = [alone(problem, o, a) for a in team]
    if None in codes:
        return None
    wins = ", ".join(str(w) for w in o.windows)
    if locks and any(alone(problem, o, a) is None for a in problem.assistants):
        return Unplanned(o.id, "locked", f"locked to {team[0].name or team[0].id}, who cannot "
                         f"do it in their shift {team[0].shift}; another assistant could")
    if all(c == "capacity" for c in codes):
        big = max(a.capacity for a in team)
        return Unplanned(o.id, "capacity", f"crate capacity: the order needs {o.size} crate units, "
                         f"the largest load an assistant can carry is {big}")
    if "ride_time" in codes and all(c in ("ride_time", "capacity") for c in codes):
        place = PLACE.get(o.kind, "the pickup place")
        mins = min(int(problem.durations[a.mode][o.pickup.location, o.location]) for a in team) // 60
        return Unplanned(o.id, "ride_time", f"hot meal: the door is {mins} min from {place}, more "
                         f"than the {o.ride_limit // 60} min a hot meal may travel")
    if o.windows and not any(_covers(a, o) for a in team):
        return Unplanned(o.id, "no_shift", f"no assistant has a shift covering {wins}")
    if problem.now is not None and o.windows and all(w.end < problem.now for w in o.windows):
        return Unplanned(o.id, "window_unreachable",
                         f"time window {wins} has passed (it is now {hhmm(problem.now)})")
    if o.pickup is not None and o.pickup.windows:
        opens = min(w.start for w in o.pickup.windows)
        place = PLACE.get(o.kind, "the pickup place")
        return Unplanned(o.id, "window_unreachable", f"time window {wins or 'of the shift'} cannot "
                         f"be reached after {place} opens at {hhmm(opens)}")
    return Unplanned(o.id, "window_unreachable", f"time window {wins or 'of the shift'} cannot be "
                     "reached from the start of any shift in time")


def _latest(problem: Problem, a: Assistant, route) -> list[int]:
    """Per visit the latest start that keeps the rest of the round (windows, shift end) intact."""
    dur = problem.durations[a.mode]
    latest = [0] * len(route.visits)
    nxt = a.shift.end - int(dur[route.visits[-1].location, a.end_location])
    for k in range(len(route.visits) - 1, -1, -1):
        v = route.visits[k]
        o = problem.order(v.order_id)
        wins = o.pickup.windows if v.action == "pickup" else o.windows
        service = v.end - v.start
        limit = nxt - service
        fit = [w for w in wins if w.start <= limit] if wins else None
        latest[k] = min(limit, fit[-1].end) if fit else (limit if fit is None else -1)
        if k:
            nxt = latest[k] - int(dur[route.visits[k - 1].location, v.location])
    return latest


def _first_start(t: int, wins, now: int | None) -> int | None:
    t = max(t, now) if now is not None else t
    for w in wins:
        if w.end >= t:
            return max(t, w.start)
    return None if wins else t


def _insertable(problem: Problem, a: Assistant, route, o: Order, first: int) -> bool:
    """Could ``o`` go between two stops of this round (a pair: pickup straight before delivery)
    without breaking a window, the shift end or the capacity? Push-forward check in O(stops)."""
    dur = problem.durations[a.mode]
    latest = _latest(problem, a, route)
    base = route.start_load
    loads = [base] + [v.load for v in route.visits]
    for i in range(first, len(route.visits) + 1):
        here, t = (a.start, route.departure) if i == 0 else (route.visits[i - 1].location, route.visits[i - 1].end)
        until = route.visits[i].start if i < len(route.visits) else route.finish
        t += sum(b.end - b.start for b in route.breaks if t <= b.start and b.end <= until)  # break stays here
        if o.pickup is None:
            peak = max(loads[:i + 1]) + o.size
        else:
            peak = loads[i] + o.size
        if peak > a.capacity:
            continue
        if o.pickup is not None:
            tp = _first_start(t + int(dur[here, o.pickup.location]), o.pickup.windows, problem.now)
            if tp is None:
                continue
            t, here = tp + o.pickup.handling, o.pickup.location
        td = _first_start(t + int(dur[here, o.location]), o.windows, problem.now)
        if td is None or (o.pickup is not None and o.ride_limit is not None and td - t > o.ride_limit):
            continue
        t = td + o.service
        if i < len(route.visits):
            if t + int(dur[o.location, route.visits[i].location]) <= latest[i]:
                return True
        elif t + int(dur[o.location, a.end_location]) <= a.shift.end:
            return True
    return False


def why_left_out(problem: Problem, plan: Plan, o: Order, done_ids: set[str]) -> Unplanned:
    """The search left ``o`` out: would it fit anywhere in the plan as it is?"""
    placed = [k for k in problem.locks if k.order_id == o.id and k.position is not None]
    if placed:
        k = placed[0]
        return Unplanned(o.id, "locked", f"locked at stop {k.position + 1} of the round of "
                         f"{k.assistant_id}; no plan keeps it there (move or unlock it)")
    for route in plan.routes:
        a = problem.assistant(route.assistant_id)
        if any(k.order_id == o.id and k.assistant_id != a.id for k in problem.locks):
            continue
        if alone(problem, o, a) is not None:
            continue
        if not route.visits:
            return _time_limit(o, a)
        fixed = sum(1 for v in route.visits if v.order_id in done_ids)
        if _insertable(problem, a, route, o, fixed):
            return _time_limit(o, a)
    return Unplanned(o.id, "over_full", "the day is full: no round has room for it without "
                     "dropping a more important order (add an assistant or move the order)")


def _time_limit(o: Order, a: Assistant) -> Unplanned:
    return Unplanned(o.id, "time_limit", f"fits in the round of {a.name or a.id}, but the search "
                     "stopped before placing it: plan again with more time")
