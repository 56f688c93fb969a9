"""Street graphs for walking and cycling, built from OSM ways with osmnx.

Who may use a way, and in which direction, is decided here from the OSM tags; osmnx then
simplifies the graph and keeps its largest strongly connected component. The result is flattened
into a :class:`Network` of plain arrays (projected metres), which is what the matrix, snapping
and directions code works on and what is cached on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import networkx as nx
import numpy as np
import osmnx as ox
from shapely.geometry import LineString

from .osm import OsmData, Way

NO = {"no", "private", "discouraged", "use_sidepath"}
YES = {"yes", "designated", "permissive", "official", "destination"}

WALK_HIGHWAYS = frozenset(
    {
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "unclassified", "residential", "living_street", "service", "pedestrian", "footway",
        "cycleway", "path", "steps", "track", "bridleway", "crossing",
    }
)
BIKE_HIGHWAYS = frozenset(
    {
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "unclassified", "residential", "living_street", "service", "cycleway", "path", "track",
        "crossing",
    }
)
#: The graph each travel mode rides on: a cargo bike uses the bike network at its own speed.
NETWORK_OF_MODE = {"walk": "walk", "bike": "bike", "cargo_bike": "bike"}


def allows(network: str, tags: dict[str, str]) -> bool:
    """Whether a pedestrian (``walk``) or cyclist (``bike``) may use a way with these tags."""
    highway = tags.get("highway", "")
    user = "foot" if network == "walk" else "bicycle"
    if tags.get(user) in NO:
        return False
    if tags.get(user) in YES:
        return True
    if tags.get("access") in NO:
        return False
    if network == "walk":
        return highway in WALK_HIGHWAYS
    return highway in BIKE_HIGHWAYS


def direction(network: str, tags: dict[str, str]) -> tuple[bool, bool]:
    """(forward, backward) permission along the way's node order.

    Pedestrians ignore one-way streets unless ``oneway:foot`` says otherwise. Cyclists follow
    ``oneway`` and roundabouts, except where OSM opens the street to contra-flow cycling
    (``oneway:bicycle=no`` or an ``opposite`` cycleway), as many Dutch streets are.
    """
    value: str | None
    if network == "walk":
        value = tags.get("oneway:foot", "no")
    else:
        value = tags.get("oneway:bicycle")
        if value is None:
            cycleways = [tags.get(k, "") for k in ("cycleway", "cycleway:left", "cycleway:right",
                                                    "cycleway:both")]
            if any(c.startswith("opposite") for c in cycleways):
                value = "no"
            elif tags.get("junction") in ("roundabout", "circular"):
                value = tags.get("oneway", "yes")
            else:
                value = tags.get("oneway", "no")
    if value in ("yes", "true", "1"):
        return True, False
    if value in ("-1", "reverse"):
        return False, True
    return True, True


@dataclass(frozen=True)
class Network:
    """A routable street graph as arrays.

    Nodes are OSM intersections (ids in ``osm_ids``) with projected ``xy`` in metres (CRS
    ``crs``) and ``lonlat`` in degrees. Edge ``i`` runs from ``u[i]`` to ``v[i]`` (node
    indices), is ``length[i]`` metres long, follows ``geometry[i]`` (projected LineString, u→v)
    and carries the street ``name[i]`` ("" when unnamed). ``speed_factor[i]`` scales the mode's
    speed (steps are slow).
    """

    name: str
    crs: str
    osm_ids: np.ndarray
    xy: np.ndarray
    lonlat: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    speed_factor: np.ndarray
    street: tuple[str, ...]
    geometry: tuple[LineString, ...]
    dropped_nodes: int

    @property
    def n_nodes(self) -> int:
        return len(self.osm_ids)

    @property
    def n_edges(self) -> int:
        return len(self.u)


def _osm_graph(data: OsmData, network: str) -> nx.MultiDiGraph:
    """An unsimplified osmnx-style MultiDiGraph in lon/lat (EPSG:4326)."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    for way in data.ways:
        if not allows(network, way.tags):
            continue
        forward, backward = direction(network, way.tags)
        attrs: dict[str, object] = {
            "osmid": way.id,
            "name": way.tags.get("name", ""),
            "highway": way.tags.get("highway", ""),
            "speed_factor": 0.5 if way.tags.get("highway") == "steps" else 1.0,
        }
        _add_way(G, data, way, forward, backward, attrs)
    return G


def _add_way(G: nx.MultiDiGraph, data: OsmData, way: Way, forward: bool, backward: bool,
             attrs: dict[str, object]) -> None:
    for node in way.nodes:
        if node not in G:
            lon, lat = data.coords[node]
            G.add_node(node, x=lon, y=lat)
    for a, b in pairwise(way.nodes):
        if a == b:
            continue
        if forward:
            G.add_edge(a, b, **attrs)
        if backward:
            G.add_edge(b, a, **attrs)


def build_network(data: OsmData, network: str) -> Network:
    """Build the ``walk`` or ``bike`` network: allowed ways, directions, osmnx simplification,
    the largest strongly connected component, projected to UTM."""
    G = _osm_graph(data, network)
    if G.number_of_edges() == 0:
        raise ValueError(f"the OSM data has no ways usable for the {network} network")
    G = ox.distance.add_edge_lengths(G)
    for _, _, d in G.edges(data=True):
        d["slow_length"] = d["length"] / d["speed_factor"]
    G = ox.simplify_graph(G, edge_attrs_differ=["name", "speed_factor"],
                          edge_attr_aggs={"length": sum, "slow_length": sum})
    before = G.number_of_nodes()
    G = ox.truncate.largest_component(G, strongly=True)
    dropped = before - G.number_of_nodes()
    P = ox.project_graph(G)
    return _to_arrays(network, G, P, dropped)


def _to_arrays(network: str, G: nx.MultiDiGraph, P: nx.MultiDiGraph, dropped: int) -> Network:
    nodes = list(P.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    xy = np.array([(P.nodes[n]["x"], P.nodes[n]["y"]) for n in nodes], dtype=float)
    lonlat = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes], dtype=float)
    u, v, length, factor, street, geometry = [], [], [], [], [], []
    for a, b, d in P.edges(data=True):
        geom = d.get("geometry") or LineString([xy[index[a]], xy[index[b]]])
        u.append(index[a])
        v.append(index[b])
        length.append(geom.length)
        # Simplification may merge a short run of steps into a street: keep its slowness.
        factor.append(d["length"] / d["slow_length"] if d["slow_length"] > 0 else 1.0)
        name = d.get("name", "")
        street.append(name if isinstance(name, str) else next((n for n in name if n), ""))
        geometry.append(geom)
    return Network(
        name=network,
        crs=str(P.graph["crs"]),
        osm_ids=np.array(nodes, dtype=np.int64),
        xy=xy,
        lonlat=lonlat,
        u=np.array(u, dtype=np.int32),
        v=np.array(v, dtype=np.int32),
        length=np.array(length, dtype=float),
        speed_factor=np.array(factor, dtype=float),
        street=tuple(street),
        geometry=tuple(geometry),
        dropped_nodes=dropped,
    )
