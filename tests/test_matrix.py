"""Travel-time matrices on the real Helsinki streets, checked against networkx."""

import random

import networkx as nx
import numpy as np
import pytest

from routing.bench.matrix import sample_points


@pytest.fixture(scope="module")
def points(area):
    return sample_points(area, 40, seed=3)


def expected_seconds(area, mode, points):
    """Door-to-door times computed independently: networkx Dijkstra between the ends of the
    snapped edges, plus the partial edges and the walk to each door."""
    router, net = area.router(mode), area.network(mode)
    speed = router.speed_mps * net.speed_factor
    G = nx.DiGraph()
    for a, b, w in zip(net.u.tolist(), net.v.tolist(), (net.length / speed).tolist(), strict=True):
        if not G.has_edge(a, b) or G[a][b]["weight"] > w:
            G.add_edge(a, b, weight=w)
    pairs = {(int(a), int(b), round(float(l))) for a, b, l in zip(net.u, net.v, net.length, strict=True)}
    snap = router.snap(points)

    def two_way(e):
        return (int(net.v[e]), int(net.u[e]), round(float(net.length[e]))) in pairs

    out = np.zeros((len(points), len(points)))
    for i in range(len(points)):
        e, a = snap.edge[i], snap.offset[i]
        leave = {int(net.v[e]): (net.length[e] - a) / speed[e]}
        if two_way(e):  # min(): on a loop street u and v are one node
            leave[int(net.u[e])] = min(a / speed[e], leave.get(int(net.u[e]), np.inf))
        reach = {x: nx.single_source_dijkstra_path_length(G, x) for x in leave}
        for j in range(len(points)):
            if i == j:
                continue
            f, b = snap.edge[j], snap.offset[j]
            enter = {int(net.u[f]): b / speed[f]}
            if two_way(f):
                back = (net.length[f] - b) / speed[f]
                enter[int(net.v[f])] = min(back, enter.get(int(net.v[f]), np.inf))
            best = min(leave[x] + reach[x][y] + enter[y] for x in leave for y in enter
                       if y in reach[x])
            if e == f and (b >= a or two_way(e)):
                best = min(best, abs(b - a) / speed[e])
            out[i, j] = best + (snap.connector[i] + snap.connector[j]) / router.walk_mps
    return out


@pytest.mark.parametrize("mode", ["walk", "bike", "cargo_bike"])
def test_matrix_equals_networkx_on_real_addresses(area, points, mode):
    matrix = area.matrix(points, mode)
    expected = expected_seconds(area, mode, points)
    assert matrix.seconds.shape == (40, 40)
    # whole seconds rounded up; centisecond rounding per street edge
    assert -0.1 <= (matrix.seconds - expected).min() and (matrix.seconds - expected).max() <= 1.1


def test_walking_is_symmetric_and_cycling_is_not(area, points):
    walk = area.matrix(points, "walk").seconds
    bike = area.matrix(points, "bike").seconds
    assert np.abs(walk - walk.T).max() <= 1
    assert np.abs(bike - bike.T).max() > 30  # one-way streets make detours


def test_cycling_is_faster_than_walking_and_cargo_bikes_in_between(area, points):
    walk = area.matrix(points, "walk").seconds
    bike = area.matrix(points, "bike").seconds
    cargo = area.matrix(points, "cargo_bike").seconds
    off = ~np.eye(len(points), dtype=bool)
    assert (bike[off] < walk[off]).mean() > 0.9
    assert (bike[off] <= cargo[off]).all()


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_triangle_inequality_holds(area, points, mode):
    t = area.matrix(points, mode).seconds
    via = t[:, :, None] + t[None, :, :]  # via[i, j, k] = t[i, j] + t[j, k]
    assert (t[:, None, :] <= via + 1).all()


def test_distances_are_route_lengths_at_least_the_straight_line(area, points):
    from routing.matrix import Router

    m = area.matrix(points, "walk")
    router: Router = area.router("walk")
    xy = np.array([d.coords[0] for d in router.snap(points).door])
    straight = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert (m.metres >= straight - 0.5).all()
    # walking at constant speed: time is distance over speed
    speed = area.speed_mps("walk")
    off = ~np.eye(len(points), dtype=bool)
    ratio = m.metres[off] / m.seconds[off]
    assert np.all(ratio <= speed * 1.002) and np.median(ratio) > 0.9 * speed


def test_neighbouring_doors_on_one_street_are_a_short_walk(area):
    a, b = area.geocode("Annankatu 25"), area.geocode("Annankatu 27")
    m = area.matrix([(a.lat, a.lon), (b.lat, b.lon)], "walk")
    assert 0 < m.metres[0, 1] < 150


def test_path_follows_named_streets_and_matches_the_matrix(area, points):
    rng = random.Random(5)
    named = total = 0.0
    for mode in ("walk", "bike"):
        for _ in range(5):
            i, j = rng.sample(range(len(points)), 2)
            path = area.path(points[i], points[j], mode)
            seconds = area.matrix(points, mode).seconds[i, j]
            assert abs(path.seconds - seconds) <= 1.5
            assert abs(sum(leg.metres for leg in path.legs) - path.metres) < 2
            named += sum(leg.metres for leg in path.legs if leg.street)
            total += path.metres
            start, end = path.lonlat[0], path.lonlat[-1]
            assert abs(start[0] - points[i][0]) < 1e-3 and abs(end[1] - points[j][1]) < 2e-3
    assert named / total > 0.5  # directions can name most of the way


def test_matrix_is_cached_per_area_mode_and_points(area, points):
    assert area.matrix(points, "walk") is area.matrix(list(points), "walk")
    assert area.matrix(points, "walk") is not area.matrix(points, "bike")


def test_unknown_mode_is_a_clear_error(area, points):
    with pytest.raises(ValueError, match="unknown travel mode 'car'"):
        area.matrix(points, "car")
