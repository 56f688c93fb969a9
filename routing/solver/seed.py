"""A first plan from PyVRP for plain problems, which OR-Tools then continues from.

PyVRP's iterated local search finds much better VRPTW/PDPTW plans in a second than OR-Tools'
first-solution heuristics and guided local search, but it knows only one window per stop and no
breaks, ride limits, preferences or pinned stops. So it seeds only problems that have none of
those (the benchmark instances, simple days); OR-Tools' own model still decides, and the checker
checks the result.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from ..model import Problem
from .nodes import COST_SCALE, Nodes

BIG = 2**40
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
    """PyVRP stopping rule: the time budget, or a third of it without any feasible plan (then
    the day is probably over-full and OR-Tools, which can leave orders out, gets the rest)."""

    def __init__(self, seconds: float, iterations: int | None = None):
        self.seconds, self.t0, self.iterations, self.count = seconds, time.monotonic(), iterations, 0

    def __call__(self, best_cost: float) -> bool:
        self.count += 1
        if self.iterations is not None and self.count > self.iterations:
            return True
        spent = time.monotonic() - self.t0
        return spent >= self.seconds or (spent >= self.seconds / 3 and best_cost >= 2**62)


def supports(problem: Problem, nodes: Nodes) -> bool:
    """True when a PyVRP plan would be a plan of the full OR-Tools model too."""
    a0 = problem.assistants[0] if problem.assistants else None
    w = problem.weights
    return (
        a0 is not None
        and len({a.mode for a in problem.assistants}) == 1
        and all(a.break_ is None for a in problem.assistants)
        and not problem.done and not problem.locks and problem.now is None
        and all(len(ws) <= 1 for ws in nodes.windows)
        and all(o.ride_limit is None for o in nodes.orders)
        and (w.balance == 0 or len(problem.assistants) == 1) and w.wait_second == 0
        and not any(o.resident or o.buurt for o in nodes.orders)
    )


@dataclass
class Data:
    """PyVRP's view of the problem, and the way back from its plan to our node ids."""

    data: object  # pyvrp.ProblemData
    vehicles: list[list[int]]  # assistant indices per PyVRP vehicle type
    client_node: list[int]
    ship_nodes: list[tuple[int, int]]


def to_data(problem: Problem, nodes: Nodes) -> Data:
    import pyvrp

    mode = problem.assistants[0].mode
    n_depots = len(set(nodes.starts) | set(nodes.ends))
    locations = [pyvrp.Location(0, 0) for _ in range(nodes.size)]
    depots = [pyvrp.Depot(n) for n in range(n_depots)]
    dur = np.ascontiguousarray(nodes.travel(problem, mode))
    cost = nodes.cost_matrix(problem, mode)
    # PyVRP balances time-warp penalties against distance: keep both on a similar scale. The
    # benchmarks come out at factor 1 (both in thousandths of a unit), so PyVRP optimises their
    # distance to within rounding (half a thousandth of a unit per arc), not a coarsened copy.
    factor = max(1, int(cost.max() // max(1, int(dur.max()))))
    dist = np.ascontiguousarray(np.rint(cost / factor).astype(np.int64))

    def tw(n):
        ws = nodes.windows[n]
        return (ws[0].start, ws[0].end) if ws else (0, BIG)

    clients, shipments, client_node, ship_nodes = [], [], [], []
    for o in nodes.orders:
        d = nodes.delivery_of[o.id]
        if o.pickup is None:
            e, l_ = tw(d)
            clients.append(pyvrp.Client(d, delivery=[o.size], service_duration=int(nodes.service[d]),
                                        tw_early=e, tw_late=l_, required=True))
            client_node.append(d)
        else:
            p = nodes.pickup_of[o.id]
            (pe, pl), (de, dl) = tw(p), tw(d)
            shipments.append(pyvrp.Shipment(p, d, pe, pl, int(nodes.service[p]), de, dl,
                                            int(nodes.service[d]), amount=[o.size],
                                            required=True))
            ship_nodes.append((p, d))
    groups: dict[tuple, list[int]] = {}
    for v, a in enumerate(problem.assistants):
        key = (nodes.starts[v], nodes.ends[v], a.shift.start, a.shift.end, a.capacity)
        groups.setdefault(key, []).append(v)
    types = [pyvrp.VehicleType(len(vs), capacity=[k[4]], start_depot=k[0], end_depot=k[1],
                               tw_early=k[2], tw_late=k[3], fixed_cost=COST_SCALE * problem.weights.vehicle // factor)
             for k, vs in groups.items()]
    data = pyvrp.ProblemData(locations, clients, depots, types, [dist], [dur], shipments=shipments)
    return Data(data, list(groups.values()), client_node, ship_nodes)


def search_params(seconds: float, iterations: int | None = None):
    """PyVRP's search settings for a run of ``seconds`` (or ``iterations``, which then decides
    alone, so a run stopped by iterations stays reproducible)."""
    import pyvrp
    from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
    from pyvrp.search import NeighbourhoodParams

    expected = iterations / 50 if iterations is not None else seconds * HISTORY_PER_SECOND
    history = int(min(HISTORY_MAX, max(HISTORY_MIN, expected)))
    return pyvrp.SolveParams(ils=IteratedLocalSearchParams(history_length=history),
                             neighbourhood=NeighbourhoodParams(num_neighbours=NEIGHBOURS))


def solve(problem: Problem, nodes: Nodes, seconds: float, seed: int = 0,
          iterations: int | None = None, params=None) -> tuple[list[list[int]] | None, dict]:
    """Routes as node lists per assistant (OR-Tools' ``ReadAssignmentFromRoutes`` form), or None.
    With ``iterations`` the search stops after that many (deterministic unless time runs out)."""
    import pyvrp

    t0 = time.monotonic()
    d = to_data(problem, nodes)
    stop = _Budget(max(0.01, seconds - (time.monotonic() - t0)), iterations)
    with warnings.catch_warnings():  # an over-full day has no complete plan: that is expected
        warnings.simplefilter("ignore")
        res = pyvrp.solve(d.data, stop=stop, seed=seed, collect_stats=False, display=False,
                          params=params or search_params(seconds, iterations))
    best = res.best
    stats = {"seed_feasible": bool(best.is_feasible()), "seed_seconds": round(time.monotonic() - t0, 3),
             "seed_cost": int(res.cost()) if best.is_feasible() else None,
             "seed_iterations_done": res.num_iterations}
    if not best.is_feasible():
        return None, stats
    routes: list[list[int]] = [[] for _ in problem.assistants]
    free = [list(vs) for vs in d.vehicles]
    for route in best.routes():
        v = free[route.vehicle_type()].pop(0)
        for act in route.schedule():
            if act.is_depot():
                continue
            if act.is_client():
                routes[v].append(d.client_node[act.idx])
            else:
                p, q = d.ship_nodes[act.idx]
                routes[v].append(p if act.is_pickup() else q)
    return routes, stats
