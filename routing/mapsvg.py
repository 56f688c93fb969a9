"""Server-side SVG maps from the area's own street geometry.

Assistants and coordinators are often offline or behind strict networks, and a round has to
print crisply on A4, so maps are drawn here from the OSM streets already loaded: no tile server.
The map shows the streets, the buurt outlines, each round as a coloured line and numbered stops.

Coordinates are written once absolute and then relative, to a tenth of a pixel, after dropping
points that do not move the line by more than a third of a pixel: the day's map of a whole
district stays small enough to send with the page. Stops at (nearly) the same place are fanned
out around it so that no marker hides another, and buurt names sit where no marker is, with a
light halo over the streets. Each route and stop carries ``data-round`` (and a stop its
``data-stop`` and ``data-kind``), so a page's script can filter and explain them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import shapely
from shapely.geometry import box

from .area import Area
from .matrix import Path

#: Colours that stay apart for people with the common colour-vision deficiencies (Okabe & Ito).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


#: Markers closer than this (pixels) are fanned out around their common centre.
MARKER_R = 10.0


@dataclass(frozen=True)
class MapStop:
    number: int | str
    lat: float
    lon: float
    title: str = ""
    key: str = ""
    kind: str = ""


@dataclass
class MapRound:
    """One assistant's round: a name, its colour, the street paths and the stops in order."""

    name: str
    colour: str
    paths: list[Path] = field(default_factory=list)
    stops: list[MapStop] = field(default_factory=list)
    key: str = ""


def _d(points: np.ndarray, tolerance: float = 0.35) -> str:
    """An SVG path ``d`` for pixel ``points``: simplified, then absolute start, relative steps
    (each rounded against the rounded point before it, so no error adds up)."""
    if len(points) > 2:
        points = np.asarray(shapely.LineString(points).simplify(tolerance).coords)
    tenths = np.rint(np.asarray(points) * 10).astype(np.int64)
    steps = np.diff(tenths, axis=0)
    steps = steps[(steps != 0).any(axis=1)]

    def num(v: int) -> str:
        text = f"{abs(v) // 10}.{abs(v) % 10}" if v % 10 else str(abs(v) // 10)
        return ("-" if v < 0 else "") + text

    head = f"M{num(tenths[0][0])} {num(tenths[0][1])}"
    return head + ("l" + " ".join(f"{num(x)} {num(y)}" for x, y in steps) if len(steps) else "")


def fan_out(points: list[tuple[float, float]], radius: float = MARKER_R
            ) -> list[tuple[float, float]]:
    """Marker positions where none covers another, each as near its place as the others
    allow: overlapping markers push each other apart, half the overlap each, until no two are
    closer than a marker's diameter (markers at one spot start on a tiny spiral, in the order
    given, so they part in a fixed direction)."""
    if len(points) < 2:
        return list(points)
    index = np.arange(len(points))
    golden = np.pi * (3 - np.sqrt(5))
    p = np.asarray(points, dtype=float) + 0.05 * np.column_stack(
        [np.cos(index * golden), np.sin(index * golden)]) * np.sqrt(index + 1)[:, None]
    for _ in range(1000):
        d = p[:, None, :] - p[None, :, :]
        dist = np.sqrt((d ** 2).sum(axis=2))
        np.fill_diagonal(dist, np.inf)
        if dist.min() >= 2 * radius:
            break
        overlap = np.clip(2 * radius + 2 - dist, 0, None)  # a little beyond: no creeping
        p += (d / dist[..., None] * (overlap / 2)[..., None]).sum(axis=1)
    return [(float(x), float(y)) for x, y in p]


def _floats(xy: tuple[Any, Any]) -> tuple[float, float]:
    return float(xy[0]), float(xy[1])


def _label_spot(shape: Any, view: Any, markers: list[tuple[float, float]],
                to_px: Callable[[float, float], tuple[float, float]]) -> tuple[float, float]:
    """Where a buurt's name goes: of a few points inside the buurt (in view), the one furthest
    from every marker."""
    inside = shape.intersection(view)
    candidates = [inside.representative_point(), inside.centroid]
    x0, y0, x1, y1 = inside.bounds
    for fx in (0.25, 0.5, 0.75):
        for fy in (0.25, 0.5, 0.75):
            candidates.append(shapely.Point(x0 + (x1 - x0) * fx, y0 + (y1 - y0) * fy))
    spots = [to_px(p.x, p.y) for p in candidates if inside.contains(p)]
    if not markers:
        return spots[0]
    best: tuple[float, float] = max(spots, key=lambda s: min(
        (s[0] - mx) ** 2 + (s[1] - my) ** 2 for mx, my in markers))
    return best


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

    def px(x: Any, y: Any) -> tuple[Any, Any]:
        return (np.asarray(x) - x0) * scale, (y1 - np.asarray(y)) * scale

    def line(xy: np.ndarray) -> str:
        sx, sy = px(xy[:, 0], xy[:, 1])
        return _d(np.column_stack([sx, sy]))

    view = box(x0, y0, x1, y1)
    streets = _streets(area, x0, y1, scale, width, height)
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
         f'width="100%" role="img" aria-labelledby="map-title" class="round-map">'),
        f'<title id="map-title">{escape(title or area.title)}</title>',
        f'<rect width="{width}" height="{height}" fill="#fbfaf7"/>',
        (f'<path d="{streets}" fill="none" stroke="#c9c5bd" stroke-width="1.2" '
         'stroke-linecap="round"/>'),
    ]
    markers: list[tuple[MapRound, MapStop]] = [(r, s) for r in rounds for s in r.stops]
    spots = fan_out([_floats(px(*to_xy.transform(s.lon, s.lat))) for _, s in markers])

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(to_xy.transform(coords[:, 0], coords[:, 1]))

    labels: list[tuple[str, tuple[float, float]]] = []
    for name, poly in area.buurten.items():
        shape_xy = shapely.transform(poly, project)
        if not shape_xy.intersects(view):
            continue
        polys = getattr(shape_xy, "geoms", [shape_xy])
        d = "".join(line(np.asarray(g.exterior.coords)) + "z" for g in polys)
        parts.append(f'<path d="{d}" fill="none" stroke="#7a6f5d" stroke-width="1.5" '
                     f'stroke-dasharray="6 4"><title>{escape(name)}</title></path>')
        labels.append((name, _label_spot(shape_xy, view, spots,
                                         lambda x, y: _floats(px(x, y)))))
    for r in rounds:
        for p in r.paths:
            xy = np.column_stack(to_xy.transform(*np.asarray(p.lonlat)[:, ::-1].T)) \
                if len(p.lonlat) else np.empty((0, 2))
            if len(xy) < 2:
                continue
            parts.append(f'<path d="{line(xy)}" fill="none" stroke="{r.colour}" '
                         f'stroke-width="4" stroke-opacity="0.85" stroke-linejoin="round" '
                         f'stroke-linecap="round" class="route"{_round_attr(r)}>'
                         f"<title>{escape(r.name)}</title></path>")
    for name, (lx, ly) in labels:  # over the routes, under the markers; a halo over streets
        parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="13" fill="#5c5346" '
                     f'text-anchor="middle" font-family="sans-serif" stroke="#fbfaf7" '
                     f'stroke-width="4" paint-order="stroke" stroke-linejoin="round">'
                     f'{escape(name)}</text>')
    for (r, s), (sx, sy) in zip(markers, spots, strict=True):
        extra = _round_attr(r) + (f' data-stop="{escape(s.key)}"' if s.key else "") + (
            f' data-kind="{escape(s.kind)}"' if s.kind else "")
        parts.append(
            f'<g class="stop"{extra}><circle cx="{sx:.1f}" cy="{sy:.1f}" r="{MARKER_R:g}" '
            f'fill="#fff" stroke="{r.colour}" stroke-width="3"/><text x="{sx:.1f}" '
            f'y="{sy + 4:.1f}" font-size="11" font-weight="bold" text-anchor="middle" '
            f'fill="#111" font-family="sans-serif">{escape(str(s.number))}</text>'
            f"<title>{escape(s.title or str(s.number))}</title></g>")
    note = "© OpenStreetMap contributors" + (" · demo area" if area.is_demo else "")
    parts.append(f'<text x="{width - 6}" y="{height - 6}" font-size="10" fill="#555" '
                 f'text-anchor="end" font-family="sans-serif">{escape(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


@lru_cache(maxsize=64)
def _streets(area: Area, x0: float, y1: float, scale: float, width: int, height: int) -> str:
    """The streets in a frame as one path ``d`` (the same frame is drawn again and again: a
    day's map on every visit, a round's on every tap). The network holds each street once per
    direction: drawn once, joined into long lines."""
    router = area.router("walk")
    net = router.network
    view = box(x0, y1 - height / scale, x0 + width / scale, y1)
    seen, pieces = set(), []
    for i in router.street_index.query(view):
        coords = net.geometry[i].coords
        ends = (coords[0], coords[-1])
        if ends in seen or ends[::-1] in seen:
            continue
        seen.add(ends)
        pieces.append(net.geometry[i])
    if not pieces:
        return ""
    merged = shapely.line_merge(shapely.MultiLineString(pieces))
    return "".join(_d(np.column_stack([(xy[:, 0] - x0) * scale, (y1 - xy[:, 1]) * scale]))
                   for xy in (np.asarray(g.coords) for g in getattr(merged, "geoms", [merged])
                              if not g.is_empty))


def _round_attr(r: MapRound) -> str:
    return f' data-round="{escape(r.key)}"' if r.key else ""
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
