"""Re-planning during the day without reshuffling it.

A coordinator who moves one stop, or an assistant who marks one "niet thuis", expects that
stop's rounds to change and nothing else. A fresh search from scratch cannot promise that (one
move once changed the assistant of 34 of 61 stops), so the live day re-plans by *repair*:
the previous plan is the reference and every change is the smallest that makes it hold again.

1. Every round keeps its stops in their order: done stops first (in the order they were done,
   with the assistant who did them), then the rest of the previous round, less what was
   cancelled, moved away (a lock to someone else) or is now carried by someone else.
2. Goods on a bike stay on that bike: a delivery whose pickup (or a return whose "pickup" at
   the door) was done by an assistant goes into that assistant's round, at its cheapest place.
3. Each round is timed again from ``now`` (:func:`routing.solver.insert.schedule`). Only a
   round that no longer holds (a window missed after a delay, a carried delivery that fits
   nowhere in it, a lock that cannot be kept by insertion) is searched again, on its own.
4. Orders that are not in any round (new, moved, left out before) are inserted where they fit,
   cheapest detour first (:func:`routing.solver.insert.fill`): adding a stop to a round is a
   local change too.

The result says which rounds were searched again (``stats["searched"]``), and
:func:`changes` compares two plans the way a coordinator reads them. Pure functions: the same
problem, previous plan and parameters give the same plan.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .check import check
from .model import Plan, Problem, Route, hhmm
from .solver import SolveParams, reasons, solve
from .solver.insert import fill, schedule

Stop = tuple[str, str]
SHIFTED = 10 * 60
"""A stop whose time moved by more than this is reported as shifted."""


def _owners(problem: Problem) -> dict[str, str]:
    """The assistant each order must stay with: whoever did one of its stops (the goods or the
    door are theirs), else the assistant a coordinator locked it to."""
    owner = {k.order_id: k.assistant_id for k in problem.locks}
    for d in sorted(problem.done, key=lambda d: d.start):
        owner[d.order_id] = d.assistant_id
    return owner


def sequences(problem: Problem, base: Plan) -> dict[str, list[Stop]]:
    """Per assistant the stops the previous plan gives them that still belong to them, done
    stops first in the order they were done (step 1)."""
    ids = {o.id for o in problem.orders}
    owner = _owners(problem)
    before = base.sequences()
    out: dict[str, list[Stop]] = {}
    for a in problem.assistants:
        done = [(d.order_id, d.action) for d in sorted(problem.done, key=lambda d: d.start)
                if d.assistant_id == a.id]
        rest = [s for s in before.get(a.id, ()) if s[0] in ids and s not in done
                and owner.get(s[0], a.id) == a.id]
        out[a.id] = done + rest
    return out


def _carried(problem: Problem, seqs: dict[str, list[Stop]]) -> list[tuple[str, Stop]]:
    """Deliveries of goods already on someone's bike that are in no round yet (step 2)."""
    there = {s for seq in seqs.values() for s in seq}
    out = []
    for d in sorted(problem.done, key=lambda d: (d.start, d.order_id)):
        if d.action == "pickup" and (d.order_id, "delivery") not in there:
            out.append((d.assistant_id, (d.order_id, "delivery")))
            there.add((d.order_id, "delivery"))
    return out


def _cost(route: Route) -> tuple[int, int]:
    return (sum(v.travel for v in route.visits) + route.back_travel, route.finish)


def insert_delivery(problem: Problem, assistant_id: str, stops: list[Stop], stop: Stop,
                    keep: Route | None) -> Route | None:
    """The round with ``stop`` at its cheapest feasible place after the done stops, or None."""
    a = problem.assistant(assistant_id)
    done = {(d.order_id, d.action) for d in problem.done}
    first = sum(1 for s in stops if s in done)
    best = None
    for at in range(first, len(stops) + 1):
        route = schedule(problem, a, stops[:at] + [stop] + stops[at:], keep)
        if route is not None and (best is None or _cost(route) < _cost(best)):
            best = route
    return best


def _subproblem(problem: Problem, assistant_ids: set[str], order_ids: set[str],
                first: frozenset[str] = frozenset()) -> Problem:
    """The day of ``assistant_ids`` with ``order_ids`` only; orders in ``first`` (a
    coordinator's lock) outrank every other."""
    orders = tuple(replace(o, priority=1) if o.id in first else o
                   for o in problem.orders if o.id in order_ids)
    return Problem(orders,
                   tuple(a for a in problem.assistants if a.id in assistant_ids),
                   problem.durations, problem.distances, problem.weights,
                   tuple(d for d in problem.done if d.order_id in order_ids),
                   tuple(k for k in problem.locks if k.order_id in order_ids
                         and k.assistant_id in assistant_ids),
                   problem.now, problem.name)


SEARCH_SECONDS = 5.0
"""A round searched again during the day gets at most this long (it is one or two rounds)."""


def _search(problem: Problem, who: set[str], orders: set[str], params: SolveParams,
            first: frozenset[str] = frozenset(),
            before: dict[str, list[Stop]] | None = None) -> dict[str, Route]:
    """Search the rounds of ``who`` again, on their own, with ``orders``.

    Goods on board (a done pickup whose delivery is still to come, e.g. a "niet thuis" that
    goes back to the pharmacy) are half a pair the OR-Tools insertion heuristics cannot start
    from: the engine then tries strategy after strategy for up to half a minute each, past
    the planner's hard limit, and every later re-plan of the day would fail the same way.
    Such rounds, and any round the search finds no plan for, are rebuilt by insertion
    (:func:`_rebuild`), which always has a plan: the done stops."""
    sub = _subproblem(problem, who, orders, first)
    done = {(d.order_id, d.action) for d in sub.done}
    if any(d.action == "pickup" and (d.order_id, "delivery") not in done for d in sub.done):
        return _rebuild(sub, before or {})
    plan = solve(sub, replace(params, time_limit=min(params.time_limit, SEARCH_SECONDS)))
    if any(u.code == "time_limit" for u in plan.unplanned) or plan.violations:
        return _rebuild(sub, before or {})
    return {r.assistant_id: r for r in plan.routes}


def _rebuild(sub: Problem, before: dict[str, list[Stop]]) -> dict[str, Route]:
    """Each round of ``sub`` from its done stops, the deliveries of the goods on board at
    their cheapest place, then as much of the previous round as still fits, in its order;
    what is left is inserted where it fits (cheapest detour first)."""
    done = sorted(sub.done, key=lambda d: d.start)
    routes: dict[str, Route | None] = {}
    for a in sub.assistants:
        seq = [(d.order_id, d.action) for d in done if d.assistant_id == a.id]
        route = schedule(sub, a, seq)
        for d in done:
            if d.assistant_id == a.id and d.action == "pickup" \
                    and (d.order_id, "delivery") not in seq and route is not None:
                # goods on board whose delivery fits nowhere stay on the bike, reported
                # unplanned (the checker allows exactly that); the round keeps its done stops
                trial = insert_delivery(sub, a.id, seq, (d.order_id, "delivery"), None)
                if trial is not None:
                    route, seq = trial, [(v.order_id, v.action) for v in trial.visits]
        if route is None:
            continue
        there = {oid for oid, _ in seq}
        ids = {o.id for o in sub.orders}
        rest = [s for s in before.get(a.id, ()) if s[0] not in there and s[0] in ids]
        for oid in dict.fromkeys(o for o, _ in rest):  # previous order, a pair at a time
            pair = [s for s in rest if s[0] == oid]
            trial = schedule(sub, a, seq + pair, route)
            if trial is not None:
                route, seq = trial, seq + pair
        routes[a.id] = route
    plan = _fill(sub, _assemble(sub, routes))
    return {r.assistant_id: r for r in plan.routes}


def _unchanged(problem: Problem, route: Route | None, stops: list[Stop]) -> bool:
    """Whether the previous round still stands as it was, times included: the same stops,
    done ones done when it said, none of the others in the past."""
    if route is None or [(v.order_id, v.action) for v in route.visits] != stops:
        return False
    done = {(d.order_id, d.action): d for d in problem.done}
    for v in route.visits:
        d = done.get((v.order_id, v.action))
        if d is not None and (d.start != v.start or d.assistant_id != route.assistant_id):
            return False
        if d is None and problem.now is not None and v.start < problem.now:
            return False
    return True


def repair(problem: Problem, base: Plan, params: SolveParams = SolveParams()) -> Plan:
    """The plan for ``problem`` that changes ``base`` as little as the day allows.

    A round whose stops did not change is kept as it was, times included; if the checker
    then finds a fault (a shift or window changed under it), every round is timed again."""
    plan = _repair(problem, base, params, keep_times=True)
    if plan.violations:
        plan = _repair(problem, base, params, keep_times=False)
    return plan


def _repair(problem: Problem, base: Plan, params: SolveParams, keep_times: bool) -> Plan:
    seqs = sequences(problem, base)
    keep = {r.assistant_id: r for r in base.routes}
    routes: dict[str, Route | None] = {}
    for a in problem.assistants:
        before = keep.get(a.id)
        routes[a.id] = before if keep_times and _unchanged(problem, before, seqs[a.id]) \
            else schedule(problem, a, seqs[a.id], before)
    for aid, stop in _carried(problem, seqs):
        route = routes[aid]
        if route is not None:
            route = insert_delivery(problem, aid, seqs[aid], stop, keep.get(aid))
        if route is None:
            routes[aid] = None
            seqs[aid] = seqs[aid] + [stop]  # the search below must plan it
        else:
            routes[aid], seqs[aid] = route, [(v.order_id, v.action) for v in route.visits]
    broken = {aid for aid, r in routes.items() if r is None}
    searched = set()
    if broken:
        mine = {oid for aid in broken for oid, _ in seqs[aid]}
        routes.update(_search(problem, broken, mine, params, before=seqs))
        searched |= broken
    plan = _assemble(problem, routes)
    plan = _fill(problem, plan)
    locked_out = _locked_out(problem, plan)
    if locked_out:  # a coordinator's lock that insertion could not keep: search that round
        who = {k.assistant_id for k in problem.locks if k.order_id in locked_out}
        mine = {v.order_id for r in plan.routes if r.assistant_id in who for v in r.visits}
        trial: dict[str, Route | None] = {r.assistant_id: r for r in plan.routes}
        trial.update(_search(problem, who, mine | locked_out, params, frozenset(locked_out)))
        candidate = _fill(problem, _assemble(problem, trial))
        if not _locked_out(problem, candidate):
            plan, searched = candidate, searched | who
    plan = _unplan_misplaced(problem, plan)
    plan = account(problem, plan, base)
    plan.stats = {"engine": "repair", "searched": sorted(searched),
                  "orders": len(problem.orders),
                  "planned": len(problem.orders) - len(plan.unplanned)}
    return plan


def _assemble(problem: Problem, routes: dict[str, Route | None]) -> Plan:
    empty = {a.id: Route(a.id, a.shift.start, [], a.shift.start, 0, 0.0, [], 0)
             for a in problem.assistants}
    return Plan([routes.get(a.id) or empty[a.id] for a in problem.assistants], [])


def _fill(problem: Problem, plan: Plan) -> Plan:
    there = {v.order_id for r in plan.routes for v in r.visits}
    left = [o for o in problem.orders if o.id not in there]
    return fill(problem, plan, left)[0] if left else plan


def _unplan_misplaced(problem: Problem, plan: Plan) -> Plan:
    """Take out of their rounds the locked orders that are not where their lock says (the
    previous plan had them elsewhere and no search could put them there): a plan that breaks
    a lock is rejected by the checker, which would leave the day without any re-plan for as
    long as the lock stands. Unplanned, they get the reason ("locked at stop N of ...")."""
    for _ in range(len(problem.locks)):
        there = {v.order_id for r in plan.routes for v in r.visits}
        wrong = _locked_out(problem, plan) & there
        if not wrong:
            break
        routes = []
        for r in plan.routes:
            stops = [(v.order_id, v.action) for v in r.visits]
            kept = [s for s in stops if s[0] not in wrong]
            if kept != stops:
                r = schedule(problem, problem.assistant(r.assistant_id), kept, r) or r
            routes.append(r)
        plan = replace(plan, routes=routes)
    return plan


def _locked_out(problem: Problem, plan: Plan) -> set[str]:
    """Locked orders not where their lock says (assistant, and stop number if given)."""
    where = {(v.order_id, v.action): (r.assistant_id, k) for r in plan.routes
             for k, v in enumerate(r.visits)}
    out = set()
    for k in problem.locks:
        at = where.get((k.order_id, k.action))
        if at is None or at[0] != k.assistant_id or k.position not in (None, at[1]):
            out.add(k.order_id)
    return out


def account(problem: Problem, plan: Plan, base: Plan | None = None) -> Plan:
    """Every order not planned gets its reason (found by trying: it fits nowhere now; the
    previous plan's words when the reason is the same); then the independent checker gives
    its verdict."""
    there = {v.order_id for r in plan.routes for v in r.visits if v.action == "delivery"}
    prior = {u.order_id: u for u in base.unplanned} if base is not None else {}
    unplanned = []
    for o in problem.orders:
        if o.id in there:
            continue
        why = reasons.why_alone(problem, o) or reasons.why_left_out(problem, o)
        same = prior.get(o.id)
        unplanned.append(same if same is not None and same.code == why.code else why)
    plan = replace(plan, unplanned=unplanned)
    plan.violations = check(problem, plan)
    return plan


def changes(before: Plan | None, after: Plan) -> dict[str, list[dict[str, Any]]]:
    """What a coordinator (and each assistant) needs to know changed between two plans: stops
    that moved to another assistant, stops whose time moved by more than ten minutes, orders
    that became planned or unplanned."""
    def index(plan: Plan) -> dict[str, tuple[str, int]]:
        return {v.order_id: (r.assistant_id, v.start) for r in plan.routes for v in r.visits
                if v.action == "delivery"}

    out: dict[str, list[dict[str, Any]]] = {"moved": [], "shifted": [], "planned": [], "unplanned": []}
    if before is None:  # the first plan of the day: nothing changed, everything is new
        return out
    old, new = index(before), index(after)
    for oid in sorted(set(old) | set(new), key=_order_key):
        if oid in old and oid in new:
            (a0, t0), (a1, t1) = old[oid], new[oid]
            if a0 != a1:
                out["moved"].append({"order_id": oid, "from": a0, "to": a1, "at": hhmm(t1)})
            elif abs(t1 - t0) > SHIFTED:
                out["shifted"].append({"order_id": oid, "assistant_id": a1, "from": hhmm(t0),
                                       "to": hhmm(t1), "minutes": (t1 - t0) // 60})
        elif oid in new:
            out["planned"].append({"order_id": oid, "assistant_id": new[oid][0],
                                   "at": hhmm(new[oid][1])})
        else:
            why = next((u for u in after.unplanned if u.order_id == oid), None)
            out["unplanned"].append({"order_id": oid, "assistant_id": old[oid][0],
                                     "code": why.code if why else "gone"})
    return out


def _order_key(oid: str) -> tuple[int, str]:
    digits = "".join(c for c in oid if c.isdigit())
    return (int(digits) if digits else 0, oid)


def touched_share(before: Plan, after: Plan, touched: set[str]) -> float:
    """Of the stops not done that were in rounds outside ``touched``, the share whose assistant
    or place in the order changed: how local a change stayed (0 is perfectly local)."""
    old = {r.assistant_id: [(v.order_id, v.action) for v in r.visits] for r in before.routes}
    new = {r.assistant_id: [(v.order_id, v.action) for v in r.visits] for r in after.routes}
    total = changed = 0
    for aid, seq in old.items():
        if aid in touched:
            continue
        kept = [s for s in new.get(aid, []) if s in seq]
        order_now = {s: k for k, s in enumerate(kept)}
        base = [s for s in seq if s in order_now]
        for s in seq:
            total += 1
            if s not in order_now or base.index(s) != order_now[s]:
                changed += 1
    return changed / total if total else 0.0

