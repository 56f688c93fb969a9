"""House calls (huisbezoeken) in the slack of a day's rounds.

The Apeldoorn assistants rang at more than ten thousand doors "at varying days and times, so
that everyone is reached". A campaign names the doors; this module decides, for one planned
day, which doors each round can ring at and when, without pushing out or moving any order:

* A house call goes only where a round is idle: from the shift's start to the first stop,
  waiting before a time window, or after its last stop until the shift ends. Every stop of
  the plan keeps its assistant, its place in the round and its start time, so the round the
  assistant already has stays true; only leaving and coming back may move, within the shift.
* A door is rung at a part of the day (morning, midday, afternoon) it was not tried at since
  it was last reached, and doors never tried, and doors not tried on this weekday, come first.
* A door that opened (or said "not interested") is not rung again within the campaign's
  interval; "not interested" ends the campaign for that door; a door that did not open, or
  asked to come back later, may be tried again from the next day on.

:func:`insert` returns the day with the calls added as orders of kind "visit", so the
independent checker (``routing.check``) can hold the result to every rule of the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from .model import Assistant, Order, Plan, Problem, Route, TimeWindow, Visit

H = 3600
#: Parts of the day a door is tried at in turn.
PARTS: tuple[tuple[str, int, int], ...] = (("morning", 9 * H, 12 * H),
                                          ("midday", 12 * H, 14 * H + 30 * 60),
                                          ("afternoon", 14 * H + 30 * 60, 18 * H))
REACHED = ("opened", "talked", "not_interested")
#: A door is near a round when it is at most this far (travel) from one of its stops.
NEAR_SECONDS = 10 * 60
CALL_PREFIX = "h"


@dataclass(frozen=True)
class Attempt:
    day: date
    at: int  # seconds since midnight
    outcome: str  # rung, opened, talked, not_interested, come_back


@dataclass(frozen=True)
class Door:
    """A campaign's door: ``location`` indexes the problem's matrices."""

    id: str
    location: int
    label: str = ""
    attempts: tuple[Attempt, ...] = ()


@dataclass(frozen=True)
class Call:
    """A planned house call: which door, in whose round, after which stop, when."""

    door_id: str
    assistant_id: str
    after: int  # index of the route's visit it follows (-1: before the first)
    start: int
    end: int
    part: str


@dataclass
class Result:
    problem: Problem  # the day's problem with the calls as "visit" orders
    plan: Plan  # the plan with the calls in the rounds
    calls: list[Call] = field(default_factory=list)


def with_doors(problem: Problem, durations: dict[str, np.ndarray],
               distances: dict[str, np.ndarray]) -> Problem:
    """``problem`` over matrices that also reach the doors (indices from ``problem.size`` on,
    as the caller added them). The day's own block stays exactly as it was planned on (a
    larger graph snaps streets a little differently), so the plan keeps adding up."""
    n = problem.size
    dur, dist = {}, {}
    for mode in problem.durations:
        dur[mode] = np.array(durations[mode], dtype=np.int64, copy=True)
        dist[mode] = np.array(distances[mode], dtype=float, copy=True)
        dur[mode][:n, :n] = problem.durations[mode]
        dist[mode][:n, :n] = problem.distances[mode]
    return replace(problem, durations=dur, distances=dist)


def slack(problem: Problem, plan: Plan) -> int:
    """Seconds the rounds are idle within their shifts: before leaving, waiting at stops, and
    from coming back to the shift's end (rounds with stops only)."""
    total = 0
    for route in (r for r in plan.routes if r.visits):
        a = problem.assistant(route.assistant_id)
        total += (route.departure - a.shift.start) + route.wait + (a.shift.end - route.finish)
    return total


def part_of(t: int) -> str:
    for name, start, end in PARTS:
        if start <= t < end:
            return name
    return "morning" if t < PARTS[0][1] else "afternoon"


def due(door: Door, day: date, min_interval_days: int) -> bool:
    """May ``door`` be rung on ``day``: not twice within the interval once reached, never
    after "not interested", not twice on one day."""
    for a in door.attempts:
        if a.day >= day:
            return False
        if a.outcome == "not_interested":
            return False
        if a.outcome in REACHED and day < a.day + timedelta(days=min_interval_days):
            return False
    return True


def windows_for(door: Door) -> tuple[TimeWindow, ...]:
    """The parts of the day not tried since the door was last reached (all three when every
    part was tried: the round starts over)."""
    since = [a for a in door.attempts if a.outcome not in REACHED]
    reached = [a.day for a in door.attempts if a.outcome in REACHED]
    if reached:
        since = [a for a in since if a.day > max(reached)]
    tried = {part_of(a.at) for a in since}
    left = [p for p in PARTS if p[0] not in tried] or list(PARTS)
    return tuple(TimeWindow(start, end - 1) for _name, start, end in left)


def rank(door: Door, day: date) -> tuple[int, int, int]:
    """Ordering of doors (smaller first): never tried; not tried on this weekday; fewest
    attempts."""
    weekdays = {a.day.weekday() for a in door.attempts}
    return (1 if door.attempts else 0, 1 if day.weekday() in weekdays else 0,
            len(door.attempts))


def _fits(window: tuple[TimeWindow, ...], t: int) -> int | None:
    """The first start at or after ``t`` inside one of the windows, or None."""
    for w in window:
        if t <= w.end:
            return max(t, w.start)
    return None


@dataclass
class _Slot:
    """An idle stretch of a round: from ``free`` at ``here`` until the next stop (or the way
    back) must leave; ``after`` is the visit before it (-1 at the start)."""

    after: int
    here: int
    free: int
    next_place: int
    latest_arrival: int  # at next_place (the next stop's start, or the shift's end)
    brk: TimeWindow | None  # a break that lies in this stretch


def insert(problem: Problem, plan: Plan, doors: list[Door], day: date,
           call_seconds: int = 10 * 60, near_seconds: int = NEAR_SECONDS) -> Result:
    """Fill the idle time of ``plan``'s rounds with calls at ``doors`` (already filtered by
    :func:`due`), best-ranked doors first and, among equals, the smallest detour."""
    calls: list[Call] = []
    taken: set[str] = set()
    ordered = sorted(doors, key=lambda d: (rank(d, day), d.id))
    for route in plan.routes:
        if not route.visits:
            continue
        a = problem.assistant(route.assistant_id)
        dur = problem.durations[a.mode]
        stops = {v.location for v in route.visits} | {a.start}
        near = [d for d in ordered if d.id not in taken and min(
            min(int(dur[s, d.location]), int(dur[d.location, s])) for s in stops) <= near_seconds]
        chain = _Chain(route, a, problem.now or 0)
        for door in near:
            best = None
            for slot in chain.slots():
                start = _place(slot, door, windows_for(door), call_seconds, dur)
                if start is None:
                    continue
                detour = (int(dur[slot.here, door.location]) + int(dur[door.location,
                          slot.next_place]) - int(dur[slot.here, slot.next_place]))
                if best is None or detour < best[0]:
                    best = (detour, slot, start)
            if best is None:
                continue
            _detour, slot, start = best
            chain.add(door, start, call_seconds)
            taken.add(door.id)
            calls.append(Call(door.id, route.assistant_id, slot.after, start,
                              start + call_seconds, part_of(start)))
    return _result(problem, plan, doors, calls, call_seconds)


def _place(slot: _Slot, door: Door, windows: tuple[TimeWindow, ...], service: int,
           dur: np.ndarray) -> int | None:
    """The start of a call at ``door`` in ``slot`` (around its break), or None if none fits."""
    go, back = int(dur[slot.here, door.location]), int(dur[door.location, slot.next_place])
    options: list[tuple[int, int, int | None]] = []
    if slot.brk is None:
        options.append((slot.free + go, 0, None))
    else:
        length = slot.brk.end - slot.brk.start
        options.append((slot.free + go, length, slot.brk.start))  # call before the break
        options.append((max(slot.free + go + length, slot.brk.end), 0, None))  # after it
    for earliest, break_after, must_end_by in options:
        start = _fits(windows, earliest)
        if start is None:
            continue
        end = start + service
        if must_end_by is not None and end > must_end_by:
            continue
        if end + back + break_after <= slot.latest_arrival:
            return start
    return None


class _Chain:
    """A round's stops and the calls added so far, in time order, to find idle stretches."""

    def __init__(self, route: Route, assistant: Assistant, now: int):
        self.route, self.assistant, self.now = route, assistant, now
        #: (start, end, location, visit index or None for a call)
        self.items: list[tuple[int, int, int, int | None]] = [
            (v.start, v.end, v.location, i) for i, v in enumerate(route.visits)]

    def slots(self) -> list[_Slot]:
        """Idle stretches; the first runs from the shift's start (the round may leave earlier
        for a call on the way to its first stop)."""
        out = []
        here, free, after = self.assistant.start, self.assistant.shift.start, -1
        for start, end, location, index in self.items:
            if start > self.now:  # nothing goes in before now (a re-plan during the day)
                out.append(_Slot(after, here, max(free, self.now), location, start,
                                 self._break(free, start)))
            here, free = location, end
            after = index if index is not None else after
        out.append(_Slot(after, here, max(free, self.now), self.assistant.end_location,
                         self.assistant.shift.end, self._break(free, self.assistant.shift.end)))
        return out

    def _break(self, lo: int, hi: int) -> TimeWindow | None:
        return next((b for b in self.route.breaks if lo <= b.start and b.end <= hi), None)

    def add(self, door: Door, start: int, service: int) -> None:
        self.items.append((start, start + service, door.location, None))
        self.items.sort(key=lambda item: item[0])


def _result(problem: Problem, plan: Plan, doors: list[Door], calls: list[Call],
            call_seconds: int) -> Result:
    """The problem with each call as a "visit" order and the plan with it in its round, every
    time recomputed as the checker will: stops keep their start, arrivals and waits follow."""
    by_id = {d.id: d for d in doors}
    orders = [Order(CALL_PREFIX + c.door_id, "visit", by_id[c.door_id].location,
                    by_id[c.door_id].label, windows=windows_for(by_id[c.door_id]),
                    praatje=call_seconds - 60, handling=60, size=0, priority=9)
              for c in calls]
    extended = replace(problem, orders=problem.orders + tuple(orders))
    routes = []
    for route in plan.routes:
        mine = sorted((c for c in calls if c.assistant_id == route.assistant_id),
                      key=lambda c: c.start)
        if not mine:
            routes.append(route)
            continue
        a = problem.assistant(route.assistant_id)
        dur, dist = problem.durations[a.mode], problem.distances[a.mode]
        made = [Visit(CALL_PREFIX + c.door_id, "delivery", by_id[c.door_id].location,
                      by_id[c.door_id].label, 0, 0, c.start, c.end, 0, 0, 0.0) for c in mine]
        timed = sorted([(v.start, v) for v in route.visits] + [(v.start, v) for v in made],
                       key=lambda item: item[0])
        is_call = {id(v) for v in made}
        departure = route.departure
        if timed[0][1] is not route.visits[0]:  # a call first: leave in time for it
            departure = min(departure, timed[0][0] - int(dur[a.start, timed[0][1].location]))
        visits, here, prev_end, load = [], a.start, departure, route.start_load
        for _start, v in timed:
            in_gap = sum(b.end - b.start for b in route.breaks
                         if prev_end <= b.start and b.end <= v.start)
            travel = int(dur[here, v.location])
            arrival = prev_end + travel + in_gap
            if id(v) in is_call:
                v_load = load
            else:
                v_load = load = v.load
            visits.append(replace(v, arrival=arrival, wait=v.start - arrival, travel=travel,
                                  distance=float(dist[here, v.location]), load=v_load))
            here, prev_end = v.location, v.end
        back = int(dur[here, a.end_location])
        finish = prev_end + back  # plus a break taken on the way back, as the checker counts
        for b in sorted(route.breaks, key=lambda b: b.start):
            if prev_end <= b.start < finish:
                finish += b.end - b.start
        routes.append(Route(route.assistant_id, departure, visits, finish, back,
                            float(dist[here, a.end_location]), list(route.breaks),
                            route.start_load))
    new_plan = Plan(routes, list(plan.unplanned), plan.cost, [], dict(plan.stats))
    return Result(extended, new_plan, calls)
