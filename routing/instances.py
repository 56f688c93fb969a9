"""Readers for the public benchmark formats, and their exact (floating-point) evaluation.

Two formats, any size (Solomon 25–100, Gehring & Homberger 200–1000, Li & Lim 100–1000):

* **Solomon VRPTW**: a name line, ``VEHICLE`` / ``NUMBER CAPACITY``, ``CUSTOMER`` and one line per
  node: id, x, y, demand, ready, due, service (node 0 is the depot).
* **Li & Lim PDPTW**: a first line ``vehicles capacity speed``, then per node: id, x, y, demand
  (+ pickup, − delivery), ready, due, service, pickup index, delivery index.

An instance becomes a :class:`routing.model.Problem` through :func:`to_problem`: times and
distances are scaled by ``scale`` to integers, travel times **rounded up** (so every plan feasible
in the integer model is feasible with the exact distances). Reported distances are recomputed
from the routes in full precision by :func:`evaluate`, which also checks feasibility exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .model import Assistant, Order, Pickup, Plan, Problem, TimeWindow, Weights


class InstanceError(ValueError):
    """The file is in neither format, or a line is malformed (the message says which)."""


@dataclass(frozen=True)
class Instance:
    """One benchmark instance. ``pairs[i]`` maps a pickup node to its delivery node (Li & Lim)."""

    name: str
    kind: str  # "solomon" or "lilim"
    vehicles: int
    capacity: int
    xy: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    pairs: dict[int, int] = field(default_factory=dict)

    @property
    def customers(self) -> int:
        return len(self.xy) - 1

    def distances(self) -> np.ndarray:
        diff = self.xy[:, None, :] - self.xy[None, :, :]
        out: np.ndarray = np.sqrt((diff ** 2).sum(axis=2))
        return out


def _numbers(line: str, path: Path, lineno: int) -> list[float]:
    try:
        return [float(x) for x in line.split()]
    except ValueError:
        raise InstanceError(f"{path}:{lineno}: expected numbers, got {line.strip()!r}") from None


def read(path: str | Path) -> Instance:
    """Read a Solomon or Li & Lim instance file (format detected from its content)."""
    path = Path(path)
    lines = path.read_text().splitlines()
    if any(re.match(r"\s*VEHICLE\b", ln, re.I) for ln in lines[:10]):
        return _read_solomon(path, lines)
    return _read_lilim(path, lines)


def _table(path: Path, rows: list[tuple[int, str]], width: int) -> np.ndarray:
    data = []
    for lineno, ln in rows:
        nums = _numbers(ln, path, lineno)
        if len(nums) != width:
            raise InstanceError(f"{path}:{lineno}: expected {width} columns, got {len(nums)}")
        data.append(nums)
    if len(data) < 2:
        raise InstanceError(f"{path}: no customers")
    table = np.array(data)
    ids = table[:, 0].astype(int)
    if not (ids == np.arange(len(ids))).all():
        raise InstanceError(f"{path}: node ids must run 0..{len(ids) - 1} in order")
    return table


def _read_solomon(path: Path, lines: list[str]) -> Instance:
    vehicles = capacity = None
    rows: list[tuple[int, str]] = []
    for i, ln in enumerate(lines):
        if re.match(r"\s*NUMBER\s+CAPACITY", ln, re.I):
            for j in range(i + 1, len(lines)):
                if lines[j].strip():
                    vehicles, capacity = (int(v) for v in _numbers(lines[j], path, j + 1)[:2])
                    break
        if re.match(r"\s*\d", ln) and vehicles is not None and i > 0 and "CUST" not in ln.upper():
            nums = ln.split()
            if len(nums) == 7:
                rows.append((i + 1, ln))
    if vehicles is None or capacity is None:
        raise InstanceError(f"{path}: Solomon format without a VEHICLE NUMBER/CAPACITY line")
    t = _table(path, rows, 7)
    return Instance(lines[0].strip() or path.stem, "solomon", vehicles, capacity, t[:, 1:3],
                    t[:, 3].astype(int), t[:, 4], t[:, 5], t[:, 6])


def _read_lilim(path: Path, lines: list[str]) -> Instance:
    body = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not body:
        raise InstanceError(f"{path}: empty file")
    head = _numbers(body[0][1], path, body[0][0])
    if len(head) < 2:
        raise InstanceError(f"{path}: neither Solomon (no VEHICLE line) nor Li & Lim "
                            "(first line must be: vehicles capacity speed)")
    t = _table(path, body[1:], 9)
    pairs = {}
    for row in t[1:]:
        node, pick, deliv = int(row[0]), int(row[7]), int(row[8])
        if row[3] > 0:
            if deliv <= 0 or deliv >= len(t) or int(t[deliv, 7]) != node or t[deliv, 3] != -row[3]:
                raise InstanceError(f"{path}: pickup {node} names delivery {deliv}, which does not "
                                    "name it back with the opposite demand")
            pairs[node] = deliv
        elif row[3] < 0 and not (0 < pick < len(t)):
            raise InstanceError(f"{path}: delivery {node} names no valid pickup")
    return Instance(path.stem, "lilim", int(head[0]), int(head[1]), t[:, 1:3],
                    t[:, 3].astype(int), t[:, 4], t[:, 5], t[:, 6], pairs)


def to_problem(inst: Instance, scale: int = 1000, vehicle_first: bool | None = None) -> Problem:
    """The instance as a day: one order per customer (or pair), identical assistants.

    Solomon customers are deliveries from the depot; Li & Lim pairs get a ``Pickup``. Cost is
    distance only (the solver prices 1000 per instance unit); ``vehicle_first`` (default: Li & Lim) adds
    a fixed cost per used vehicle larger than any distance saving (a quarter of the longest arc
    per node exceeds the total distance of these instances; much larger costs make PyVRP's
    penalty search lose feasibility on big files).
    """
    if vehicle_first is None:
        vehicle_first = inst.kind == "lilim"
    dist = inst.distances()
    dur = np.ceil(dist * scale - 1e-6).astype(np.int64)

    def s(v: float) -> int:  # window and service values are integral
        return int(round(float(v) * scale))

    orders = []
    deliveries_of_pairs = set(inst.pairs.values())
    for node in range(1, len(inst.xy)):
        if node in deliveries_of_pairs:
            continue
        win = (TimeWindow(s(inst.ready[node]), s(inst.due[node])),)
        if node in inst.pairs:
            d = inst.pairs[node]
            orders.append(Order(str(d), "parcel", d, windows=(TimeWindow(s(inst.ready[d]), s(inst.due[d])),),
                                pickup=Pickup(node, str(node), win, s(inst.service[node])),
                                praatje=0, priority=1, handling=s(inst.service[d]), size=int(inst.demand[node])))
        else:
            orders.append(Order(str(node), "parcel", node, windows=win, praatje=0, priority=1,
                                handling=s(inst.service[node]), size=int(inst.demand[node])))
    shift = TimeWindow(s(inst.ready[0]), s(inst.due[0]))
    fleet = tuple(Assistant(f"v{k + 1}", mode="bench", shift=shift, start=0, capacity=inst.capacity)
                  for k in range(inst.vehicles))
    longest = float(dist.max())
    weights = Weights(travel_second=0.0, metre=1.0, wait_second=0.0, balance=0.0,
                      not_regular=0, other_buurt=0,
                      vehicle=int(longest * len(inst.xy) / 4) if vehicle_first else 0,
                      drop=int(100 * longest * len(inst.xy)))
    return Problem(tuple(orders), fleet, {"bench": dur}, {"bench": dist}, weights, name=inst.name)


@dataclass(frozen=True)
class Evaluation:
    distance: float
    vehicles: int
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def evaluate(inst: Instance, routes: list[list[int]], eps: float = 1e-6) -> Evaluation:
    """Exact check of routes (lists of node ids, depot excluded) against the instance."""
    dist = inst.distances()
    bad: list[str] = []
    seen: dict[int, tuple[int, int]] = {}
    total = 0.0
    for r, route in enumerate(routes):
        t, load, prev, low = float(inst.ready[0]), 0, 0, 0
        if inst.kind == "solomon":
            load = int(sum(inst.demand[n] for n in route))
        for pos, node in enumerate(route):
            if not 0 < node < len(inst.xy):
                bad.append(f"route {r}: node {node} is not a customer")
                continue
            if node in seen:
                bad.append(f"node {node} visited twice")
            seen[node] = (r, pos)
            total += dist[prev, node]
            t = max(t + dist[prev, node], float(inst.ready[node]))
            if t > inst.due[node] + eps:
                bad.append(f"route {r}: node {node} served at {t:.3f} after due {inst.due[node]}")
            t += float(inst.service[node])
            load += -int(inst.demand[node]) if inst.kind == "solomon" else int(inst.demand[node])
            low = min(low, load)
            if load > inst.capacity or load < 0:
                bad.append(f"route {r}: load {load} at node {node} outside 0..{inst.capacity}")
            prev = node
        total += dist[prev, 0]
        if route and t + dist[prev, 0] > inst.due[0] + eps:
            bad.append(f"route {r}: back at depot at {t + dist[prev, 0]:.3f} after {inst.due[0]}")
    missing = set(range(1, len(inst.xy))) - set(seen)
    if missing:
        bad.append(f"{len(missing)} customers not visited, e.g. {sorted(missing)[:5]}")
    for p, d in inst.pairs.items():
        if p in seen and d in seen and (seen[p][0] != seen[d][0] or seen[p][1] > seen[d][1]):
            bad.append(f"pair {p}->{d} not on one route in order")
    used = sum(1 for r in routes if r)
    if used > inst.vehicles:
        bad.append(f"{used} vehicles used, {inst.vehicles} available")
    return Evaluation(total, used, tuple(bad))


def plan_routes(plan: Plan) -> list[list[int]]:
    """The node ids of a :class:`routing.model.Plan` of a benchmark problem, per used route."""
    return [[v.location for v in r.visits] for r in plan.routes if r.visits]
