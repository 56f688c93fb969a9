"""Areas: configuration, the on-disk cache, and the command line a newcomer sees."""

import json

import numpy as np
import pytest

from routing import area as area_mod
from routing.area import AreaConfig, load_area
from routing.cli import main as cli


def test_demo_area_is_labelled_as_demo(area):
    assert area.is_demo and "demo" in area.title.lower() and "not utrecht" in area.title.lower()
    assert not AreaConfig.load("utrecht-oost").demo


def test_demo_buurten_are_the_districts_of_the_extract(area):
    assert set(area.buurten) >= {"Kluuvi", "Kaartinkaupunki"}
    total = sum(p.area for p in area.buurten.values())
    west, south, east, north = area.bounds
    assert total == pytest.approx((east - west) * (north - south), rel=0.01)


def test_second_load_comes_from_the_cache_and_is_identical(area):
    cached = list(area_mod.CACHE_DIR.glob("helsinki-demo-*.pickle"))
    assert len(cached) == 1
    load_area.cache_clear()
    again = load_area("helsinki-demo")
    for mode in ("walk", "bike"):
        a, b = area.network(mode), again.network(mode)
        assert np.array_equal(a.u, b.u) and np.array_equal(a.length, b.length)
    assert again.geocoder.labels() == area.geocoder.labels()


def test_unknown_area_names_the_known_ones():
    with pytest.raises(ValueError, match="helsinki-demo"):
        load_area("atlantis")


def test_prepare_says_which_area_it_uses(capsys):
    assert cli(["prepare"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    if area_mod.extract_available("utrecht-oost"):
        assert first.startswith("Area: Utrecht Oost")
    else:
        assert "Demo: central Helsinki" in first and "make osm" in first
    assert "walk network:" in out and "bike network:" in out


def test_utrecht_loads_when_downloaded_and_says_how_to_get_it_when_not(capsys):
    if area_mod.extract_available("utrecht-oost"):
        assert cli(["prepare", "--area", "utrecht-oost"]) == 0
    else:
        assert cli(["prepare", "--area", "utrecht-oost"]) == 1
        assert "make osm" in capsys.readouterr().err


def test_geocode_command(capsys):
    assert cli(["geocode", "--area", "helsinki-demo", "Kaivokatu 2"]) == 0
    assert "Kaivokatu 2" in capsys.readouterr().out
    assert cli(["geocode", "--area", "helsinki-demo", "Kaivokatu 999"]) == 2
    assert "Did you mean" in capsys.readouterr().err


def test_matrix_benchmark_prints_one_json_line(capsys):
    from routing.bench.__main__ import main as bench

    assert bench(["matrix", "--points", "30", "--mode", "bike", "--area", "helsinki-demo"]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert row["area"] == "helsinki-demo" and row["mode"] == "bike" and row["points"] == 30
    assert row["seconds"] > 0 and row["peak_mb"] > 0


def test_make_osm_names_one_real_utrecht_extract():
    from pyrosm.data import _resolve_dataset

    kind, source = _resolve_dataset(AreaConfig.load("utrecht-oost").download)
    assert kind == "source" and source["url"].endswith("/Utrecht/Utrecht.osm.pbf")
