"""Offline geocoding on the real addresses of the Helsinki extract, and the real Utrecht
boundaries."""

import json
from math import cos, hypot, radians

import pytest
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from routing.area import AreaConfig, _boundary_buurten
from routing.geocode import AddressNotFound, _split_postcode, fold, parse_housenumber


def metres(a, b):
    return hypot((a[1] - b[1]) * 111_320 * cos(radians(a[0])), (a[0] - b[0]) * 110_540)


def test_known_address_lands_on_the_real_building(area):
    # Ateneum (Kaivokatu 2): 60.16969 N, 24.94425 E per the museum's published location.
    point = area.geocode("Kaivokatu 2")
    assert metres((point.lat, point.lon), (60.16969, 24.94425)) < 80
    assert point.address.startswith("Kaivokatu 2")


def test_every_address_of_the_area_resolves_to_itself(area):
    labels = area.geocoder.labels()
    assert len(labels) > 500
    for label in labels:
        found = area.geocode(label).address
        # OSM oddities such as "Keskuskatu 7, Floors 1-3" answer as plain "Keskuskatu 7".
        assert found == label or label.startswith(found.split(",")[0] + ",")


@pytest.mark.parametrize("query", ["Annankatu 25", "annankatu 25", "ANNANKATU  25",
                                   "Annankatu 25, 00100", "Annankatu 25, 00100 Helsinki"])
def test_spelling_variants_give_the_same_point(area, query):
    assert area.geocode(query) == area.geocode("Annankatu 25, 00100")


def test_accents_do_not_matter(area):
    assert area.geocode("Lonnrotinkatu 12") == area.geocode("Lönnrotinkatu 12")


def test_house_number_additions(area):
    with_letter = area.geocode("Unioninkatu 45 H")
    assert area.geocode("unioninkatu 45h") == with_letter
    assert area.geocode("Unioninkatu 45-H") == with_letter
    assert with_letter != area.geocode("Unioninkatu 45")


def test_unknown_street_names_the_closest_streets(area):
    with pytest.raises(AddressNotFound) as err:
        area.geocode("Unionikatu 29")
    assert "Unionikatu" in str(err.value)
    assert err.value.candidates[0] == "Unioninkatu"


def test_unknown_number_names_the_nearest_numbers_on_that_street(area):
    with pytest.raises(AddressNotFound) as err:
        area.geocode("Unioninkatu 999")
    assert all(c.startswith("Unioninkatu") for c in err.value.candidates)
    assert len(err.value.candidates) == 5


def test_wrong_postcode_is_an_error_not_a_guess(area):
    with pytest.raises(AddressNotFound, match="Postcode 00170"):
        area.geocode("Annankatu 25, 00170")


@pytest.mark.parametrize("query", ["", "   ", "Annankatu", "60.5, 25.5", "1234"])
def test_bad_queries_are_specific_errors(area, query):
    with pytest.raises(AddressNotFound) as err:
        area.geocode(query)
    assert str(err.value)


def test_coordinates_are_accepted_inside_the_area_and_labelled_with_a_buurt(area):
    point = area.geocode("60.1700, 24.9440")
    assert (point.lat, point.lon) == (60.17, 24.944)
    assert point.buurt in area.buurten


def test_points_are_labelled_with_the_buurt_polygon_they_lie_in(area):
    for label in area.geocoder.labels()[::25]:
        point = area.geocode(label)
        inside = [n for n, poly in area.buurten.items() if poly.covers(Point(point.lon, point.lat))]
        assert point.buurt == (inside[0] if inside else None)


def test_pickup_places_come_from_the_extract(area):
    kinds = {p.kind for p in area.places}
    assert {"pharmacy", "meal_kitchen", "parcel_point"} <= kinds
    pharmacies = [p for p in area.places if p.kind == "pharmacy"]
    assert any("Apteekki" in p.name for p in pharmacies)


def test_utrecht_buurten_are_the_real_subwijken_inside_wijk_oost(shared):
    buurten = _boundary_buurten(AreaConfig.load("utrecht-oost"))
    assert list(buurten) == ["Rijnsweerd", "Oudwijk", "Abstede"]
    cbs = json.loads((shared / "osm/boundaries/utrecht_wijken_cbs_wgs84.geojson").read_text())
    oost = next(shape(f["geometry"]) for f in cbs["features"]
                if "Oost" in f["properties"].get("wk_naam", ""))
    for poly in buurten.values():
        assert poly.intersection(oost).area / poly.area > 0.95
    # Published extents (shared/osm/boundaries/PROVENANCE.md).
    west, south, east, north = unary_union(list(buurten.values())).bounds
    assert (round(west, 3), round(south, 3)) == (5.122, 52.057)
    assert (round(east, 3), round(north, 3)) == (5.195, 52.098)


@pytest.mark.parametrize("text,expected", [("12a", (12, "a")), ("12 A", (12, "a")),
                                           ("12-bis", (12, "bis")), ("12-2", (12, "2")),
                                           ("7", (7, "")), ("a12", None)])
def test_dutch_house_numbers(text, expected):
    assert parse_housenumber(text) == expected


@pytest.mark.parametrize("query,postcode", [("Abstederdijk 12a, 3582 BJ Utrecht", "3582BJ"),
                                            ("abstederdijk 12a 3582bj", "3582BJ"),
                                            ("Annankatu 25, 00100 Helsinki", "00100"),
                                            ("Abstederdijk 12a", "")])
def test_postcodes_are_recognised(query, postcode):
    assert _split_postcode(query)[0] == postcode
    assert "12" in _split_postcode(query)[1] or "25" in _split_postcode(query)[1]


def test_fold_is_case_accent_and_punctuation_insensitive():
    assert fold("Prof. Dr. Dondersstraat") == fold("prof dr dondersstraat")
    assert fold("Kruisstraat  ’s-Gravenweg") == fold("kruisstraat s-gravenweg")
    assert fold("Lönnrotinkatu") == "lonnrotinkatu"
