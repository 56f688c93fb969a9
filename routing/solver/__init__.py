"""Plan the day: :func:`solve` turns a :class:`routing.model.Problem` into a checked Plan.

The engine is OR-Tools (:mod:`.engine`). For plain problems (one travel mode, at most one window
per stop, no breaks, ride limits, preferences or pins, e.g. the benchmark instances) it can be
seeded from PyVRP (:mod:`.seed`); OR-Tools then continues from that plan, so the result is never
worse than the seed and is always OR-Tools' own model's answer. Every plan is run through the
independent checker (:mod:`routing.check`) and carries its violations (none when feasible).

Determinism: the same problem and params give the same plan when the run ends on its
``work_limit`` (a count of search steps, the same on every machine), a ``solution_limit`` or a
local optimum; a run ended by the clock depends on machine speed (``stats["stopped_by"]`` says
which). Left-out orders are then put in where they still fit (:mod:`.insert`), by a count too.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from ..check import check
from ..model import Plan, Problem, Route, TimeWindow, Unplanned, Visit
from . import advice, engine, exchange, insert, reasons, repair, score, seed
from .nodes import Nodes, build


@dataclass(frozen=True)
class SolveParams:
    """How long and how to search.

    ``first_solution``: an OR-Tools FirstSolutionStrategy name, or ``"AUTO"`` (global cheapest
    insertion on plain problems, local cheapest insertion once breaks, balance or preferences
    make the global one slow).
    ``seed``: ``"auto"`` (PyVRP first when the problem is plain) or ``"none"`` (OR-Tools alone);
    ``seed_share`` of the time goes to PyVRP where its model is exact, ``repair_share`` where
    its plan must be repaired (breaks, ride limits) and competes with OR-Tools' own. For a reproducible plan give ``work_limit``
    (OR-Tools search steps; about 100 000 a second on one core) and ``seed_iterations`` (PyVRP),
    and a time limit that is a safety net only.
    ``exchange``: after the search, let left-out orders take the place of less important ones
    (:mod:`.exchange`). ``advice``: say for each order the full day left out which change
    was found to let it in (:mod:`.advice`; counted work after the time limit).
    """

    time_limit: float = 5.0
    first_solution: str = "AUTO"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    solution_limit: int | None = None
    work_limit: int | None = None
    seed_iterations: int | None = None
    seed: str = "auto"
    seed_share: float = 0.95
    repair_share: float = 0.5
    random_seed: int = 0
    log: bool = False
    exchange: bool = True
    advice: bool = True


def solve(problem: Problem, params: SolveParams = SolveParams()) -> Plan:
    """The best plan found within ``params.time_limit`` seconds (wall clock, model build included)."""
    t0 = time.monotonic()
    pinned = {d.order_id for d in problem.done}
    unplanned: list[Unplanned] = []
    keep = []
    for o in problem.orders:
        why = None if o.id in pinned else reasons.why_alone(problem, o)
        (unplanned.append(why) if why else keep.append(o))
    nodes = build(problem, keep)
    initial, engine_name, seed_stats, seeded = None, "ortools", {}, None
    if keep and params.seed != "none" and seed.usable(problem):
        exact = seed.supports(problem, nodes)
        share = params.seed_share if exact else params.repair_share
        budget = params.time_limit * share - (time.monotonic() - t0)
        initial, seed_stats = seed.solve(problem, nodes, max(0.05, budget), params.random_seed,
                                         params.seed_iterations)
        if initial is not None and not exact:
            # PyVRP's plan of the approximated day, made to hold every rule (.repair), competes
            # with OR-Tools' own plan of the full day: on a full day with breaks and hot meals
            # either may keep more important orders, on a quiet one PyVRP travels less
            _routes, timed = repair.repair(problem, nodes, initial)
            seeded, initial = Plan(timed, [], 0), None
            seed_stats["seed_repaired"] = True
        engine_name = "pyvrp+ortools" if initial is not None else \
            "pyvrp|ortools" if seeded is not None else "ortools"
    if problem.assistants:  # OR-Tools crashes on a model without vehicles
        model = engine.Model(problem, nodes)
        # a seed only needs reading back and checking; OR-Tools alone needs time to build a plan
        left = max(0.05 if initial is None else 0.01, params.time_limit - (time.monotonic() - t0))
        raw = model.run(left, params.first_solution, params.metaheuristic,
                        params.solution_limit, initial, params.log, params.work_limit)
    else:
        raw = engine.Raw([], status="no assistants", found=True)
        model = None
    stopped = raw.status not in ("success", "optimal")  # on the clock: more time may fit more

    def account(p: Plan, found: bool = True) -> Plan:
        """Every order not in ``p`` gets its reason; then the checker looks at all of it."""
        there = {v.order_id for r in p.routes for v in r.visits}
        p.unplanned = list(unplanned) + [
            reasons.why_left_out(problem, o, stopped) if found else
            Unplanned.because(o.id, "time_limit", "no plan was found in the time given")
            for o in keep if o.id not in there]
        order_pos = {o.id: i for i, o in enumerate(problem.orders)}
        p.unplanned.sort(key=lambda u: order_pos[u.order_id])
        p.violations = check(problem, p)
        return p

    def completed(p: Plan, found: bool) -> tuple[Plan, int]:
        """``p`` with the orders it left out inserted where they still fit, if that holds."""
        planned = {v.order_id for r in p.routes for v in r.visits}
        left = [o for o in keep if o.id not in planned]
        p = account(p, found)
        filled = insert.fill(problem, p, left) if found and left else None
        inserted = 0
        if filled is not None and filled[1]:
            trial = account(filled[0])
            if len(trial.violations) <= len(p.violations):  # never trade a held rule for an order
                p, inserted = trial, len(filled[1])
        kept = {o.id for o in keep}
        left = [problem.order(u.order_id) for u in p.unplanned if u.order_id in kept]
        if found and left and params.exchange:
            better, came, _went = exchange.improve(problem, p, left)
            if came:
                trial = account(better)
                if len(trial.violations) <= len(p.violations):
                    p, inserted = trial, inserted + len(came)
        return p, inserted

    plan, inserted = completed(to_plan(problem, nodes, raw), raw.found)
    chosen = "search"
    if seeded is not None:
        fair = score.shares(problem, plan)
        other, other_inserted = completed(seeded, True)
        if score.key(problem, other, fair) < score.key(problem, plan, fair):
            plan, inserted, chosen = other, other_inserted, "repaired seed"
    plan.cost = score.cost(problem, plan, score.shares(problem, plan)) if seeded is not None else plan.cost
    searched = round(time.monotonic() - t0, 3)
    if params.advice and raw.found and any(u.code == "over_full" for u in plan.unplanned):
        plan = advice.advise(problem, plan)
    plan.stats = {"engine": engine_name, "status": raw.status, "seconds": round(time.monotonic() - t0, 3),
                  "search_seconds": searched,
                  "first_solution": getattr(model, "first_solution", None),
                  "stopped_by": getattr(model, "stopped_by", None),
                  "orders": len(problem.orders), "planned": len(problem.orders) - len(plan.unplanned),
                  "inserted_after_search": inserted, "chosen": chosen,
                  "params": asdict(params), **seed_stats}
    return plan


def to_plan(problem: Problem, nodes: Nodes, raw: engine.Raw) -> Plan:
    """Routes with arrival, waiting, service, load, travel and distance per stop."""
    routes = []
    for v, a in enumerate(problem.assistants):
        seq = raw.routes[v] if raw.found else []
        dur, dist = problem.durations[a.mode], problem.distances[a.mode]
        breaks = [TimeWindow(s, e) for s, e in raw.breaks[v]] if raw.found else []
        times = raw.times[v] if raw.found else []
        load = sum(int(problem.order(nodes.stop[n][0]).size) for n in seq
                   if nodes.stop[n][1] == "delivery" and problem.order(nodes.stop[n][0]).pickup is None)
        start_load = load
        here = a.start
        if seq:
            before = [b for b in breaks if b.end <= times[0]]
            departure = raw.departures[v] if before else times[0] - int(dur[here, nodes.loc[seq[0]]])
        else:
            departure = a.shift.start
        prev_end, visits = departure, []
        for n, start in zip(seq, times):
            oid, action = nodes.stop[n]
            order = problem.order(oid)
            place = int(nodes.loc[n])
            travel = int(dur[here, place])
            arrival = prev_end + travel + sum(b.end - b.start for b in breaks
                                              if prev_end <= b.start and b.end <= start)
            load += order.size if action == "pickup" else -order.size
            end = start + int(nodes.service[n])
            label = (order.pickup.label if action == "pickup" else order.address) or ""
            visits.append(Visit(oid, action, place, label, arrival, start - arrival, start, end,
                                load, travel, float(dist[here, place])))
            prev_end, here = end, place
        back = int(dur[here, a.end_location])
        finish = prev_end + back
        finish += sum(b.end - b.start for b in breaks if prev_end <= b.start < finish)
        routes.append(Route(a.id, departure, visits, finish if seq else departure, back if seq else 0,
                            float(dist[here, a.end_location]) if seq else 0.0,
                            breaks if seq else [], start_load))
    return Plan(routes, [], raw.cost)
