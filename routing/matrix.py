"""Travel times and distances between doors, on the street graph.

A door is snapped to the nearest street *edge* (not node): the street is split at the foot of the
perpendicular, and the walk from the door to the street is added (at walking speed, whatever the
mode: the assistant walks the bike to the door). All snapped doors are added to one CSR graph and
one Dijkstra per source door gives the whole row, so an N×N matrix costs N single-source runs on
a graph of a few thousand nodes, never N² pair queries.

Time decides the route; distance is that route's length. Both come out of one Dijkstra by
packing them into one exact float64 weight: ``centiseconds · 2**24 + decimetres``. Integers below
2**53 add exactly, so the search minimises time and breaks ties by distance, and both are read
back from the packed sums.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely import STRtree, points as shapely_points
from shapely.geometry import LineString, Point

from .network import Network

SHIFT = float(2**24)
"""Packing factor: decimetres live below it, centiseconds above (exact up to ~62 days)."""

Point2 = tuple[float, float]
"""(lat, lon) in degrees, the order people write coordinates in."""


@dataclass(frozen=True)
class Snap:
    """Where doors meet the street: edge index, offset along it (m), door-to-street length (m)."""

    edge: np.ndarray
    offset: np.ndarray
    connector: np.ndarray
    foot: tuple[Point, ...]
    door: tuple[Point, ...]


@dataclass(frozen=True)
class TravelMatrix:
    """``seconds[i, j]``: whole seconds from point i to point j, rounded up; ``metres[i, j]``:
    the length of that fastest route. Asymmetric where one-way streets make it so."""

    mode: str
    points: tuple[Point2, ...]
    seconds: np.ndarray
    metres: np.ndarray


@dataclass(frozen=True)
class Leg:
    """One street along a route: its name ("" when unnamed), length (m), travel time (s) and
    projected line; ``kind`` is "door" for the walk between a door and the street."""

    street: str
    metres: float
    seconds: float
    line: LineString
    kind: str = "street"


@dataclass(frozen=True)
class Path:
    """The fastest route between two doors, as lon/lat coordinates and street legs."""

    seconds: float
    metres: float
    lonlat: tuple[Point2, ...]
    legs: tuple[Leg, ...]


class Router:
    """Matrices and paths for one network at fixed speeds.

    Parameters
    ----------
    network : Network
        The mode's street graph.
    speed_mps : float
        Riding (or walking) speed along streets, metres per second.
    walk_mps : float
        Walking speed from the door to the street.
    """

    def __init__(self, network: Network, speed_mps: float, walk_mps: float):
        if speed_mps <= 0 or walk_mps <= 0:
            raise ValueError("speeds must be positive")
        self.network = network
        self.speed_mps = speed_mps
        self.walk_mps = walk_mps
        self.to_xy = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
        self._to_lonlat = Transformer.from_crs(network.crs, "EPSG:4326", always_xy=True)

    @cached_property
    def street_index(self) -> STRtree:
        """Spatial index over the network's edge geometries (snapping, map drawing)."""
        return STRtree(self.network.geometry)

    @cached_property
    def _reverse(self) -> np.ndarray:
        """For each edge, the index of the same street piece in the other direction, or -1."""
        net = self.network
        lookup = {(int(a), int(b), round(float(l))): i
                  for i, (a, b, l) in enumerate(zip(net.u, net.v, net.length, strict=True))}
        return np.array([lookup.get((int(b), int(a), round(float(l))), -1)
                         for a, b, l in zip(net.u, net.v, net.length, strict=True)], dtype=np.int64)

    @cached_property
    def _edge_weight(self) -> np.ndarray:
        net = self.network
        seconds = net.length / (self.speed_mps * net.speed_factor)
        return _pack(seconds, net.length)

    def snap(self, points: list[Point2] | tuple[Point2, ...]) -> Snap:
        """Snap (lat, lon) points to their nearest street edges."""
        lat = np.array([p[0] for p in points], dtype=float)
        lon = np.array([p[1] for p in points], dtype=float)
        x, y = self.to_xy.transform(lon, lat)
        doors = shapely_points(np.column_stack([x, y]))
        edge = self.street_index.query_nearest(doors, all_matches=False)[1]
        geoms = [self.network.geometry[e] for e in edge]
        offset = np.array([g.project(d) for g, d in zip(geoms, doors, strict=True)])
        foot = tuple(g.interpolate(o) for g, o in zip(geoms, offset, strict=True))
        connector = np.array([d.distance(f) for d, f in zip(doors, foot, strict=True)])
        return Snap(edge=np.asarray(edge, dtype=np.int64), offset=offset,
                    connector=connector, foot=foot, door=tuple(doors))

    def _graph(self, snap: Snap) -> csr_matrix:
        """The street graph plus a street node and a door node per snapped point.

        Street node of point i is ``n + i``, its door node ``n + k + i`` (k points). Each
        snapped edge is split into a chain through all street nodes on it, in both directions
        where the street allows both.
        """
        net = self.network
        n, k = net.n_nodes, len(snap.edge)
        rows, cols, weights = [net.u], [net.v], [self._edge_weight]
        street = n + np.arange(k)
        door = n + k + street - n
        walk = _pack(snap.connector / self.walk_mps, snap.connector)
        rows += [street, door]
        cols += [door, street]
        weights += [walk, walk]
        speed = self.speed_mps * net.speed_factor
        for e in np.unique(snap.edge):
            on_edge = np.flatnonzero(snap.edge == e)
            on_edge = on_edge[np.argsort(snap.offset[on_edge], kind="stable")]
            marks = np.concatenate([[0.0], snap.offset[on_edge], [net.length[e]]])
            chain = np.concatenate([[net.u[e]], street[on_edge], [net.v[e]]])
            step = np.diff(marks)
            w = _pack(step / speed[e], step)
            rows.append(chain[:-1])
            cols.append(chain[1:])
            weights.append(w)
            if self._reverse[e] >= 0:
                rows.append(chain[1:])
                cols.append(chain[:-1])
                weights.append(w)
        row, col, weight = (np.concatenate(a) for a in (rows, cols, weights))
        # Keep the lightest of parallel edges: csr_matrix would add them up.
        order = np.lexsort((weight, col, row))
        row, col, weight = row[order], col[order], weight[order]
        first = np.ones(len(row), dtype=bool)
        first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
        size = n + 2 * k
        return csr_matrix((weight[first], (row[first], col[first])), shape=(size, size))

    def matrix(self, points: list[Point2] | tuple[Point2, ...], mode: str = "") -> TravelMatrix:
        """The N×N travel-time and distance matrix between ``points`` (lat, lon)."""
        points = tuple((float(a), float(b)) for a, b in points)
        if not points:
            empty = np.zeros((0, 0))
            return TravelMatrix(mode, points, empty.astype(np.int64), empty)
        snap = self.snap(points)
        graph = self._graph(snap)
        n, k = self.network.n_nodes, len(points)
        doors = n + k + np.arange(k)
        packed = np.empty((k, k))
        for start in range(0, k, 256):
            rows = dijkstra(graph, directed=True, indices=doors[start:start + 256])
            packed[start:start + 256] = rows[:, doors]
        if not np.isfinite(packed).all():
            raise RuntimeError("some doors cannot reach each other on the street graph")
        seconds, metres = _unpack(packed)
        np.fill_diagonal(seconds, 0.0)
        np.fill_diagonal(metres, 0.0)
        return TravelMatrix(mode, points, np.ceil(seconds - 1e-6).astype(np.int64), metres)

    def path(self, origin: Point2, destination: Point2) -> Path:
        """The fastest route from ``origin`` to ``destination``, with its streets."""
        snap = self.snap([origin, destination])
        graph = self._graph(snap)
        n = self.network.n_nodes
        src, dst = n + 2, n + 3
        dist, pred = dijkstra(graph, directed=True, indices=src, return_predecessors=True)
        nodes = [dst]
        while nodes[-1] != src:
            nodes.append(int(pred[nodes[-1]]))
            if nodes[-1] < 0:
                raise RuntimeError("no route between these points")
        nodes.reverse()
        seconds, metres = _unpack(np.array([dist[dst]]))
        lines = [self._segment(snap, a, b) for a, b in pairwise(nodes)]
        legs = _legs(lines, self.speed_mps, self.walk_mps)
        coords: list[Point2] = []
        for _, line, _ in lines:
            for x, y in line.coords:
                lon, lat = self._to_lonlat.transform(x, y)
                if not coords or coords[-1] != (lat, lon):
                    coords.append((lat, lon))
        return Path(float(seconds[0]), float(metres[0]), tuple(coords), legs)

    def _segment(self, snap: Snap, a: int, b: int) -> tuple[str, LineString, str]:
        """Geometry and street name of one hop of a path in the graph built by ``_graph``.

        Returns (street name, projected line, kind) where kind is "street", "door" or "part".
        """
        net = self.network
        n, k = net.n_nodes, len(snap.edge)

        def position(node: int) -> tuple[int, float, Point] | None:
            if n <= node < n + k:
                i = node - n
                return int(snap.edge[i]), float(snap.offset[i]), snap.foot[i]
            return None

        if a >= n + k or b >= n + k:  # door ↔ street
            i = (a if a >= n + k else b) - n - k
            ends = [snap.door[i].coords[0], snap.foot[i].coords[0]]
            return "", LineString(ends if a >= n + k else ends[::-1]), "door"
        pa, pb = position(a), position(b)
        at = pa or pb
        if at is None:  # street node to street node: the lightest edge between them
            candidates = np.flatnonzero((net.u == a) & (net.v == b))
            e = int(candidates[np.argmin(net.length[candidates])])
            return net.street[e], net.geometry[e], "street"
        e = at[0]
        geom = net.geometry[e]
        start = pa[1] if pa else (0.0 if a == net.u[e] else geom.length)
        end = pb[1] if pb else (0.0 if b == net.u[e] else geom.length)
        return net.street[e], _substring(geom, start, end), "part"


def _substring(line: LineString, start: float, end: float) -> LineString:
    from shapely.ops import substring

    return substring(line, start, end)


def _legs(lines: Iterable[tuple[str, LineString, str]], speed_mps: float,
          walk_mps: float) -> tuple[Leg, ...]:
    """Merge consecutive hops on the same street into legs."""
    legs: list[Leg] = []
    for name, line, kind in lines:
        if line.length == 0:
            continue
        speed = walk_mps if kind == "door" else speed_mps
        kind = "door" if kind == "door" else "street"
        if legs and (legs[-1].street, legs[-1].kind) == (name, kind):
            last = legs[-1]
            merged = LineString(list(last.line.coords) + list(line.coords)[1:])
            legs[-1] = Leg(name, last.metres + line.length,
                           last.seconds + line.length / speed, merged, kind)
        else:
            legs.append(Leg(name, line.length, line.length / speed, line, kind))
    return tuple(legs)


def _pack(seconds: np.ndarray, metres: np.ndarray) -> np.ndarray:
    cs = np.rint(np.asarray(seconds) * 100.0)
    dm = np.rint(np.asarray(metres) * 10.0)
    # Zero-weight edges would vanish from a sparse matrix; one decimetre is below any use.
    return np.maximum(cs * SHIFT + dm, 1.0)


def _unpack(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cs = np.floor(packed / SHIFT)
    dm = packed - cs * SHIFT
    return cs / 100.0, dm / 10.0
