"""Command line for the routing core: prepare an area, download Utrecht, look things up.

``python -m routing.cli prepare`` builds (or loads from cache) the default area and says which
area it is, so a newcomer sees at once whether they are looking at Utrecht or the offline demo.
``python -m routing.cli areas`` loads every area whose extract is here and says what each
costs in time and memory (a deployment serving several cooperatives sizes its cache by it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from .area import (AREAS, AREAS_DIR, DEFAULT_AREA, ROOT, AreaConfig, default_area_name,
                   extract_available, load_area)

SHARED_BOUNDARIES = ROOT.parent / "shared" / "osm" / "boundaries" / \
    "utrecht_subwijken_2020_wgs84.geojson"


def area_line(name: str | None = None) -> str:
    """One clear line saying which area is in use and why."""
    chosen = name or default_area_name()
    if name is None and chosen != DEFAULT_AREA:
        return (f"Area: {AreaConfig.load(chosen).title} — the Utrecht Oost extract is not "
                "downloaded (run `make osm` with internet to plan on Utrecht's own streets).")
    return f"Area: {AreaConfig.load(chosen).title}"


def prepare(name: str | None) -> int:
    print(area_line(name))
    start = time.perf_counter()
    try:
        area = load_area(name)
    except (FileNotFoundError, ValueError) as exc:
        print(f"cannot load the area: {exc}", file=sys.stderr)
        return 1
    took = time.perf_counter() - start
    walk, bike = area.network("walk"), area.network("bike")
    print(f"  {len(area.geocoder)} addresses, {len(area.places)} pickup places, "
          f"buurten: {', '.join(area.buurten)}")
    for net in (walk, bike):
        print(f"  {net.name} network: {net.n_nodes} intersections, {net.n_edges} street edges "
              f"({net.dropped_nodes} nodes outside the largest strongly connected part dropped)")
    print(f"  ready in {took:.1f} s")
    return 0


def download(name: str) -> int:
    """Download the area's OSM extract (needs internet) and keep the boundary file beside it."""
    config = AreaConfig.load(name)
    if not config.download:
        print(f"area '{name}' needs no download", file=sys.stderr)
        return 1
    import pyrosm

    target = config.extract_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"Downloading the OpenStreetMap extract '{config.download}' (BBBike) ...")
    try:
        fetched = Path(pyrosm.get_data(config.download, directory=str(target.parent)))
    except Exception as exc:  # no internet, or the mirror is down
        print(f"download failed: {exc}", file=sys.stderr)
        return 1
    if fetched != target:
        shutil.move(fetched, target)
    sources = config.buurten.get("source", [])
    local = ROOT / sources[0] if isinstance(sources, list) and sources else None
    if local and not local.exists() and SHARED_BOUNDARIES.exists():
        shutil.copyfile(SHARED_BOUNDARIES, local)
    print(f"Saved {target}; building the area ...")
    AREAS.clear()
    return prepare(name)


def areas() -> int:
    """Load every area whose extract is on this machine: how, how fast, how much memory."""
    names = [p.stem for p in sorted(AREAS_DIR.glob("*.toml"))]
    print(f"{'area':<16} {'loaded from':<12} {'seconds':>8} {'MB':>7}")
    for name in names:
        if not extract_available(name):
            print(f"{name:<16} {'(no extract on this machine)'}")
            continue
        load_area(name)
        loaded = next(a for a in AREAS.loaded() if a.area.name == name)
        print(f"{name:<16} {loaded.source:<12} {loaded.seconds:>8.2f} {loaded.mb:>7.1f}")
    in_memory = AREAS.loaded()
    print(f"in memory: {', '.join(a.area.name for a in in_memory)} — "
          f"{AREAS.total_mb():.1f} MB of the {AREAS.budget_mb:.0f} MB budget "
          "(BUURTROUTE_AREA_CACHE_MB)")
    return 0


def geocode(name: str | None, query: str) -> int:
    area = load_area(name)
    try:
        point = area.geocode(query)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{point.address}: {point.lat:.6f}, {point.lon:.6f} "
          f"({point.buurt or 'outside the area'})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="build or load the area and summarise it")
    p.add_argument("--area", help=f"area name ({', '.join(sorted(x.stem for x in AREAS_DIR.glob('*.toml')))})")
    d = sub.add_parser("download", help="download an area's OSM extract (needs internet)")
    d.add_argument("area")
    sub.add_parser("areas", help="load every area here; time and memory of each")
    g = sub.add_parser("geocode", help="look up an address")
    g.add_argument("query")
    g.add_argument("--area")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        return prepare(args.area)
    if args.command == "download":
        return download(args.area)
    if args.command == "areas":
        return areas()
    return geocode(args.area, args.query)


if __name__ == "__main__":
    sys.exit(main())
