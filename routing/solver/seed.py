"""PyVRP's plans of a day: a first plan OR-Tools continues from (:func:`solve`), or one fixed
trajectory with checkpoints (:func:`trajectory`, the ladder of :mod:`.ladder`).

PyVRP's iterated local search finds much better VRPTW/PDPTW plans in a second than OR-Tools'
first-solution heuristics and guided local search. It models most of a real day exactly:
shipments (pickup then delivery), optional orders with a prize per priority, one vehicle type
and travel profile per assistant (their mode, and the "trusted face" preferences as a cost on
the arcs into a stop). What it lacks is approximated and then repaired (:mod:`.repair`):

* a break is a stop of its own assistant only (other profiles cannot reach it) with no travel
  to or from it, in the break window: a reserved gap in the round;
* several windows per stop become their hull, a ride limit and workload balance are left out.

``supports`` says when the PyVRP plan is a plan of the full model as it is (no repair needed).
Re-plans with done or locked stops stay with OR-Tools alone (``usable``).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..model import Plan, Problem, TimeWindow
from .nodes import COST_SCALE, Nodes

BIG = 2**40
BIG_ARC = 10**9
"""Travel to another assistant's break: never worth it."""
NEIGHBOURS = 30
"""Granular neighbourhood size. PyVRP's 50 makes each iteration about 1.6 times slower; on
Solomon at 0.35 s the extra iterations are worth more than the wider neighbourhood."""
HISTORY_PER_SECOND, HISTORY_MIN, HISTORY_MAX = 60, 20, 300
"""Late-acceptance history length: PyVRP's 300 fits runs of tens of thousands of iterations.
Until the history is full every candidate is compared with the (poor) initial plan, so a short
run with a long history is mostly a random walk (Solomon at 0.35 s: mean gap 2.2 % with 300,
0.8 % with 20). About a fiftieth of the expected iterations (~3000/s on 100 stops), kept within
[20, 300]: at 10 s the full 300 beats 20 and 50."""


class _Budget:
    """PyVRP stopping rule. Timed (``seconds``): the time budget, or a third of it without any
    feasible plan (then the day is probably over-full and OR-Tools, which can leave orders out,
    gets the rest); ``iterations``, if given, may end it sooner. Counted (``seconds`` None):
    ``iterations``, or a third of them without any feasible plan, and no clock at all, so that
    the run is the same on a busy machine."""

    def __init__(self, seconds: float | None, iterations: int | None = None):
        assert seconds is not None or iterations is not None, "a run needs some limit"
        self.seconds, self.t0, self.iterations, self.count = seconds, time.monotonic(), iterations, 0

    def __call__(self, best_cost: float) -> bool:
        self.count += 1
        infeasible = best_cost >= 2**62
        if self.iterations is not None and self.count > self.iterations:
            return True
        if self.seconds is None:
            assert self.iterations is not None
            return infeasible and 3 * self.count > self.iterations
        spent = time.monotonic() - self.t0
        return spent >= self.seconds or (spent >= self.seconds / 3 and infeasible)


def usable(problem: Problem) -> bool:
    """True when PyVRP can seed the problem at all: a fresh day, no done or locked stops."""
    return bool(problem.assistants) and not problem.done and not problem.locks and problem.now is None


def supports(problem: Problem, nodes: Nodes) -> bool:
    """True when a PyVRP plan is a plan of the full OR-Tools model as it is, with no repair."""
    w = problem.weights
    return (
        usable(problem)
        and all(a.break_ is None for a in problem.assistants)
        and all(len(ws) <= 1 for ws in nodes.windows)
        and all(o.ride_limit is None for o in nodes.orders)
        and (w.balance == 0 or len(problem.assistants) == 1) and w.wait_second == 0
    )


GATHERED = 10
"""More stops than this at one place (a pharmacy's pickups) make a day "gathered"."""


def gathered(nodes: Nodes) -> bool:
    """True when many stops share one place, as the pickups at a pharmacy or the meal kitchen
    do on a real day (never on the benchmark instances). PyVRP's granular neighbourhood then
    sees mostly stops at the same place, and OR-Tools' polishing of its plan is worth more time
    (measured on the relaxed 60-order day at 3 s: 0.75 of the time to PyVRP gave 216 → 206 min
    on average over 8 seeds against 0.95; at 10 s no difference)."""
    depots = len(set(nodes.starts) | set(nodes.ends))
    _, counts = np.unique(nodes.loc[depots:], return_counts=True)
    return bool(len(counts)) and int(counts.max()) > GATHERED


CROWDED = 0.9
"""Estimated work / working time above which a day is taken to be over-full."""


def crowded(problem: Problem, nodes: Nodes) -> bool:
    """True when the orders' service and nearest-neighbour travel fill more than ``CROWDED`` of
    the assistants' working time (shifts less breaks): then not everything fits, PyVRP's prizes
    decide what goes, and OR-Tools' own plan is measured to keep more important orders on
    such days (the 100- and 150-order demo days need 1.1 and 1.7 times the time there is)."""
    from .engine import fair_shares

    if not problem.assistants:
        return False
    shares = fair_shares(problem, nodes)
    work = sum(shares) - sum(a.break_.duration for a in problem.assistants if a.break_)
    time = sum(a.shift.end - a.shift.start - (a.break_.duration if a.break_ else 0)
               for a in problem.assistants)
    return work > CROWDED * max(1, time)


def prizes(problem: Problem, nodes: Nodes, arc_max: int) -> dict[int, int]:
    """PyVRP prize per priority: ten times more per step up, as the OR-Tools penalties, and
    the lowest still above any detour (of a pickup and a delivery: four times the longest arc),
    so an order that fits is taken (twice the longest arc left parcels from a far hub out)."""
    ranks = sorted({o.rank for o in nodes.orders}) or [1]
    base = 2 * max(1, arc_max) + 1
    return {r: base * 10 ** min(6, ranks[-1] - r) for r in ranks}


@dataclass
class Data:
    """PyVRP's view of the problem, and the way back from its plan to our node ids."""

    data: Any  # pyvrp.ProblemData (imported only where PyVRP runs)
    vehicles: list[list[int]]  # assistant indices per PyVRP vehicle type
    client_node: list[int]
    ship_nodes: list[tuple[int, int]]
    break_client: dict[int, int]  # assistant index -> PyVRP client of their break


ProfileKey = tuple[str, bytes | None, int | None]
"""A travel profile: mode, preference costs, the assistant whose break it can reach."""
TypeKey = tuple[ProfileKey, int, int, int, int, int]
"""A vehicle type: profile, start and end node, shift start and end, capacity."""


def _hull(windows: tuple[TimeWindow, ...]) -> tuple[int, int]:
    return (windows[0].start, windows[-1].end) if windows else (0, BIG)


def to_data(problem: Problem, nodes: Nodes, keep: frozenset[str] = frozenset(), optional: bool = False) -> Data:
    """PyVRP's problem: the exact model where it can say it, the approximations above elsewhere.
    Orders in ``keep`` are required (the others keep their prizes); ``optional``: every other
    order keeps its prize even where all weigh the same."""
    import pyvrp

    from .engine import preference

    exact = supports(problem, nodes)
    # All orders required where every order weighs the same and the model is exact (the
    # benchmark instances: PyVRP searches best so); otherwise optional, with prizes.
    required = exact and len({o.rank for o in nodes.orders}) <= 1 and not optional
    n_depots = len(set(nodes.starts) | set(nodes.ends))
    # profiles: one per (mode, preference costs, own break); vehicle types group equal assistants
    profile_key: list[ProfileKey] = []
    type_key: list[TypeKey] = []
    prefs = []
    for v, a in enumerate(problem.assistants):
        pref = preference(problem, nodes, v)
        prefs.append(pref)
        pk = (a.mode, None if pref is None else pref.tobytes(), v if a.break_ is not None else None)
        profile_key.append(pk)
        type_key.append((pk, nodes.starts[v], nodes.ends[v], a.shift.start, a.shift.end, a.capacity))
    profiles = list(dict.fromkeys(profile_key))
    breakers = [v for v, a in enumerate(problem.assistants) if a.break_ is not None]
    n_loc = nodes.size + len(breakers)
    locations = [pyvrp.Location(0, 0) for _ in range(n_loc)]
    depots = [pyvrp.Depot(n) for n in range(n_depots)]
    costs = {m: nodes.cost_matrix(problem, m) for m in {a.mode for a in problem.assistants}}
    durs = {m: nodes.travel(problem, m) for m in costs}
    # PyVRP balances time-warp penalties against distance: keep both on a similar scale. The
    # benchmarks come out at factor 1 (both in thousandths of a unit), so PyVRP optimises their
    # distance to within rounding (half a thousandth of a unit per arc), not a coarsened copy.
    factor = max(1, int(max(c.max() for c in costs.values()) // max(1, max(int(d.max()) for d in durs.values()))))
    dist_ms, dur_ms = [], []
    for pk in profiles:
        mode, _, own = pk
        v0 = profile_key.index(pk)
        pref = prefs[v0]
        cost = costs[mode] + (pref[None, :] if pref is not None else 0)
        dist = np.full((n_loc, n_loc), BIG_ARC, dtype=np.int64)
        dur = np.full((n_loc, n_loc), BIG_ARC, dtype=np.int64)
        dist[:nodes.size, :nodes.size] = np.rint(cost / factor)
        dur[:nodes.size, :nodes.size] = durs[mode]
        if own is not None:  # its own break: no travel there or back
            b = nodes.size + breakers.index(own)
            dist[b, :], dist[:, b], dur[b, :], dur[:, b] = 0, 0, 0, 0
        np.fill_diagonal(dist, 0)
        np.fill_diagonal(dur, 0)
        dist_ms.append(np.ascontiguousarray(dist))
        dur_ms.append(np.ascontiguousarray(dur))
    arc_max = int(max(int(np.rint(c / factor).max()) for c in costs.values()))
    prize = prizes(problem, nodes, arc_max + int(max((p.max() for p in prefs if p is not None), default=0) // factor))

    def tw(n: int) -> tuple[int, int]:
        return _hull(nodes.windows[n])

    clients, shipments, client_node, ship_nodes = [], [], [], []
    for o in nodes.orders:
        d = nodes.delivery_of[o.id]
        must = required or o.id in keep
        pz = 0 if must else prize[o.rank]
        if o.pickup is None:
            e, l_ = tw(d)
            clients.append(pyvrp.Client(d, delivery=[o.size], service_duration=int(nodes.service[d]),
                                        tw_early=e, tw_late=l_, prize=pz, required=must))
            client_node.append(d)
        else:
            p = nodes.pickup_of[o.id]
            (pe, pl), (de, dl) = tw(p), tw(d)
            shipments.append(pyvrp.Shipment(p, d, pe, pl, int(nodes.service[p]), de, dl,
                                            int(nodes.service[d]), amount=[o.size],
                                            prize=pz, required=must))
            ship_nodes.append((p, d))
    break_client = {v: len(clients) + k for k, v in enumerate(breakers)}
    for k, v in enumerate(breakers):
        brk = problem.assistants[v].break_
        assert brk is not None  # breakers have one
        clients.append(pyvrp.Client(nodes.size + k, delivery=[0], service_duration=brk.duration,
                                    tw_early=brk.window.start, tw_late=brk.window.end,
                                    prize=10 * max(prize.values()), required=False))
        client_node.append(-1)
    groups: dict[TypeKey, list[int]] = {}
    for v, tk in enumerate(type_key):
        groups.setdefault(tk, []).append(v)
    types = [pyvrp.VehicleType(len(vs), capacity=[tk[5]], start_depot=tk[1], end_depot=tk[2],
                               tw_early=tk[3], tw_late=tk[4], profile=profiles.index(tk[0]),
                               fixed_cost=COST_SCALE * problem.weights.vehicle // factor)
             for tk, vs in groups.items()]
    data = pyvrp.ProblemData(locations, clients, depots, types, dist_ms, dur_ms,  # type: ignore[arg-type]
                             shipments=shipments)
    return Data(data, list(groups.values()), client_node, ship_nodes, break_client)


def warm(problem: Problem, nodes: Nodes, d: Data, plan: Plan) -> Any:
    """``plan`` as a PyVRP solution of ``d`` (its breaks as their reserved gaps, placed where
    the plan takes them): the start of a search that is to improve on it."""
    import pyvrp

    act: dict[int, Any] = {}
    for i, n in enumerate(d.client_node):
        if n >= 0:
            act[n] = pyvrp.Activity(pyvrp.ActivityType.CLIENT, i)
    for j, (p, q) in enumerate(d.ship_nodes):
        act[p] = pyvrp.Activity(pyvrp.ActivityType.PICKUP, j)
        act[q] = pyvrp.Activity(pyvrp.ActivityType.DELIVERY, j)
    node_of = {stop: n for n, stop in enumerate(nodes.stop) if stop is not None}
    type_of = {v: t for t, vs in enumerate(d.vehicles) for v in vs}
    routes = []
    for v, a in enumerate(problem.assistants):
        r = plan.route(a.id)
        if not r.visits:
            continue
        seq: list[Any] = []
        pending = sorted(r.breaks, key=lambda b: b.start) if v in d.break_client else []
        for x in r.visits:
            if pending and x.start >= pending[0].start:
                pending.pop(0)
                seq.append(pyvrp.Activity(pyvrp.ActivityType.CLIENT, d.break_client[v]))
            seq.append(act[node_of[(x.order_id, x.action)]])
        if pending:
            seq.append(pyvrp.Activity(pyvrp.ActivityType.CLIENT, d.break_client[v]))
        routes.append(pyvrp.Route(d.data, seq, type_of[v]))
    return pyvrp.Solution(d.data, routes)


def search_params(seconds: float, iterations: int | None = None) -> Any:
    """PyVRP's search settings for one run of ``seconds`` (or ``iterations``, which then decides
    alone, so a run stopped by iterations stays reproducible)."""
    import pyvrp
    from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
    from pyvrp.search import NeighbourhoodParams

    expected = iterations / 50 if iterations is not None else seconds * HISTORY_PER_SECOND
    history = int(min(HISTORY_MAX, max(HISTORY_MIN, expected)))
    return pyvrp.SolveParams(ils=IteratedLocalSearchParams(history_length=history),
                             neighbourhood=NeighbourhoodParams(num_neighbours=NEIGHBOURS))


TRAJECTORY_HISTORY = 50
"""Late-acceptance history of :func:`trajectory`: fixed, whatever the time limit, so that the
search takes the same steps in a short run as in a long one."""
TRAJECTORY_PERTURBATION = 8
"""At most this many clients perturbed per iteration in :func:`trajectory`, not PyVRP's 25.
Measured on the relaxed 60-order day (6 seeds, 2000 iterations): mean 195.6 min of travel with 8
against 212.8 with 25 at 600 iterations in about the same time: each iteration is three times
faster, and a day of a few assistants improves in small steps."""

TRAJECTORY_RESTART = 700
"""Iterations without a better plan after which a trajectory that starts from nothing, on a day
PyVRP models exactly and that is not crowded (a relaxed day that fits), goes back to its best
plan with an empty late-acceptance history (PyVRP's restart; its default of 150 000 never comes
in our runs). One trajectory settles in its first basin and mostly stays there: on the relaxed
60-order day the plan depended more on the seed than on the time (seeds 1-8: 186.6-225.8 min of
travel at the work of a 3 s run, 1 M, mean 200.9; 185.2-223.4 at 10 s, 3.4 M, mean 199.2). With
the restart: mean 197.2 (worst 219.3) at 1 M, 190.6 (worst 197.2) at 3.4 M, and the same plans
as before at the web planner's 300 000 (its 850 iterations rarely go 700 without a better plan).
(Measured with prizes; since such a day is told to plan every order, :mod:`.ladder` step 2: mean
197.2, worst 201.4, at 1 M and 194.0, worst 197.8, at 3.4 M.)
Four short starts with the best going on did better at 1 M (195.2, worst 200.6) but worse at
300 000 (220.2 against 209.3: the starts took the web's whole budget), so they were not taken.
Not on the full days: there PyVRP's plan is repaired and balanced by OR-Tools afterwards, and
restarts made the mean cost worse (8 seeds at 3.4 M: 105.0 against 97.8 million units); nor
where the trajectory goes on from a plan (the fixed-set rounds, a crowded day)."""


def routes_of(problem: Problem, d: Data, solution: Any) -> list[list[int]]:
    """A PyVRP solution as node lists per assistant (OR-Tools' ``ReadAssignmentFromRoutes`` form)."""
    routes: list[list[int]] = [[] for _ in problem.assistants]
    free = [list(vs) for vs in d.vehicles]
    for route in solution.routes():
        v = free[route.vehicle_type()].pop(0)
        for act in route.schedule():
            if act.is_depot():
                continue
            if act.is_client():
                if d.client_node[act.idx] >= 0:  # a break is no node of ours
                    routes[v].append(d.client_node[act.idx])
            else:
                p, q = d.ship_nodes[act.idx]
                routes[v].append(p if act.is_pickup() else q)
    return routes


Visit = Callable[[list[list[int]]], None]
WIDE = 60
"""Extra nearest stops looked at by :func:`neighbours` to fill the places of co-located ones."""


def neighbours(d: Data, nodes: Nodes, same_place: int) -> dict[Any, list[Any]]:
    """PyVRP's granular neighbourhood (``NEIGHBOURS`` nearest per stop) with at most
    ``same_place`` of them at the stop's own place. At a pharmacy with twenty pickups the
    nearest stops of a pickup are all the other pickups there (no travel between them), and
    the search hardly sees where else it could go in a round."""
    from pyvrp.search import NeighbourhoodParams, compute_neighbours

    def place(a: Any) -> int:
        if a.is_client():
            n = d.client_node[a.idx]
            return -1 - a.idx if n < 0 else int(nodes.loc[n])  # a break is at no place
        p, q = d.ship_nodes[a.idx]
        return int(nodes.loc[p if a.is_pickup() else q])

    wide = compute_neighbours(d.data, NeighbourhoodParams(num_neighbours=NEIGHBOURS + WIDE))
    out: dict[Any, list[Any]] = {}
    for a, near in wide.items():
        here, same, kept = place(a), 0, []
        for b in near:
            if place(b) == here:
                if same >= same_place:
                    continue
                same += 1
            kept.append(b)
            if len(kept) == NEIGHBOURS:
                break
        out[a] = kept
    return out


def _local_search(d: Data, near: dict[Any, list[Any]], rng: Any, params: Any) -> tuple[Any, Any]:
    """PyVRP's local search with ``params``' operators and perturbation over the neighbourhood
    ``near``, and its penalty manager: what ``pyvrp.solve`` builds for itself."""
    from pyvrp.PenaltyManager import PenaltyManager
    from pyvrp.search import LocalSearch, PerturbationManager

    ls = LocalSearch(d.data, rng, near, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(d.data):
            ls.add_operator(op(d.data))
    return ls, PenaltyManager(params.penalty.midpoint_penalties(d.data), params.penalty)


def _solve(d: Data, near: dict[Any, list[Any]], stop: Any, seed: int,
           params: Any, initial: Any) -> Any:
    """``pyvrp.solve`` with the neighbourhood ``near`` instead of the one it computes."""
    import pyvrp
    from pyvrp.IteratedLocalSearch import IteratedLocalSearch

    rng = pyvrp.RandomNumberGenerator(seed=seed)
    ls, pm = _local_search(d, near, rng, params)
    init = initial
    if init is None:
        init = ls(pyvrp.Solution.make_random(d.data, rng), pm.max_cost_evaluator(), exhaustive=True)
    return IteratedLocalSearch(d.data, pm, ls, init, params.ils).run(stop, False, False, 5.0)


def tighten(problem: Problem, nodes: Nodes, plan: Plan, seed: int) -> list[list[int]] | None:
    """``plan`` (the orders of ``nodes``, all required) after one exhaustive pass of PyVRP's
    local search, as node lists per assistant; None if that found no feasible plan."""
    import pyvrp
    from pyvrp.search import NeighbourhoodParams, compute_neighbours

    d = to_data(problem, nodes, frozenset(o.id for o in nodes.orders))
    params = pyvrp.SolveParams(neighbourhood=NeighbourhoodParams(num_neighbours=NEIGHBOURS))
    ls, pm = _local_search(d, compute_neighbours(d.data, params.neighbourhood),
                           pyvrp.RandomNumberGenerator(seed=seed), params)
    out = ls(warm(problem, nodes, d, plan), pm.cost_evaluator(), exhaustive=True)
    return routes_of(problem, d, out) if out.is_feasible() else None


def trajectory(problem: Problem, nodes: Nodes, deadline: float | None, seed: int,
               more: Callable[[int], bool], every: int, visit: Visit,
               start: Plan | None = None, keep: frozenset[str] = frozenset(),
               give_up: int | None = None, same_place: int | None = None, optional: bool = False
               ) -> tuple[list[list[int]] | None, bool, dict[str, Any]]:
    """PyVRP's iterated local search on one trajectory that does not depend on the time limit:
    its settings are fixed, it goes on while ``more(iterations done)`` says so and ``deadline``
    (a monotonic time; None: no clock, ``more`` alone) has not passed, and every ``every``
    iterations it hands its best feasible
    plan, if that changed, to ``visit``. From a random plan, or from ``start`` (:func:`warm`)
    with the orders in ``keep`` required. A run given more time passes every checkpoint a
    shorter one passed, and more. With ``give_up``, the search ends after that many iterations
    without any feasible plan (``stats["gave_up"]``; counted, so a longer run gives up at the
    same point): the orders in ``keep`` then probably do not all fit. ``same_place``: at most
    that many neighbours of a stop at its own place (:func:`neighbours`). ``optional``: orders
    not in ``keep`` keep their prizes even where all weigh the same (see :func:`to_data`).

    Returns the best feasible plan when it stopped (None if none), whether ``more`` ended it
    (else the clock did), and figures."""
    import pyvrp
    from pyvrp.IteratedLocalSearch import (
        IteratedLocalSearchCallbacks,
        IteratedLocalSearchParams,
    )
    from pyvrp.search import NeighbourhoodParams, PerturbationParams

    t0 = time.monotonic()
    d = to_data(problem, nodes, keep, optional)
    initial = warm(problem, nodes, d, start) if start is not None else None
    seen: list[Any] = [None]  # the best plan last handed to ``visit``
    counted = [False]
    feasible, gave_up = [False], [False]

    class Checkpoints(IteratedLocalSearchCallbacks):
        def __init__(self) -> None:
            self.count = 0

        def on_iteration(self, current: Any, candidate: Any, best: Any, cost_evaluator: Any) -> None:
            self.count += 1
            feasible[0] = feasible[0] or best.is_feasible()
            if self.count % every == 0 and best.is_feasible() and best is not seen[0]:
                seen[0] = best
                visit(routes_of(problem, d, best))

    def stop(best_cost: float) -> bool:
        if give_up is not None and checkpoints.count >= give_up and not feasible[0]:
            counted[0] = gave_up[0] = True
            return True
        if not more(checkpoints.count):
            counted[0] = True
            return True
        return deadline is not None and time.monotonic() >= deadline

    checkpoints = Checkpoints()
    ils = IteratedLocalSearchParams(history_length=TRAJECTORY_HISTORY, callbacks=checkpoints)
    if start is None and supports(problem, nodes) and not crowded(problem, nodes):
        ils = replace(ils, num_iters_no_improvement=TRAJECTORY_RESTART)  # a relaxed day that fits
    params = pyvrp.SolveParams(
        ils=ils,
        neighbourhood=NeighbourhoodParams(num_neighbours=NEIGHBOURS),
        perturbation=PerturbationParams(1, TRAJECTORY_PERTURBATION))
    with warnings.catch_warnings():  # an over-full day has no complete plan: that is expected
        warnings.simplefilter("ignore")
        if same_place is None:
            res = pyvrp.solve(d.data, stop=stop, seed=seed, collect_stats=False, display=False,
                              params=params, initial_solution=initial)
        else:
            res = _solve(d, neighbours(d, nodes, same_place), stop, seed, params, initial)
    best = routes_of(problem, d, res.best) if res.best.is_feasible() else None
    return best, counted[0], {"seed_feasible": best is not None,
                              "seed_seconds": round(time.monotonic() - t0, 3),
                              "seed_cost": int(res.cost()) if best is not None else None,
                              "seed_iterations_done": res.num_iterations, "gave_up": gave_up[0]}


def solve(problem: Problem, nodes: Nodes, seconds: float | None, seed: int = 0,
          iterations: int | None = None, params: Any = None) -> tuple[list[list[int]] | None, dict[str, Any]]:
    """Routes as node lists per assistant (OR-Tools' ``ReadAssignmentFromRoutes`` form), or None.
    With ``iterations`` the search stops after that many; with ``seconds`` None as well it
    consults no clock (:class:`_Budget`): the same plan on any machine, however busy."""
    import pyvrp

    t0 = time.monotonic()
    d = to_data(problem, nodes)
    left = None if seconds is None else max(0.01, seconds - (time.monotonic() - t0))
    stop = _Budget(left, iterations)
    with warnings.catch_warnings():  # an over-full day has no complete plan: that is expected
        warnings.simplefilter("ignore")
        res = pyvrp.solve(d.data, stop=stop, seed=seed, collect_stats=False, display=False,
                          params=params or search_params(seconds or 0.0, iterations))
    best = res.best
    stats: dict[str, Any] = {"seed_feasible": bool(best.is_feasible()), "seed_seconds": round(time.monotonic() - t0, 3),
             "seed_cost": int(res.cost()) if best.is_feasible() else None,
             "seed_iterations_done": res.num_iterations}
    if not best.is_feasible():
        return None, stats
    return routes_of(problem, d, best), stats

