"""Directions and exports on real routes through the Helsinki extract."""

import json
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest

from routing.directions import directions, turn
from routing.export import ExportStop, geojson, gpx
from routing.matrix import Leg
from shapely.geometry import LineString


@pytest.fixture(scope="module")
def route(area):
    a, b = area.geocode("Annankatu 25"), area.geocode("Unioninkatu 29")
    return a, b, area.path((a.lat, a.lon), (b.lat, b.lon), "bike")


def test_directions_name_the_streets_of_the_route(route):
    _, _, path = route
    steps = directions(path, "nl")
    assert steps[0].text.startswith("Loop vanaf de deur naar")
    assert steps[-1].text.startswith("Loop naar de deur")
    named = {leg.street for leg in path.legs if leg.street}
    assert named and all(any(n in s.text for s in steps) for n in named)
    assert any(s.text.startswith(("Sla linksaf", "Sla rechtsaf")) for s in steps)
    assert sum(s.metres for s in steps) == pytest.approx(path.metres, abs=5)


def test_directions_in_english(route):
    steps = directions(route[2], "en")
    assert steps[0].text.startswith("Walk from the door")
    assert any(s.text.startswith(("Turn left onto", "Turn right onto")) for s in steps)


@pytest.mark.parametrize("end,expected", [((0, 100), "straight"), ((-100, 0), "left"),
                                          ((100, 0), "right"), ((60, 100), "slight_right"),
                                          ((0, -100), "u_turn")])
def test_turns_are_measured_from_the_geometry(end, expected):
    north = Leg("A", 100, 20, LineString([(0, -100), (0, 0)]))
    nxt = Leg("B", 100, 20, LineString([(0, 0), end]))
    assert turn(north, nxt) == expected


def test_gpx_and_geojson_carry_stops_and_track_but_no_personal_data(route):
    a, b, path = route
    stops = [ExportStop(1, "10:00", a.address, a.lat, a.lon),
             ExportStop(2, "10:12", b.address, b.lat, b.lon)]
    doc = ET.fromstring(gpx("Ronde Anna", stops, [path]))
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert [w.find("g:name", ns).text for w in doc.findall("g:wpt", ns)] == \
        [f"1. {a.address}", f"2. {b.address}"]
    assert len(doc.findall(".//g:trkpt", ns)) == len(path.lonlat) > 2
    fc = json.loads(geojson("Ronde Anna", stops, [path]))
    kinds = [f["geometry"]["type"] for f in fc["features"]]
    assert kinds == ["Point", "Point", "LineString"]
    assert fc["features"][0]["geometry"]["coordinates"] == [round(a.lon, 6), round(a.lat, 6)]


def test_every_dutch_sentence_is_whole_on_many_real_routes(area):
    """Over routes between many real doors: every instruction names its street ("de X") or
    says "de weg" where OpenStreetMap names none; no sentence ends on a bare preposition or
    leaves a placeholder; English the same with "the road"."""
    import re

    labels = sorted({label for letter in "aeiklmpst"
                     for label in area.geocoder.suggest(letter, limit=400)})
    doors = [area.geocode(label) for label in labels[:: max(1, len(labels) // 24)][:24]]
    sentences = {"nl": [], "en": []}
    unnamed = 0
    for a, b in pairwise(doors):
        for mode in ("walk", "bike"):
            path = area.path((a.lat, a.lon), (b.lat, b.lon), mode)
            unnamed += sum(1 for leg in path.legs if leg.kind != "door" and not leg.street)
            for language in sentences:
                sentences[language] += [s.text for s in directions(path, language)]
    if not unnamed:  # this sample's streets all have names: take one name away, as OSM may
        from dataclasses import replace as _replace

        path = area.path((doors[0].lat, doors[0].lon), (doors[5].lat, doors[5].lon), "walk")
        legs = [_replace(leg, street="") if k in (1, 2) else leg
                for k, leg in enumerate(path.legs)]
        nameless = _replace(path, legs=legs)
        for language in sentences:
            sentences[language] += [s.text for s in directions(nameless, language)]
    for text in sentences["nl"]:
        assert "{" not in text and not re.search(r"\b(op|aan|over) \d", text), text
        assert not re.match(r"^Volg (op|het) ", text), text
        assert re.match(r"^(Loop|Ga|Houd|Sla|Keer|Volg) ", text), text
    assert any(t.startswith("Volg de weg ") or "de weg op" in t for t in sentences["nl"])
    for text in sentences["en"]:
        assert "{" not in text and not re.search(r"\bonto \d", text), text
    assert any("the road" in t for t in sentences["en"])
