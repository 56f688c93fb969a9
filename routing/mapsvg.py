"""Server-side SVG maps from the area's own street geometry.

Assistants and coordinators are often offline or behind strict networks, and a round has to
print crisply on A4, so maps are drawn here from the OSM streets already loaded: no tile server.
The map shows the streets, the buurt outlines, each round as a coloured line and numbered stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np
import shapely
from shapely.geometry import box

from .area import Area
from .matrix import Path

#: Colours that stay apart for people with the common colour-vision deficiencies (Okabe & Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


@dataclass(frozen=True)
class MapStop:
    number: int | str
    lat: float
    lon: float
    title: str = ""


@dataclass
class MapRound:
    """One assistant's round: a name, its colour, the street paths and the stops in order."""

    name: str
    colour: str
    paths: list[Path] = field(default_factory=list)
    stops: list[MapStop] = field(default_factory=list)


def render(area: Area, rounds: list[MapRound], width: int = 800, title: str = "",
           margin_m: float = 120.0) -> str:
    """An SVG document of ``rounds`` over the area's streets, ``width`` pixels wide."""
    router = area.router("walk")  # its street index and projection are built once per area
    net, to_xy = router.network, router.to_xy
    xs, ys = [], []
    for r in rounds:
        for s in r.stops:
            x, y = to_xy.transform(s.lon, s.lat)
            xs.append(x)
            ys.append(y)
        for p in r.paths:
            for lat, lon in p.lonlat:
                x, y = to_xy.transform(lon, lat)
                xs.append(x)
                ys.append(y)
    if not xs:
        x0, y0 = net.xy.min(axis=0)
        x1, y1 = net.xy.max(axis=0)
    else:
        x0, y0, x1, y1 = min(xs) - margin_m, min(ys) - margin_m, max(xs) + margin_m, \
            max(ys) + margin_m
    aspect = 0.75  # landscape: a tall round widens the frame until it fits in height too
    span = max(x1 - x0, (y1 - y0) / aspect, 200.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1 = cx - span / 2, cx + span / 2
    y0, y1 = cy - span * aspect / 2, cy + span * aspect / 2
    scale = width / span
    height = int(round(width * aspect))

    def pt(x: float, y: float) -> str:
        return f"{(x - x0) * scale:.1f},{(y1 - y) * scale:.1f}"

    view = box(x0, y0, x1, y1)
    streets = []
    for i in router.street_index.query(view):
        coords = net.geometry[i].coords
        streets.append("M" + " L".join(pt(x, y) for x, y in coords))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="map-title" class="round-map">',
        f'<title id="map-title">{escape(title or area.title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#fbfaf7"/>',
        f'<path d="{" ".join(streets)}" fill="none" stroke="#c9c5bd" stroke-width="1.2" '
        'stroke-linecap="round"/>',
    ]
    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(to_xy.transform(coords[:, 0], coords[:, 1]))

    for name, poly in area.buurten.items():
        shape_xy = shapely.transform(poly, project)
        if not shape_xy.intersects(view):
            continue
        polys = getattr(shape_xy, "geoms", [shape_xy])
        d = " ".join("M" + " L".join(pt(x, y) for x, y in g.exterior.coords) + " Z" for g in polys)
        parts.append(f'<path d="{d}" fill="none" stroke="#7a6f5d" stroke-width="1.5" '
                     f'stroke-dasharray="6 4"><title>{escape(name)}</title></path>')
        label = shape_xy.intersection(view).representative_point()
        if not label.is_empty:
            parts.append(f'<text x="{(label.x - x0) * scale:.1f}" y="{(y1 - label.y) * scale:.1f}" '
                         f'font-size="13" fill="#5c5346" text-anchor="middle" '
                         f'font-family="sans-serif">{escape(name)}</text>')
    for r in rounds:
        for p in r.paths:
            d = "M" + " L".join(pt(*to_xy.transform(lon, lat)) for lat, lon in p.lonlat)
            parts.append(f'<path d="{d}" fill="none" stroke="{r.colour}" stroke-width="4" '
                         f'stroke-opacity="0.85" stroke-linejoin="round" stroke-linecap="round">'
                         f"<title>{escape(r.name)}</title></path>")
    for r in rounds:
        for s in r.stops:
            x, y = to_xy.transform(s.lon, s.lat)
            sx, sy = (x - x0) * scale, (y1 - y) * scale
            parts.append(
                f'<g class="stop"><circle cx="{sx:.1f}" cy="{sy:.1f}" r="10" fill="#fff" '
                f'stroke="{r.colour}" stroke-width="3"/><text x="{sx:.1f}" y="{sy + 4:.1f}" '
                f'font-size="11" font-weight="bold" text-anchor="middle" fill="#111" '
                f'font-family="sans-serif">{escape(str(s.number))}</text>'
                f"<title>{escape(s.title or str(s.number))}</title></g>")
    note = "© OpenStreetMap contributors" + (" · demo area" if area.is_demo else "")
    parts.append(f'<text x="{width - 6}" y="{height - 6}" font-size="10" fill="#555" '
                 f'text-anchor="end" font-family="sans-serif">{escape(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class StreetCoverage:
    """How much of one street a campaign reached: ``share`` of its doors, drawn as a line
    along the doors (no door is drawn on its own: the map names nobody)."""

    street: str
    share: float
    points: tuple[tuple[float, float], ...]  # (lat, lon) of its doors


#: Coverage classes, lowest share first: not reached, started, half, most.
COVERAGE = ((0.0, "#bdbdbd"), (0.01, "#E69F00"), (0.5, "#56B4E9"), (0.8, "#0072B2"))


def _along(points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    """The points in order along their main direction (a street's doors as a line)."""
    if len(points) < 3:
        return points
    xy = np.array([(lon, lat) for lat, lon in points])
    centred = xy - xy.mean(axis=0)
    direction = np.linalg.svd(centred, full_matrices=False)[2][0]
    return tuple(points[i] for i in np.argsort(centred @ direction))


def coverage_svg(area: Area, streets: list[StreetCoverage], width: int = 800,
                 title: str = "") -> str:
    """Streets coloured by the share of their doors a campaign reached."""
    lines = []
    for s in streets:
        colour = [c for low, c in COVERAGE if s.share >= low][-1]
        lines.append(MapRound(f"{s.street}: {round(s.share * 100)} %", colour,
                              [Path(0.0, 0.0, _along(s.points), ())]))
    return render(area, lines, width, title)
