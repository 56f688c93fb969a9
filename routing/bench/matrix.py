"""Matrix benchmark: seconds and peak memory to build an N×N matrix for N real addresses.

The area and its graph are loaded first and not timed; what is timed is what a planning request
pays: snapping N doors and running the Dijkstras. ``--baseline networkx`` times the naive way
(one networkx shortest-path call per pair between the doors' nearest nodes) for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc

import networkx as nx

from ..area import Area, load_area
from ..matrix import Point2


def sample_points(area: Area, n: int, seed: int = 7) -> list[tuple[float, float]]:
    """N real addresses of the area (with repeats when the area has fewer), seeded."""
    labels = area.geocoder.labels()
    rng = random.Random(seed)
    chosen = rng.sample(labels, n) if n <= len(labels) else rng.choices(labels, k=n)
    return [(p.lat, p.lon) for p in map(area.geocode, chosen)]


def networkx_baseline(area: Area, points: list[Point2], mode: str) -> None:
    """N² networkx Dijkstra calls between the nearest graph nodes: what not to do."""
    net = area.network(mode)
    router = area.router(mode)
    G = nx.DiGraph()
    for a, b, l, f in zip(net.u, net.v, net.length, net.speed_factor, strict=True):
        w = l / (router.speed_mps * f)
        if not G.has_edge(a, b) or G[a][b]["weight"] > w:
            G.add_edge(int(a), int(b), weight=w)
    snap = router.snap(points)
    nodes = [int(net.u[e]) for e in snap.edge]
    for s in nodes:
        for t in nodes:
            nx.shortest_path_length(G, s, t, weight="weight")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing.bench matrix")
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--mode", default="walk")
    parser.add_argument("--area", default=None)
    parser.add_argument("--baseline", choices=["networkx"], default=None)
    args = parser.parse_args(argv)
    area = load_area(args.area)
    router = area.router(args.mode)
    router.snap([sample_points(area, 1)[0]])  # build the spatial index before timing
    points = sample_points(area, args.points)
    run = (lambda: networkx_baseline(area, points, args.mode)) if args.baseline else \
        (lambda: router.matrix(points, args.mode))
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    # Memory is traced in a second run: tracing slows Python-heavy code too much to time it
    # (and the baseline too much to trace at all).
    peak = None
    if not args.baseline:
        tracemalloc.start()
        run()
        peak = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    print(json.dumps({"area": area.name, "mode": args.mode, "points": args.points,
                      "method": args.baseline or "csr-dijkstra", "seconds": round(seconds, 4),
                      "peak_mb": peak}))
    return 0
