"""For each order the day left out: the cheapest change that lets it in, found by trying.

"The day is full" does not help a coordinator decide. What does: which small change would make
room. Each change is tried on the finished plan with the solver's own scheduler
(:func:`.insert.schedule`), so every sentence is true of this plan, one order at a time (two
pieces of advice may want the same room):

1. orders of *lower* priority nearby go to tomorrow (up to three of one round);
2. one assistant works longer: the shift end that makes the round with the order hold,
   rounded up to a quarter hour, at most ``LONGER`` later (the smallest such change wins);
3. orders of the *same* priority go to tomorrow;
4. one more assistant (on the first assistant's mode and start), for the hours the order needs.

What no change makes fit keeps the plain "the day is full". The work is counted (orders advised
in full, places tried), never timed, so a plan and its advice are reproducible.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Assistant, Order, Plan, Problem, Route, TimeWindow, Unplanned, hhmm
from . import exchange
from .insert import _candidates, _round, _stops, schedule

LONGER = 2 * 3600
"""The longest shift extension offered."""
QUARTER = 15 * 60
ADVISED_IN_FULL = 40
"""Left-out orders (most important first) for which swaps and longer shifts are tried; the rest
get only the cheap check of an extra assistant."""
TRIES = 30
ORDINAL = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}
KIND_ONE = {"medicine": "medicine", "meal": "meal", "parcel": "parcel", "visit": "visit", "klusje": "job"}

MAKE_WAY = "fits in the round of {name} if {what} {ids} moves to another day"
MAKE_WAY_MANY = "fits in the round of {name} if {what} {ids} move to another day"
LONGER_SHIFT = "fits in the round of {name} if the shift lasts until {until}"
EXTRA = "fits with a {nth} assistant from {start} to {end}"


def _up(t: int) -> int:
    return -(-t // QUARTER) * QUARTER


def _down(t: int) -> int:
    return t // QUARTER * QUARTER


def _name(a: Assistant) -> str:
    return a.name or a.id


def _fit(problem: Problem, a: Assistant, route: Route, o: Order) -> Route | None:
    """The round ``route`` of ``a`` (with ``a``'s shift as given) with ``o`` in, or None."""
    done = {(d.order_id, d.action) for d in problem.done}
    first = sum(1 for v in route.visits if (v.order_id, v.action) in done)
    r = _round(problem, a, route, first)
    for c in _candidates(problem, a, r, o)[:TRIES]:
        new = schedule(problem, a, _stops(r, o, c), route)
        if new is not None:
            return new
    return None


def make_way(problem: Problem, routes: dict[str, Route], o: Order, equal: bool) -> Unplanned | None:
    """Orders of lower priority (up to three of one round) or one of the same priority
    (``equal``) that, gone, let ``o`` in."""
    done = exchange.swap(problem, routes, o, equal=equal, depth=1 if equal else exchange.DEPTH)
    if done is None:
        return None
    new, gone = done
    aid = next(aid for aid, r in new.items() if any(v.order_id == o.id for v in r.visits))
    kinds = {problem.order(q).kind for q in gone}
    what = KIND_ONE[kinds.pop()] if len(kinds) == 1 else "order"
    if len(gone) > 1:
        what += "s"
    return Unplanned.because(o.id, "over_full", MAKE_WAY_MANY if len(gone) > 1 else MAKE_WAY,
                             name=_name(problem.assistant(aid)), what=what,
                             ids=", ".join(f"#{q}" for q in gone))


def longer_shift(problem: Problem, routes: dict[str, Route], o: Order) -> tuple[int, Unplanned] | None:
    """The smallest later shift end of one assistant that lets ``o`` into their round."""
    best = None
    for a in problem.assistants:
        if any(k.order_id == o.id and k.assistant_id != a.id for k in problem.locks):
            continue
        longer = replace(a, shift=TimeWindow(a.shift.start, a.shift.end + LONGER))
        new = _fit(problem, longer, routes[a.id], o)
        if new is None:
            continue
        until = _up(new.finish)
        if until <= a.shift.end:  # fits without a longer shift: not this reason
            continue
        if best is None or until - a.shift.end < best[0]:
            best = (until - a.shift.end, Unplanned.because(o.id, "over_full", LONGER_SHIFT,
                                                            name=_name(a), until=hhmm(until)))
    return best


def extra_assistant(problem: Problem, o: Order) -> Unplanned | None:
    """One more assistant like the first, only for ``o``: the hours that round needs."""
    if not problem.assistants:
        return None
    first = problem.assistants[0]
    day = TimeWindow(min(a.shift.start for a in problem.assistants),
                     max(a.shift.end for a in problem.assistants))
    extra = Assistant("extra", mode=first.mode, shift=day, start=first.start, end=first.end,
                      capacity=max(a.capacity for a in problem.assistants))
    stops = ([(o.id, "pickup")] if o.pickup is not None else []) + [(o.id, "delivery")]
    route = schedule(problem, extra, stops)
    if route is None:
        return None
    start, end = _down(route.departure), _up(route.finish)
    # true as said: the round holds within the rounded hours too
    if schedule(problem, replace(extra, shift=TimeWindow(start, end)), stops) is None:
        return None
    nth = ORDINAL.get(len(problem.assistants) + 1, f"{len(problem.assistants) + 1}th")
    return Unplanned.because(o.id, "over_full", EXTRA, nth=nth, start=hhmm(start), end=hhmm(end))


def advise(problem: Problem, plan: Plan) -> Plan:
    """``plan`` with every "day is full" reason replaced by the cheapest change that was found
    to let the order in; other reasons (a window nobody can reach, a lock) stay as they are."""
    routes = {r.assistant_id: r for r in plan.routes}
    full = sorted((u for u in plan.unplanned if u.code == "over_full"),
                  key=lambda u: problem.order(u.order_id).rank)
    said: dict[str, Unplanned] = {}
    for k, u in enumerate(full):
        o = problem.order(u.order_id)
        found = None
        if k < ADVISED_IN_FULL:
            found = make_way(problem, routes, o, equal=False)
            longer = None if found else longer_shift(problem, routes, o)
            if found is None and longer is not None and longer[0] <= 3600:
                found = longer[1]
            found = found or make_way(problem, routes, o, equal=True) or (longer[1] if longer else None)
        locked = any(k.order_id == o.id for k in problem.locks)  # an extra assistant cannot take it
        said[u.order_id] = found or (None if locked else extra_assistant(problem, o)) or u
    return replace(plan, unplanned=[said.get(u.order_id, u) for u in plan.unplanned])
