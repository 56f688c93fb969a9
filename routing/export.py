"""GPX and GeoJSON of a round, for phone navigation apps and other maps.

Only what navigation needs leaves the planner: stop number, arrival time and street address.
No resident names and no goods (a medicine order is health data), so a shared GPX file cannot
leak who gets what.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape

from .matrix import Path


@dataclass(frozen=True)
class ExportStop:
    """A stop as exported: its number in the round, arrival "HH:MM", address and position."""

    number: int
    arrival: str
    address: str
    lat: float
    lon: float


def gpx(name: str, stops: list[ExportStop], paths: list[Path]) -> str:
    """A GPX 1.1 document: one waypoint per stop and one track along the streets."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gpx version="1.1" creator="Buurtroute" xmlns="http://www.topografix.com/GPX/1/1">',
           f"  <metadata><name>{escape(name)}</name></metadata>"]
    for s in stops:
        out.append(f'  <wpt lat="{s.lat:.6f}" lon="{s.lon:.6f}"><name>{s.number}. '
                   f"{escape(s.address)}</name><desc>{escape(s.arrival)}</desc></wpt>")
    out.append(f"  <trk><name>{escape(name)}</name>")
    for path in paths:
        out.append("    <trkseg>")
        out += [f'      <trkpt lat="{lat:.6f}" lon="{lon:.6f}"/>' for lat, lon in path.lonlat]
        out.append("    </trkseg>")
    out += ["  </trk>", "</gpx>", ""]
    return "\n".join(out)


def geojson(name: str, stops: list[ExportStop], paths: list[Path]) -> str:
    """A GeoJSON FeatureCollection: Point features for stops, one LineString per leg."""
    features = [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": [round(s.lon, 6), round(s.lat, 6)]},
         "properties": {"round": name, "stop": s.number, "arrival": s.arrival,
                        "address": s.address}}
        for s in stops
    ]
    for i, path in enumerate(paths, start=1):
        features.append(
            {"type": "Feature",
             "geometry": {"type": "LineString",
                          "coordinates": [[round(lon, 6), round(lat, 6)]
                                          for lat, lon in path.lonlat]},
             "properties": {"round": name, "leg": i, "metres": round(path.metres, 1),
                            "seconds": round(path.seconds, 1)}}
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
