"""Why an order is not in the plan, in words a coordinator understands.

Before solving, orders no assistant could do even alone are taken out with a reason (capacity,
ride time, no shift, window unreachable, a lock that cannot hold). After solving, the orders the
search left out are tried at the places of the plan (:mod:`.insert`); what fits nowhere is
``over_full``, whose sentence :mod:`.advice` then replaces by the cheapest change found by
trying that would let it in. ``time_limit`` is left for a search that found no plan at all.
"""

from __future__ import annotations

from ..model import Assistant, Order, Problem, TimeWindow, Unplanned, hhmm
from .engine import clip

PLACE = {"medicine": "the pharmacy", "meal": "the meal kitchen", "parcel": "the parcel point"}
SHIFT = "of the shift"
FULL = ("the day is full: at every place in every round it would break a time window, a shift "
        "end, a break or the crate capacity (add an assistant or move the order)")
FULL_STOPPED = ("the day is full: at every place in every round it would break a time window, a "
                "shift end, a break or the crate capacity; planning again with more time may "
                "still make room")


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
        return Unplanned.because(o.id, "no_shift", "no assistant works today")
    codes = [alone(problem, o, a) for a in team]
    if None in codes:
        return None
    wins = ", ".join(str(w) for w in o.windows)
    if locks and any(alone(problem, o, a) is None for a in problem.assistants):
        return Unplanned.because(o.id, "locked", "locked to {name}, who cannot do it in their "
                                 "shift {shift}; another assistant could",
                                 name=team[0].name or team[0].id, shift=team[0].shift)
    if all(c == "capacity" for c in codes):
        big = max(a.capacity for a in team)
        return Unplanned.because(o.id, "capacity", "crate capacity: the order needs {size} crate "
                                 "units, the largest load an assistant can carry is {largest}",
                                 size=o.size, largest=big)
    if "ride_time" in codes and all(c in ("ride_time", "capacity") for c in codes):
        place = PLACE.get(o.kind, "the pickup place")
        assert o.pickup is not None and o.ride_limit is not None  # a ride needs both
        mins = min(int(problem.durations[a.mode][o.pickup.location, o.location]) for a in team) // 60
        return Unplanned.because(o.id, "ride_time", "hot meal: the door is {minutes} min from "
                                 "{place}, more than the {limit} min a hot meal may travel",
                                 minutes=mins, place=place, limit=o.ride_limit // 60)
    if o.windows and not any(_covers(a, o) for a in team):
        return Unplanned.because(o.id, "no_shift", "no assistant has a shift covering {windows}",
                                 windows=wins)
    if problem.now is not None and o.windows and all(w.end < problem.now for w in o.windows):
        return Unplanned.because(o.id, "window_unreachable",
                                 "time window {windows} has passed (it is now {now})",
                                 windows=wins, now=hhmm(problem.now))
    if o.pickup is not None and o.pickup.windows:
        opens = min(w.start for w in o.pickup.windows)
        place = PLACE.get(o.kind, "the pickup place")
        return Unplanned.because(o.id, "window_unreachable", "time window {windows} cannot be "
                                 "reached after {place} opens at {opens}",
                                 windows=wins or SHIFT, place=place, opens=hhmm(opens))
    return Unplanned.because(o.id, "window_unreachable", "time window {windows} cannot be reached "
                             "from the start of any shift in time", windows=wins or SHIFT)


def why_left_out(problem: Problem, o: Order, stopped: bool = False) -> Unplanned:
    """The search left ``o`` out and :func:`.insert.fill` found no place for it in the plan.
    ``stopped``: the search ended on its time limit, so a longer one may still find room."""
    placed = [k for k in problem.locks if k.order_id == o.id and k.position is not None]
    if placed:
        k = placed[0]
        assert k.position is not None
        a = problem.assistant(k.assistant_id)
        return Unplanned.because(o.id, "locked", "locked at stop {position} of the round of "
                                 "{name}; no plan keeps it there (move or unlock it)",
                                 position=k.position + 1, name=a.name or a.id)
    # ``stopped`` no longer changes the sentence: a longer search was measured to change
    # nothing on a full day, and "plan again with more time" is no control a coordinator has.
    # :mod:`.advice` replaces this with the change that was found to make room.
    return Unplanned.because(o.id, "over_full", FULL)
