"""Server-side SVG maps drawn from the real street geometry."""

import xml.etree.ElementTree as ET
from itertools import pairwise

from routing.mapsvg import MARKER_R, PALETTE, MapRound, MapStop, fan_out, render

SVG = "{http://www.w3.org/2000/svg}"


def test_map_shows_streets_buurten_route_and_numbered_stops(area):
    pts = [area.geocode(a) for a in ("Annankatu 25", "Unioninkatu 29", "Kaivokatu 2")]
    paths = [area.path((p.lat, p.lon), (q.lat, q.lon), "bike") for p, q in pairwise(pts)]
    stops = [MapStop(i + 1, p.lat, p.lon, p.address) for i, p in enumerate(pts)]
    svg = render(area, [MapRound("Anna", PALETTE[0], paths, stops)], title="Ronde Anna")
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Ronde Anna"
    numbers = [t.text for g in root.iter(f"{SVG}g") for t in g.iter(f"{SVG}text")]
    assert numbers == ["1", "2", "3"]
    route_lines = [p for p in root.iter(f"{SVG}path") if p.get("stroke") == PALETTE[0]]
    assert len(route_lines) == 2
    streets = next(p for p in root.iter(f"{SVG}path") if p.get("stroke") == "#c9c5bd")
    assert streets.get("d").count("M") > 200  # real street geometry, not a sketch
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert any(name in texts for name in area.buurten)
    assert any("OpenStreetMap" in (t or "") and "demo" in t for t in texts)


def test_map_without_rounds_shows_the_whole_area(area):
    root = ET.fromstring(render(area, []))
    assert root.get("viewBox") == "0 0 800 600"
    assert not list(root.iter(f"{SVG}circle"))


def test_a_round_that_runs_north_to_south_stays_inside_the_frame(area):
    """The frame is landscape: a tall round must widen it, not fall off the top and bottom."""
    north = max(area.places, key=lambda p: p.lat)
    south = min(area.places, key=lambda p: p.lat)
    assert north.lat - south.lat > 0.005  # a real north-south spread in the extract
    stops = [MapStop(1, north.lat, north.lon), MapStop(2, south.lat, south.lon)]
    root = ET.fromstring(render(area, [MapRound("Noord-zuid", PALETTE[1], [], stops)]))
    width, height = map(float, root.get("viewBox").split()[2:])
    circles = [c for c in root.iter(f"{SVG}circle")]
    assert len(circles) == 2
    for c in circles:
        assert 0 <= float(c.get("cx")) <= width and 0 <= float(c.get("cy")) <= height


def test_markers_at_one_place_are_fanned_out_and_none_covers_another():
    """Five packages at one pharmacy, two doors in one building and a chain of near ones:
    after fanning out, no two markers are closer than a marker's diameter."""
    points = [(100.0, 100.0)] * 5 + [(300.0, 200.0), (301.0, 200.5)] + [
        (500.0 + 12 * i, 300.0) for i in range(6)] + [(700.0, 500.0)]
    spread = fan_out(points)
    assert abs(spread[-1][0] - 700) < 1 and abs(spread[-1][1] - 500) < 1  # alone: stays
    for i, a in enumerate(spread):
        for b in spread[i + 1:]:
            assert (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 >= (2 * MARKER_R) ** 2 - 1e-6, (a, b)
    # a group stays around its place
    assert all(abs(x - 100) <= 40 and abs(y - 100) <= 40 for x, y in spread[:5])
