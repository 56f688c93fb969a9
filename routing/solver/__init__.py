"""Plan the day: :func:`solve` turns a :class:`routing.model.Problem` into a checked Plan.

The engines are PyVRP (:mod:`.seed`: the day as exactly as it can say it, breaks as reserved
gaps; :mod:`.repair` makes its rounds hold every rule) and OR-Tools (:mod:`.engine`: the full
model), see :func:`solve` for which runs when. Every plan is judged by one recomputed objective
(:mod:`.score`) and run through the independent checker (:mod:`routing.check`); it carries its
violations (none when feasible).

Determinism: with a ``work_limit`` (a count of search steps, the same on every machine) the
same problem and params give the same plan on any machine, however busy: PyVRP stops on
``seed_iterations`` (on a fresh real day the work limit counts PyVRP's iterations too,
:mod:`.ladder`, which on a crowded day also runs PyVRP on only the best plan's orders to
shorten its rounds; elsewhere one per ``WORK_PER_ITERATION`` steps), OR-Tools on the work count,
and no clock is consulted, ``time_limit`` included: a run that takes too long must be stopped
by its caller (the web kills the solve's process at its hard limit and the run fails), never
cut short into another plan. Without a work limit the run is timed (the benchmarks) and
depends on machine speed (``stats["stopped_by"]`` says what ended it). On a fresh
real day more work, or more time on the same machine, never gives a worse plan (:mod:`.ladder`).
Insertion (:mod:`.insert`), exchange (:mod:`.exchange`) and advice (:mod:`.advice`) are counted
too.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..check import check
from ..model import Plan, Problem, Route, TimeWindow, Unplanned, Visit
from . import advice, engine, exchange, insert, ladder, reasons, score, seed
from .nodes import Nodes, build

WORK_PER_ITERATION = 20
"""On a benchmark-like day, PyVRP iterations for a work limit given without ``seed_iterations``:
one per 20 OR-Tools search steps (about the same time on a 100-customer instance)."""


@dataclass(frozen=True)
class SolveParams:
    """How long and how to search.

    ``first_solution``: an OR-Tools FirstSolutionStrategy name, or ``"AUTO"`` (global cheapest
    insertion on plain problems, local cheapest insertion once breaks, balance or preferences
    make the global one slow).
    ``seed``: ``"auto"`` (PyVRP where it helps, see :func:`solve`) or ``"none"`` (OR-Tools alone);
    ``seed_share`` of the time goes to PyVRP on a benchmark-like day (exact model, nothing
    gathered, not crowded), the rest to OR-Tools continuing its plan; every other fresh day
    runs the counted ladder of :mod:`.ladder`. For a reproducible plan give ``work_limit``
    (OR-Tools search steps; about 100 000 a second on one core) and ``seed_iterations`` (PyVRP):
    then ``time_limit`` is not consulted at all, and the caller bounds the run (see above).
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
    random_seed: int = 0
    log: bool = False
    exchange: bool = True
    advice: bool = True


def solve(problem: Problem, params: SolveParams = SolveParams()) -> Plan:
    """The best plan found within ``params.time_limit`` seconds (wall clock, model build
    included), or, with ``params.work_limit``, within that count of steps whatever the clock.

    A benchmark-like day (PyVRP's model is exact, no place gathers many stops, everything may
    fit): PyVRP, then OR-Tools continues from its plan. Every other fresh day (breaks, hot
    meals, a pharmacy's pickups, too many orders): the ladder of :mod:`.ladder`, one sequence of
    counted steps in which more time never gives a worse plan. A re-plan with done or locked
    stops: OR-Tools alone. Each plan found is completed
    by insertion (:mod:`.insert`) and exchange (:mod:`.exchange`) and the best by one recomputed
    objective (:mod:`.score`) is returned, with advice for what was left out (:mod:`.advice`).
    """
    t0 = time.monotonic()
    pinned = {d.order_id for d in problem.done}
    unplanned: list[Unplanned] = []
    keep = []
    for o in problem.orders:
        why = None if o.id in pinned else reasons.why_alone(problem, o)
        (unplanned.append(why) if why else keep.append(o))
    kept = {o.id for o in keep}
    nodes = build(problem, keep)

    def account(p: Plan, found: bool = True) -> Plan:
        """Every order not in ``p`` gets its reason; then the checker looks at all of it."""
        # planned: delivered in the plan (goods picked up and kept on the bike are not)
        there = {v.order_id for r in p.routes for v in r.visits if v.action == "delivery"}
        p.unplanned = list(unplanned) + [
            reasons.why_left_out(problem, o) if found else
            Unplanned.because(o.id, "time_limit", "no plan was found in the time given")
            for o in keep if o.id not in there]
        order_pos = {o.id: i for i, o in enumerate(problem.orders)}
        p.unplanned.sort(key=lambda u: order_pos[u.order_id])
        p.violations = check(problem, p)
        return p

    def completed(p: Plan, found: bool) -> tuple[Plan, int]:
        """``p`` with the orders it left out inserted where they still fit, and put in the place
        of less important ones, as long as that holds."""
        planned = {v.order_id for r in p.routes for v in r.visits}
        left = [o for o in keep if o.id not in planned]
        p = account(p, found)
        filled = insert.fill(problem, p, left) if found and left else None
        inserted = 0
        if filled is not None and filled[1]:
            trial = account(filled[0])
            if len(trial.violations) <= len(p.violations):  # never trade a held rule for an order
                p, inserted = trial, len(filled[1])
        left = [problem.order(u.order_id) for u in p.unplanned if u.order_id in kept]
        if found and left and params.exchange:
            better, came, _went = exchange.improve(problem, p, left)
            if came:
                trial = account(better)
                if len(trial.violations) <= len(p.violations):
                    p, inserted = trial, inserted + len(came)
        return p, inserted

    # With a work limit the search consults no clock (the same plan on a busy machine); the
    # caller's hard limit (the web kills the solve's process) is then the only safety.
    counted = bool(params.work_limit)

    def until(share: float) -> float | None:
        """Seconds left until ``share`` of the time limit has passed (at least a little); None
        in a counted run."""
        if counted:
            return None
        return max(0.05, params.time_limit * share - (time.monotonic() - t0))

    def ortools(seconds: float | None, initial: list[list[int]] | None = None,
                work: int | None = None) -> tuple[engine.Model, engine.Raw]:
        model = engine.Model(problem, nodes)
        raw = model.run(seconds, params.first_solution, params.metaheuristic,
                        params.solution_limit, initial, params.log, work)
        return model, raw

    iterations = params.seed_iterations
    if iterations is None and params.work_limit:  # a work limit alone makes the plan reproducible
        iterations = max(1, params.work_limit // WORK_PER_ITERATION)
    engine_name, chosen = "ortools", "search"
    seed_stats: dict[str, Any] = {}
    model: engine.Model | None = None
    fair = engine.fair_shares(problem, nodes) if problem.weights.balance and len(problem.assistants) > 1 else None
    if not problem.assistants:  # OR-Tools crashes on a model without vehicles
        raw = engine.Raw([], status="no assistants", found=True)
        plan, inserted = completed(to_plan(problem, nodes, raw), True)
    elif keep and params.seed != "none" and seed.usable(problem) and seed.supports(problem, nodes) \
            and not seed.crowded(problem, nodes) and not seed.gathered(nodes):
        initial, seed_stats = seed.solve(problem, nodes, until(params.seed_share), params.random_seed, iterations)
        engine_name = "pyvrp+ortools" if initial is not None else "ortools"
        # a seed only needs reading back and checking; OR-Tools alone needs time to build a plan
        rest = until(1.0)
        model, raw = ortools(None if rest is None else max(0.05 if initial is None else 0.01, rest),
                             initial, params.work_limit)
        plan, inserted = completed(to_plan(problem, nodes, raw), raw.found)
    elif keep and params.seed != "none" and seed.usable(problem):
        # A real day (breaks, hot meals, a pharmacy's gathered pickups) or a day too full for
        # its orders: one fixed sequence of counted steps (.ladder), so that more time never
        # gives a worse plan. The benchmark instances keep the branch above.
        exact = seed.supports(problem, nodes)
        engine_name = "pyvrp+ortools" if exact else "pyvrp|ortools"
        found, seed_stats = ladder.search(
            problem, nodes, deadline=None if counted else t0 + params.time_limit,
            random_seed=params.random_seed, work=params.work_limit,
            iterations=params.seed_iterations, crowded=seed.crowded(problem, nodes),
            complete=lambda p: completed(p, True), to_plan=lambda r: to_plan(problem, nodes, r),
            first_solution=params.first_solution, metaheuristic=params.metaheuristic, fair=fair)
        if found.best is not None:
            plan, chosen, inserted = found.best, found.label, found.inserted
            raw = engine.Raw([], status="success", found=True)
        else:  # nothing in time: OR-Tools' search for any first plan (bounded, see engine.run)
            model, raw = ortools(until(1.0), None, params.work_limit)
            plan, inserted = completed(to_plan(problem, nodes, raw), raw.found)
    else:  # a re-plan (done or locked stops), or no seed asked for
        model, raw = ortools(until(1.0), None, params.work_limit)
        rounds = None if raw.found or not problem.done else done_rounds(problem)
        if rounds is not None:  # what is done stays done, and the rest goes in where it fits
            plan, inserted = completed(Plan(rounds, [], 0), True)
            chosen, raw = "done stops kept", replace(raw, found=True)
        else:
            plan, inserted = completed(to_plan(problem, nodes, raw), raw.found)
    plan.cost = score.cost(problem, plan, fair)
    searched = round(time.monotonic() - t0, 3)
    if params.advice and raw.found and any(u.code == "over_full" for u in plan.unplanned):
        plan = advice.advise(problem, plan)
    plan.stats = {"engine": engine_name, "status": raw.status, "seconds": round(time.monotonic() - t0, 3),
                  "search_seconds": searched,
                  "first_solution": getattr(model, "first_solution", None),
                  "stopped_by": getattr(model, "stopped_by", None),
                  "orders": len(problem.orders), "planned": len(problem.orders) - len(plan.unplanned),
                  "inserted_after_search": inserted, "chosen": chosen,
                  "key": list(score.key(problem, plan, fair)),
                  "params": asdict(params), **seed_stats}
    return plan


def preload() -> None:
    """Import what a solve imports on first use (PyVRP), so that the solves a process forks
    (the web's planning workers) share it instead of each importing its own."""
    import pyvrp  # noqa: F401


def done_rounds(problem: Problem) -> list[Route] | None:
    """Each assistant's round of only their done stops, and the deliveries of goods they carry
    where those still hold, timed by the scheduler; None if the done stops alone do not hold.
    OR-Tools can fail to find any plan around done stops (its first-plan heuristics on a
    re-plan, or a hot meal picked up so early that its ride can no longer hold: the pair
    constraints then make the whole model infeasible); then this is the plan to fill, so that a
    re-plan never loses what was done. A carried delivery that cannot hold stays on the bike,
    reported unplanned."""
    rounds = []
    for a in problem.assistants:
        mine = sorted((d for d in problem.done if d.assistant_id == a.id), key=lambda d: d.start)
        stops = [(d.order_id, d.action) for d in mine]
        carried = [(oid, "delivery") for oid, act in stops
                   if act == "pickup" and (oid, "delivery") not in stops]
        route = insert.schedule(problem, a, stops)
        if route is None:
            return None
        for stop in carried:
            longer = insert.schedule(problem, a, stops + [stop])
            if longer is not None:
                stops, route = stops + [stop], longer
        rounds.append(route)
    return rounds


def to_plan(problem: Problem, nodes: Nodes, raw: engine.Raw) -> Plan:
    """Routes with arrival, waiting, service, load, travel and distance per stop."""
    routes = []
    for v, a in enumerate(problem.assistants):
        seq = raw.routes[v] if raw.found else []
        dur, dist = problem.durations[a.mode], problem.distances[a.mode]
        breaks = [TimeWindow(s, e) for s, e in raw.breaks[v]] if raw.found else []
        times = raw.times[v] if raw.found else []
        stops = [nodes.served(n) for n in seq]
        load = sum(problem.order(oid).size for oid, action in stops
                   if action == "delivery" and problem.order(oid).pickup is None)
        start_load = load
        here = a.start
        if seq:
            before = [b for b in breaks if b.end <= times[0]]
            departure = raw.departures[v] if before else times[0] - int(dur[here, nodes.loc[seq[0]]])
        else:
            departure = a.shift.start
        prev_end, visits = departure, []
        for n, (oid, action), start in zip(seq, stops, times, strict=True):
            order = problem.order(oid)
            place = int(nodes.loc[n])
            travel = int(dur[here, place])
            arrival = prev_end + travel + sum(b.end - b.start for b in breaks
                                              if prev_end <= b.start and b.end <= start)
            load += order.size if action == "pickup" else -order.size
            end = start + int(nodes.service[n])
            label = (order.pickup.label if action == "pickup" and order.pickup else order.address) or ""
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
