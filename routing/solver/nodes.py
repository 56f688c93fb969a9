"""The problem flattened into solver nodes: depots, pickups and deliveries with their times.

Both the OR-Tools model and the seeding solver read this one table, so they agree on indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Order, Problem, TimeWindow

COST_SCALE = 1000
"""Integer cost units per unit of a :class:`routing.model.Weights` price."""


@dataclass
class Nodes:
    """Node ``n``: matrix location ``loc[n]``, service seconds, load change, windows, and which
    (order id, action) it serves (``None`` for depots). ``starts[v]``/``ends[v]`` per assistant."""

    loc: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    windows: list[tuple[TimeWindow, ...]]
    stop: list[tuple[str, str] | None]
    starts: list[int]
    ends: list[int]
    orders: list[Order]
    pair: dict[int, int]  # pickup node -> delivery node
    delivery_of: dict[str, int]
    pickup_of: dict[str, int]
    mixed_load: bool  # depot goods and pickup pairs together: load starts free, ends 0

    @property
    def size(self) -> int:
        return len(self.loc)

    def served(self, n: int) -> tuple[str, str]:
        """(order id, action) of node ``n``, which is no depot."""
        stop = self.stop[n]
        assert stop is not None, f"node {n} is a depot"
        return stop

    def travel(self, problem: Problem, mode: str) -> np.ndarray:
        out: np.ndarray = problem.durations[mode][np.ix_(self.loc, self.loc)].astype(np.int64)
        return out

    def time_matrix(self, problem: Problem, mode: str) -> np.ndarray:
        """Service at the from-node plus travel: the time dimension's transit."""
        out: np.ndarray = self.travel(problem, mode) + self.service[:, None]
        return out

    def cost_matrix(self, problem: Problem, mode: str) -> np.ndarray:
        w = problem.weights
        secs = self.travel(problem, mode).astype(float)
        metres = problem.distances[mode][np.ix_(self.loc, self.loc)]
        out: np.ndarray = np.rint(COST_SCALE * (w.travel_second * secs + w.metre * metres)).astype(np.int64)
        return out


def build(problem: Problem, orders: list[Order]) -> Nodes:
    """Depot nodes first (one per distinct start/end place), then per order [pickup,] delivery."""
    loc: list[int] = []
    service: list[int] = []
    demand: list[int] = []
    windows: list[tuple[TimeWindow, ...]] = []
    stop: list[tuple[str, str] | None] = []
    depot_node: dict[int, int] = {}

    def add(place: int, serve: int, load: int, wins: tuple[TimeWindow, ...],
            what: tuple[str, str] | None) -> None:
        loc.append(place)
        service.append(serve)
        demand.append(load)
        windows.append(wins)
        stop.append(what)

    def depot(place: int) -> int:
        if place not in depot_node:
            depot_node[place] = len(loc)
            add(place, 0, 0, (), None)
        return depot_node[place]

    starts = [depot(a.start) for a in problem.assistants]
    ends = [depot(a.end_location) for a in problem.assistants]
    has_pairs = any(o.pickup is not None and o.size for o in orders)
    depot_goods = any(o.pickup is None and o.size for o in orders)
    pair: dict[int, int] = {}
    delivery_of: dict[str, int] = {}
    pickup_of: dict[str, int] = {}
    for o in orders:
        if o.pickup is not None:
            pickup_of[o.id] = len(loc)
            add(o.pickup.location, o.pickup.handling, o.size, o.pickup.windows, (o.id, "pickup"))
            pair[pickup_of[o.id]] = len(loc)
            load = -o.size
        else:
            # goods from the start: counted up when only depot goods exist, down when mixed
            load = -o.size if has_pairs else o.size
        delivery_of[o.id] = len(loc)
        add(o.location, o.service, load, o.windows, (o.id, "delivery"))
    return Nodes(np.array(loc, dtype=np.int64), np.array(service, dtype=np.int64),
                 np.array(demand, dtype=np.int64), windows, stop, starts, ends, list(orders),
                 pair, delivery_of, pickup_of, depot_goods and has_pairs)
