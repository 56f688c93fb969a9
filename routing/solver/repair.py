"""Make a PyVRP plan hold every rule of the day before OR-Tools continues from it.

PyVRP plans a real day with approximations (:mod:`.seed`): a break as a reserved gap without
travel, no ride limit for hot meals, the hull of several windows. Its rounds are re-timed here by
the solver's own scheduler (:func:`.insert.schedule`: breaks where they fit, a hot meal's pickup
as late as its ride allows). Where a round does not hold, orders are put back into it one by one,
most important first and in the round's own order, each kept only if the round still holds: the
round keeps PyVRP's sequence and loses the fewest, least important orders. What is left out is
then OR-Tools' and the insertion's to place again.
"""

from __future__ import annotations

from ..model import Problem, Route
from .insert import Stop, schedule
from .nodes import Nodes


def round_that_holds(problem: Problem, assistant_index: int, stops: list[Stop]) -> tuple[list[Stop], Route]:
    """``stops`` (a round in PyVRP's order) with the fewest, least important orders taken out
    so that it keeps every rule; and its timed route."""
    a = problem.assistants[assistant_index]
    whole = schedule(problem, a, stops)
    if whole is not None:
        return stops, whole
    ids = list(dict.fromkeys(oid for oid, _ in stops))
    kept: set[str] = set()
    best = schedule(problem, a, [])
    assert best is not None  # an empty round always holds
    for rank in sorted({problem.order(oid).rank for oid in ids}):
        for oid in ids:
            if problem.order(oid).rank != rank:
                continue
            trial = [s for s in stops if s[0] in kept or s[0] == oid]
            route = schedule(problem, a, trial)
            if route is not None:
                kept.add(oid)
                best = route
    return [s for s in stops if s[0] in kept], best


def repair(problem: Problem, nodes: Nodes, routes: list[list[int]]) -> tuple[list[list[int]], list[Route]]:
    """Per assistant the node list of the round that holds, and its timed route."""
    node_of = {stop: n for n, stop in enumerate(nodes.stop) if stop is not None}
    out: list[list[int]] = []
    timed: list[Route] = []
    for v, seq in enumerate(routes):
        stops, route = round_that_holds(problem, v, [nodes.served(n) for n in seq])
        out.append([node_of[s] for s in stops])
        timed.append(route)
    return out, timed
