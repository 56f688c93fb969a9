"""After the search: a left-out order takes the place of a less important one.

On a full day the searches can end with a parcel in the slot a hot meal needed: each only moves
or inserts, and a meal whose window is taken fits nowhere one step away. Here every left-out
order (most important first) is tried in the round of each nearby planned order of lower
priority, with that one taken out; where it fits, the taken-out order is put back wherever it
still fits, and otherwise goes unplanned: the day then misses a parcel instead of a meal, which
is what the priorities say a coordinator wants.

The same move, allowed for an order of equal priority, is the advice "fits if parcel #40 goes
to tomorrow" (:mod:`.advice`). Everything is counted (victims per order, places per try), so a
plan is reproducible.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Order, Plan, Problem, Route
from .insert import place, schedule

VICTIMS = 6
"""Planned orders tried per left-out order (the nearest in place and time)."""
TRIES = 40
"""Places timed in full per try (cheapest detour first)."""
DEPTH = 3
"""Orders of one round that may make way together (a house call needs the time of three
parcels); fewer than ten, so that what comes in always outweighs what goes out."""


def without(problem: Problem, routes: dict[str, Route], order_id: str) -> dict[str, Route] | None:
    """``routes`` with ``order_id`` taken out of its round (re-timed), or None if that round no
    longer holds (a round is not always monotone: a break may have to move)."""
    for aid, r in routes.items():
        if any(v.order_id == order_id for v in r.visits):
            seq = [(v.order_id, v.action) for v in r.visits if v.order_id != order_id]
            new = schedule(problem, problem.assistant(aid), seq, r)
            return None if new is None else {**routes, aid: new}
    return None


def _gap(t: int, o: Order) -> int:
    """Seconds between ``t`` and the nearest moment ``o`` may be served (0 inside a window)."""
    if not o.windows:
        return 0
    return min(0 if w.start <= t <= w.end else min(abs(t - w.start), abs(t - w.end)) for w in o.windows)


def victims(problem: Problem, routes: dict[str, Route], o: Order, equal: bool = False,
            limit: int = VICTIMS) -> list[tuple[str, str]]:
    """(order id, assistant id) of planned orders of lower priority (``equal``: of the same
    priority) nearest to ``o`` in travel and time; done and locked orders never move."""
    fixed = {d.order_id for d in problem.done} | {k.order_id for k in problem.locks}
    out = []
    for aid, r in routes.items():
        dur = problem.durations[problem.assistant(aid).mode]
        for v in r.visits:
            if v.action != "delivery" or v.order_id in fixed:
                continue
            q = problem.order(v.order_id)
            if (q.rank != o.rank) if equal else (q.rank <= o.rank):
                continue
            near = int(dur[q.location, o.location]) + int(dur[o.location, q.location]) + _gap(v.start, o)
            out.append((near, v.order_id, aid))
    out.sort()
    return [(oid, aid) for _, oid, aid in out[:limit]]


def swap(problem: Problem, routes: dict[str, Route], o: Order, equal: bool = False,
         limit: int = VICTIMS, depth: int = DEPTH) -> tuple[dict[str, Route], list[str]] | None:
    """``routes`` with ``o`` in the round of nearby orders that made way (up to ``depth`` of
    them from one round, nearest first), and their ids."""
    near = victims(problem, routes, o, equal, limit)
    for qid, aid in near:
        freed: dict[str, Route] | None = routes
        gone: list[str] = []
        for rid, _raid in [(qid, aid)] + [x for x in near if x[1] == aid and x[0] != qid][:depth - 1]:
            freed = without(problem, freed, rid) if freed is not None else None
            if freed is None:
                break
            gone.append(rid)
            new = place(problem, freed, o, only=aid, tries=TRIES)
            if new is not None:
                return {**freed, aid: new}, gone
    return None


PASSES = 4
"""Passes over the left-out orders at most: what made way for one order may have made room
for another (or be worth putting back in the place of a still less important one)."""


def improve(problem: Problem, plan: Plan, left_out: list[Order]) -> tuple[Plan, list[str], list[str]]:
    """``plan`` after letting left-out orders displace less important ones; the ids of
    ``left_out`` that came in and of planned orders that went out (each less important than
    one that took its place).
    Every swap plans an order of some priority in place of orders of lower priorities only, so
    the planned count per priority improves with each one (most important first) and the
    passes end; an order that made way is tried again in the next pass."""
    routes = {r.assistant_id: r for r in plan.routes}
    came: list[str] = []
    went: list[str] = []
    lowest = max((o.rank for o in problem.orders), default=0)
    for _ in range(PASSES):
        planned = {v.order_id for r in routes.values() for v in r.visits}
        waiting = sorted({o.id: o for o in left_out + [problem.order(q) for q in went]
                          if o.id not in planned and o.rank < lowest}.values(), key=lambda o: o.rank)
        before = len(came)
        for o in waiting:
            if o.id in planned:
                continue
            done = swap(problem, routes, o)
            if done is None:
                continue
            routes, gone = done
            came.append(o.id)
            planned.add(o.id)
            for qid in gone:
                planned.discard(qid)
                back = place(problem, routes, problem.order(qid), tries=TRIES)
                if back is not None:
                    routes = {**routes, back.assistant_id: back}
                    planned.add(qid)
                else:
                    went.append(qid)
        if len(came) == before:
            break
    planned = {v.order_id for r in routes.values() for v in r.visits}
    return (replace(plan, routes=[routes[r.assistant_id] for r in plan.routes]),
            list(dict.fromkeys(q for q in came if q in planned and q in {o.id for o in left_out})),
            list(dict.fromkeys(q for q in went if q not in planned)))
