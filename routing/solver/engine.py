"""The OR-Tools routing model: every rule of the day as dimensions, disjunctions and constraints.

Only this module imports OR-Tools. It takes the node table (:mod:`.nodes`) and returns raw routes
(node lists with service start times and breaks); :mod:`routing.solver` turns those into a Plan.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ..model import Problem, TimeWindow
from .nodes import COST_SCALE, Nodes

FIRST_PLAN_SECONDS = 30.0
"""How long a run may go on past its time limit while it has found no plan at all."""
FALLBACK_FIRST_SOLUTIONS = ("PATH_CHEAPEST_ARC", "FIRST_UNBOUND_MIN_VALUE")
FIRST_PLAN_WORK = 3_000_000
"""The same bound in steps, for a counted run (about 30 s at 100 000 steps a second)."""
UNTIMED_SECONDS = 24 * 3600
"""OR-Tools' clocks in a counted run, on the search and on its sub-searches: never reached (the
caller's hard limit comes first), so the run takes the same steps on any machine. (Without a
time limit OR-Tools warns that guided local search may run forever.)"""


@dataclass
class Raw:
    routes: list[list[int]]          # node ids per assistant, depots excluded
    times: list[list[int]] = field(default_factory=list)  # service start per routed node
    departures: list[int] = field(default_factory=list)
    finishes: list[int] = field(default_factory=list)
    breaks: list[list[tuple[int, int]]] = field(default_factory=list)
    cost: int = 0
    status: str = ""
    found: bool = False


def clip(windows: tuple[TimeWindow, ...], now: int | None) -> tuple[TimeWindow, ...]:
    """Windows left after ``now`` (service may not start before it)."""
    if now is None:
        return windows
    return tuple(TimeWindow(max(w.start, now), w.end) for w in windows if w.end >= now)


def horizon(problem: Problem) -> int:
    ends = [a.shift.end for a in problem.assistants]
    ends += [w.end for o in problem.orders for w in o.windows]
    return max(ends + [0]) + 1


def penalty(problem: Problem, rank: int) -> int:
    return max(1, COST_SCALE * problem.weights.drop // int(10 ** (rank - 1)))


def preference(problem: Problem, nodes: Nodes, v: int) -> np.ndarray | None:
    """Per node, the soft cost of giving it to assistant ``v`` (regulars, own buurt)."""
    w, a = problem.weights, problem.assistants[v]
    regular_of = {r: b.id for b in problem.assistants for r in b.regulars}
    extra = np.zeros(nodes.size, dtype=np.int64)
    for n, stop in enumerate(nodes.stop):
        if stop is None or stop[1] != "delivery":
            continue
        o = problem.order(stop[0])
        if o.resident and regular_of.get(o.resident, a.id) != a.id:
            extra[n] += COST_SCALE * w.not_regular
        if o.buurt and a.buurt and o.buurt != a.buurt:
            extra[n] += COST_SCALE * w.other_buurt
    return extra if extra.any() else None


def fair_shares(problem: Problem, nodes: Nodes) -> list[int]:
    """Each assistant's share of the estimated work (service plus nearest-neighbour travel), in
    proportion to shift length, plus their break: the span above it is priced quadratically."""
    work = int(nodes.service.sum())
    for mode in {a.mode for a in problem.assistants}:
        t = nodes.travel(problem, mode).astype(float)
        np.fill_diagonal(t, np.inf)
        nearest = np.where(np.isfinite(t.min(axis=0)), t.min(axis=0), 0)
        work = max(work, int(nodes.service.sum() + nearest[len(set(nodes.starts + nodes.ends)):].sum()))
    lengths = [a.shift.end - a.shift.start for a in problem.assistants]
    return [int(work * ln / max(1, sum(lengths))) + (a.break_.duration if a.break_ else 0)
            for ln, a in zip(lengths, problem.assistants, strict=True)]


class Model:
    """One OR-Tools routing model of the problem; ``run`` may be called once."""

    def __init__(self, problem: Problem, nodes: Nodes):
        self.problem, self.nodes = problem, nodes
        p, V = problem, len(problem.assistants)
        self.manager = mgr = pywrapcp.RoutingIndexManager(nodes.size, V, nodes.starts, nodes.ends)
        self.routing = routing = pywrapcp.RoutingModel(mgr)
        solver = routing.solver()
        idx = mgr.NodeToIndex

        # arc costs and travel times, one matrix per mode (per assistant if preferences differ)
        time_eval, cost_eval = {}, {}
        for v, a in enumerate(p.assistants):
            if a.mode not in time_eval:
                time_eval[a.mode] = routing.RegisterTransitMatrix(nodes.time_matrix(p, a.mode).tolist())
            pref = preference(p, nodes, v)
            key = (a.mode, None if pref is None else pref.tobytes())
            if key not in cost_eval:
                cost = nodes.cost_matrix(p, a.mode)
                if pref is not None:
                    cost = cost + pref[None, :]
                cost_eval[key] = routing.RegisterTransitMatrix(cost.tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_eval[key], v)
        H = horizon(p)
        routing.AddDimensionWithVehicleTransits([time_eval[a.mode] for a in p.assistants],
                                                H, H, False, "time")
        self.time = time = routing.GetDimensionOrDie("time")
        for v, a in enumerate(p.assistants):
            time.CumulVar(routing.Start(v)).SetRange(a.shift.start, a.shift.end)
            time.CumulVar(routing.End(v)).SetRange(a.shift.start, a.shift.end)
        done = {(d.order_id, d.action): d for d in p.done}
        for n, stop in enumerate(nodes.stop):
            if stop is None or stop in done:
                continue
            wins = clip(nodes.windows[n], p.now)
            lo = wins[0].start if wins else (p.now or 0)
            hi = wins[-1].end if wins else H
            cumul = time.CumulVar(idx(n))
            cumul.SetRange(lo, hi)
            for w1, w2 in itertools.pairwise(wins):
                cumul.RemoveInterval(w1.end + 1, w2.start - 1)

        # load on board
        if nodes.demand.any():
            demand = routing.RegisterUnaryTransitVector(nodes.demand.tolist())
            caps = [a.capacity for a in p.assistants]
            routing.AddDimensionWithVehicleCapacity(demand, 0, caps, not nodes.mixed_load, "load")
            if nodes.mixed_load:
                load = routing.GetDimensionOrDie("load")
                for v, a in enumerate(p.assistants):
                    load.CumulVar(routing.Start(v)).SetRange(0, a.capacity)
                    load.CumulVar(routing.End(v)).SetRange(0, 0)

        # pickup before delivery, same assistant, ride time
        for pn, dn in nodes.pair.items():
            ip, id_ = idx(pn), idx(dn)
            # A pickup already done leaves its delivery to be inserted alone: pair insertion
            # heuristics cannot place half a pair, and the constraints below still hold it to
            # the same assistant, after the pickup.
            if nodes.stop[pn] not in done:
                routing.AddPickupAndDelivery(ip, id_)
            solver.Add(routing.VehicleVar(ip) == routing.VehicleVar(id_))
            solver.Add(routing.ActiveVar(ip) == routing.ActiveVar(id_))
            solver.Add(time.CumulVar(ip) <= time.CumulVar(id_))
            limit = p.order(nodes.served(dn)[0]).ride_limit
            if limit is not None:
                solver.Add(time.CumulVar(id_) - time.CumulVar(ip) <= limit + int(nodes.service[pn]))

        # optional orders, penalised by priority; done and locked stops pinned
        pinned = {d.order_id for d in p.done}
        for o in nodes.orders:
            if o.id in pinned:
                continue
            pen = penalty(p, o.rank) * (10 if any(k.order_id == o.id for k in p.locks) else 1)
            for n in ((nodes.pickup_of[o.id],) if o.id in nodes.pickup_of else ()) + (nodes.delivery_of[o.id],):
                routing.AddDisjunction([idx(n)], pen)
        vehicle_of = {a.id: v for v, a in enumerate(p.assistants)}

        def node_of(oid: str, action: str) -> int:
            return (nodes.pickup_of if action == "pickup" else nodes.delivery_of)[oid]
        chains: dict[int, list[tuple[int, int]]] = {}
        for d in p.done:
            chains.setdefault(vehicle_of[d.assistant_id], []).append((d.start, node_of(d.order_id, d.action)))
        # Done stops open their round in the order they were done. They are applied as OR-Tools
        # lock chains when the search starts (see run): insertion heuristics build on those,
        # where side constraints on NextVar made the first-plan search fail outright.
        self.locked_chains: list[list[int]] = [[] for _ in p.assistants]
        for v, chain in chains.items():
            for start, n in sorted(chain):
                routing.VehicleVar(idx(n)).SetValue(v)
                time.CumulVar(idx(n)).SetRange(start, start)
                self.locked_chains[v].append(idx(n))
        positioned = [k for k in p.locks if k.position is not None and k.order_id in nodes.delivery_of]
        if positioned:
            routing.AddConstantDimension(1, nodes.size + 1, True, "rank")
            rank = routing.GetDimensionOrDie("rank")
        for k in p.locks:
            if k.order_id not in nodes.delivery_of:
                continue  # taken out before solving, with a reason
            n = idx(node_of(k.order_id, k.action))
            # (SetAllowedVehiclesForIndex does not take a Python list in this binding)
            routing.VehicleVar(n).SetValues([-1, vehicle_of[k.assistant_id]])
            if k.position is not None:
                rank.CumulVar(n).SetRange(k.position + 1, k.position + 1)

        # breaks: never during a service, inside their window
        visit = [int(nodes.service[mgr.IndexToNode(i)]) for i in range(routing.Size())]
        self.break_vars: dict[int, list[Any]] = {}
        for v, a in enumerate(p.assistants):
            if a.break_ is not None:
                b = a.break_
                iv = solver.FixedDurationIntervalVar(b.window.start, b.window.end, b.duration,
                                                     False, f"break {v}")
                self.break_vars[v] = [iv]
                time.SetBreakIntervalsOfVehicle([iv], v, visit)

        # objective extras: waiting, workload balance, vehicles
        w = p.weights
        if w.wait_second:
            for v in range(V):
                time.SetSpanCostCoefficientForVehicle(int(COST_SCALE * w.wait_second), v)
        if w.balance and V > 1:
            for v, share in enumerate(fair_shares(p, nodes)):
                time.SetQuadraticCostSoftSpanUpperBoundForVehicle(
                    pywrapcp.BoundCost(share, int(w.balance)), v)
        if w.vehicle:
            routing.SetFixedCostOfAllVehicles(COST_SCALE * w.vehicle)
        # global cheapest insertion builds the best first plans on plain problems (it found
        # feasible Solomon plans where others did not) but takes many seconds once breaks,
        # per-assistant costs and balance are in (11 s for 40 real orders); then go local
        self.plain = not self.break_vars and len(cost_eval) <= len(time_eval) and not (w.balance and V > 1)

    def run(self, seconds: float | None, first_solution: str, metaheuristic: str,
            solution_limit: int | None = None, initial: list[list[int]] | None = None,
            log: bool = False, work_limit: int | None = None) -> Raw:
        """Search until ``seconds`` pass or, with ``work_limit``, until the search has checked
        its limits that many times: a count that is the same on every machine, so the plan is
        reproducible whenever the work limit, not the clock, ends the run (``self.stopped_by``).

        ``seconds`` None (a counted run, ``work_limit`` or ``solution_limit`` given): no clock
        at all, not even inside OR-Tools (its large-neighbourhood sub-searches and the
        scheduling of a plan's times stop at ``lns_time_limit``, 0.1 s, which a busy machine
        reaches sooner: another plan); the caller's hard limit is the safety."""
        assert seconds is not None or work_limit, "a run without a clock needs a work limit"
        routing, mgr = self.routing, self.manager
        self.work, t0 = 0, time.monotonic()
        if work_limit:
            def spent() -> bool:
                self.work += 1
                return self.work > work_limit
            routing.AddSearchMonitor(routing.solver().CustomLimit(spent))
        sp = pywrapcp.DefaultRoutingSearchParameters()
        if first_solution == "AUTO":
            first_solution = "PARALLEL_CHEAPEST_INSERTION" if self.plain else "LOCAL_CHEAPEST_INSERTION"
        self.first_solution = first_solution
        sp.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_solution)
        sp.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
        if seconds is not None:
            sp.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
        else:
            sp.time_limit.FromSeconds(UNTIMED_SECONDS)
            sp.lns_time_limit.FromSeconds(UNTIMED_SECONDS)
        if solution_limit:
            sp.solution_limit = solution_limit
        sp.log_search = log
        solution = None
        if any(self.locked_chains):
            routing.CloseModelWithParameters(sp)
            if not routing.ApplyLocksToAllVehicles(self.locked_chains, False):
                return Raw([[] for _ in self.problem.assistants], status="invalid done stops",
                           found=False)
        if initial is not None:
            # Reading the routes back is a small search under the limits the model was closed
            # with: a seed that took nearly all the time must not be lost to a 1 ms limit
            # (the continuation below still gets only ``seconds``).
            read = pywrapcp.DefaultRoutingSearchParameters()
            read.CopyFrom(sp)
            if seconds is not None:
                read.time_limit.FromMilliseconds(max(1000, int(seconds * 1000)))
            routing.CloseModelWithParameters(read)
            start = routing.ReadAssignmentFromRoutes(initial, True)
            if start is not None:
                solution = routing.SolveFromAssignmentWithParameters(start, sp) or start
        if solution is None:
            solution = routing.SolveWithParameters(sp)
        status_enum = routing_enums_pb2.RoutingSearchStatus
        if solution is None and routing.status() in (status_enum.ROUTING_FAIL,
                                                     status_enum.ROUTING_FAIL_TIMEOUT):
            # The time limit bounds the search for a better plan, not the search for any plan:
            # a loaded machine must not turn a plannable day into "nothing planned" (and a
            # re-plan into one that loses its done stops). Stop at the first plan found.
            # Insertion heuristics can also fail outright where done stops pin half a pair;
            # building arc by arc then still finds a plan.
            # ... within a bounded budget: FIRST_PLAN_SECONDS in all, shared by the strategies
            # (once 10× the time limit for each, which let a 30 s run go on for 15 minutes)
            strategies = (first_solution, *FALLBACK_FIRST_SOLUTIONS)
            if seconds is not None:  # a counted run: the first plan each strategy finds
                budget = min(FIRST_PLAN_SECONDS, max(2.0, 2 * seconds)) / len(strategies)
                sp.time_limit.FromMilliseconds(int(budget * 1000))
            sp.solution_limit = 1
            for fallback in strategies:
                # no work limit on the search for a first plan in a timed run; in a counted
                # one, FIRST_PLAN_WORK steps shared by the strategies
                self.work = -(10 ** 18) if seconds is not None or not work_limit else \
                    work_limit - FIRST_PLAN_WORK // len(strategies)
                sp.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy,
                                                     fallback)
                solution = routing.SolveWithParameters(sp)
                if solution is not None:
                    self.first_solution = fallback
                    break
        self.stopped_by = ("work" if work_limit and self.work > work_limit else
                           "time" if seconds is not None and time.monotonic() - t0 >= 0.97 * seconds
                           else "search")
        names = routing_enums_pb2.RoutingSearchStatus.DESCRIPTOR.enum_types[0].values_by_number
        status = names[routing.status()].name.removeprefix("ROUTING_").lower() \
            if routing.status() in names else str(routing.status())
        V = len(self.problem.assistants)
        if solution is None:
            return Raw([[] for _ in range(V)], status=status, found=False)
        raw = Raw([], status=status, found=True, cost=solution.ObjectiveValue())
        for v in range(V):
            i, route, times = routing.Start(v), [], []
            raw.departures.append(solution.Value(self.time.CumulVar(i)))
            i = solution.Value(routing.NextVar(i))
            while not routing.IsEnd(i):
                route.append(mgr.IndexToNode(i))
                times.append(solution.Value(self.time.CumulVar(i)))
                i = solution.Value(routing.NextVar(i))
            raw.finishes.append(solution.Value(self.time.CumulVar(i)))
            raw.routes.append(route)
            raw.times.append(times)
            brk = []
            for iv in self.break_vars.get(v, []):
                ivs = solution.IntervalVarContainer()
                for k in range(ivs.Size()):
                    el = ivs.Element(k)
                    if el.Var().Name() == iv.Name() and el.PerformedValue():
                        brk.append((el.StartValue(), el.StartValue() + el.DurationValue()))
            raw.breaks.append(brk)
        return raw
