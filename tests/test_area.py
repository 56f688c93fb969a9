"""Areas: configuration, the on-disk cache (shared by processes), the memory-bounded cache of
loaded areas, and the command line a newcomer sees."""

import gc
import hashlib
import json
import os
import pickle
import subprocess
import sys
import time
import weakref
from pathlib import Path

import numpy as np
import pytest

from routing import area as area_mod
from routing.area import AREAS, AreaCache, AreaConfig, area_memory, load_area
from routing.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent


def test_demo_area_is_labelled_as_demo(area):
    assert area.is_demo and "demo" in area.title.lower() and "not utrecht" in area.title.lower()
    assert not AreaConfig.load("utrecht-oost").demo


def test_demo_buurten_are_the_districts_of_the_extract(area):
    assert set(area.buurten) >= {"Kluuvi", "Kaartinkaupunki"}
    total = sum(p.area for p in area.buurten.values())
    west, south, east, north = area.bounds
    assert total == pytest.approx((east - west) * (north - south), rel=0.01)


def test_second_load_comes_from_the_cache_and_is_identical(area):
    config = AreaConfig.load("helsinki-demo")
    assert area_mod.cache_path(config, config.extract_path(), None).exists()
    AREAS.clear()
    again = load_area("helsinki-demo")
    assert [a.source for a in AREAS.loaded()] == ["disk"]
    assert again is not area
    assert _fingerprint(again) == _fingerprint(area)


def test_the_cache_is_keyed_by_the_extracts_bytes_not_its_path_or_time(tmp_path):
    """A copy of the extract elsewhere, with another mtime, finds the same cache file: an
    image or another machine with the same extract uses the cache built once."""
    config = AreaConfig.load("helsinki-demo")
    original = config.extract_path()
    copy = tmp_path / "copy.osm.pbf"
    copy.write_bytes(original.read_bytes())
    os.utime(copy, (1_000_000_000, 1_000_000_000))
    assert area_mod.cache_path(config, copy, None) == area_mod.cache_path(config, original, None)
    assert area_mod.extract_digest(copy) == hashlib.sha256(original.read_bytes()).hexdigest()
    copy.write_bytes(original.read_bytes() + b"\0")
    assert area_mod.cache_path(config, copy, None) != area_mod.cache_path(config, original, None)


BUILDER = """
import json, sys, time
from pathlib import Path
import routing.area as A
from tests.test_area import _fingerprint
go, ready = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.01)
area = A.load_area("helsinki-demo")
(loaded,) = A.AREAS.loaded()
print(json.dumps({"source": loaded.source, "mb": loaded.mb, "fingerprint": _fingerprint(area)}))
"""


def test_two_processes_building_at_once_one_builds_the_other_waits_and_loads(tmp_path):
    """Two real processes, one empty cache folder, released at the same moment: exactly one
    builds, the other waits on the lock and loads the pickle the first wrote whole."""
    cache = tmp_path / "cache"
    go = tmp_path / "go"
    env = {**os.environ, "BUURTROUTE_AREA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", BUILDER, str(go), str(tmp_path / f"ready{i}")],
                              env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for i in range(2)]
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        assert all(p.poll() is None for p in procs), "a builder died while starting"
        time.sleep(0.05)
    go.touch()
    results = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted(r["source"] for r in results) == ["built", "waited"]
    assert results[0]["fingerprint"] == results[1]["fingerprint"]
    pickles = list(cache.glob("*.pickle"))
    assert len(pickles) == 1 and not list(cache.glob("*.tmp"))
    data, networks = pickle.loads(pickles[0].read_bytes())  # whole, not a part
    assert set(networks) == {"walk", "bike"} and len(data.addresses) > 500
    recorded = json.loads(pickles[0].with_name(pickles[0].stem + ".mb.json").read_text())
    assert recorded["mb"] == results[0]["mb"] == results[1]["mb"]


def _fingerprint(area) -> str:
    """A digest of what routing and geocoding use, to compare areas across processes."""
    h = hashlib.sha256()
    for mode in ("walk", "bike"):
        net = area.network(mode)
        for array in (net.u, net.v, net.length, net.xy):
            h.update(np.ascontiguousarray(array).tobytes())
    h.update("\n".join(area.geocoder.labels()).encode())
    return h.hexdigest()


@pytest.fixture()
def three_areas(tmp_path, monkeypatch):
    """Three real areas: the two offline demo extracts, and the Karhula extract once more
    under another name (the same real streets; a third entry for the cache to order)."""
    folder = tmp_path / "areas"
    folder.mkdir()
    for name in ("helsinki-demo", "karhula-demo"):
        text = (area_mod.AREAS_DIR / f"{name}.toml").read_text(encoding="utf-8")
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    (folder / "karhula-again.toml").write_text(
        text.replace('name = "karhula-demo"', 'name = "karhula-again"'), encoding="utf-8")
    monkeypatch.setattr(area_mod, "AREAS_DIR", folder)
    sizes = AreaCache(budget_mb=10_000)
    for name in ("helsinki-demo", "karhula-demo", "karhula-again"):
        sizes.get(name)
    return {a.area.name: a.mb for a in sizes.loaded()}


def test_cache_keeps_areas_within_the_budget_least_recently_used_out(three_areas):
    mb = three_areas
    assert all(m > 0 for m in mb.values())
    # room for the two Karhula areas, or Helsinki and one Karhula, never all three
    # (the two Karhula copies are measured apart and may differ a little: room for the larger;
    # the margin is half the smallest area: a small area may measure as little as 0.1 MB)
    budget = (mb["helsinki-demo"] + max(mb["karhula-demo"], mb["karhula-again"])
              + min(mb.values()) / 2)
    assert sum(mb.values()) > budget >= mb["karhula-demo"] + mb["karhula-again"]
    cache = AreaCache(budget_mb=budget)
    helsinki = cache.get("helsinki-demo")
    cache.get("karhula-demo")
    assert cache.get("helsinki-demo") is helsinki  # hot: from memory, now most recently used
    cache.get("karhula-again")
    names = [a.area.name for a in cache.loaded()]
    assert names == ["helsinki-demo", "karhula-again"]  # karhula-demo was least recently used
    assert cache.total_mb() <= budget
    assert [a.source for a in cache.loaded()] == ["disk", "disk"]
    cache.get("karhula-demo")
    assert [a.area.name for a in cache.loaded()] == ["karhula-again", "karhula-demo"]


def test_an_area_larger_than_the_budget_is_still_served_alone(three_areas):
    cache = AreaCache(budget_mb=1)
    cache.get("karhula-demo")
    assert cache.get("helsinki-demo").name == "helsinki-demo"
    assert [a.area.name for a in cache.loaded()] == ["helsinki-demo"]


def test_an_evicted_area_is_freed_with_the_paths_it_routed(three_areas):
    cache = AreaCache(budget_mb=1)
    karhula = cache.get("karhula-demo")
    lonlat = karhula.network("bike").lonlat
    path = karhula.path((lonlat[0][1], lonlat[0][0]), (lonlat[-1][1], lonlat[-1][0]), "bike")
    assert path.legs and karhula.path((lonlat[0][1], lonlat[0][0]),
                                      (lonlat[-1][1], lonlat[-1][0]), "bike") is path
    gone = weakref.ref(karhula)
    del karhula, path
    cache.get("helsinki-demo")
    gc.collect()
    assert gone() is None


def test_memory_per_area_is_measured_and_reported():
    load_area("helsinki-demo")
    memory = area_memory()
    assert set(memory) >= {"helsinki-demo"}
    config = AreaConfig.load("helsinki-demo")
    pickled = area_mod.cache_path(config, config.extract_path(), None)
    record = json.loads(pickled.with_name(pickled.stem + ".mb.json").read_text())
    assert memory["helsinki-demo"] == record["mb"]
    # loaded, an area takes more than its pickle (geometries in GEOS, the address index)
    assert memory["helsinki-demo"] > pickled.stat().st_size / 2**20


def test_cache_budget_from_the_environment_is_checked(monkeypatch):
    monkeypatch.setenv("BUURTROUTE_AREA_CACHE_MB", "256")
    assert area_mod._budget_from_env() == 256
    for bad in ("lots", "0", "-5"):
        monkeypatch.setenv("BUURTROUTE_AREA_CACHE_MB", bad)
        with pytest.raises(ValueError, match="BUURTROUTE_AREA_CACHE_MB"):
            area_mod._budget_from_env()


def test_areas_command_lists_every_area_with_its_memory(capsys):
    assert cli(["areas"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:-1]}
    for name in ("helsinki-demo", "karhula-demo"):
        source, seconds, mb = rows[name][1:]
        assert source in ("built", "disk", "waited") and float(mb) == area_memory()[name]
    if not area_mod.extract_available("utrecht-oost"):
        assert "no extract" in " ".join(rows["utrecht-oost"])
    assert "MB budget" in out.splitlines()[-1]


def test_web_serves_the_area_of_each_name(tmp_path):
    from web import create_app
    from web.areas import area_for, current_area

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "AREA": "helsinki-demo",
                      "INSTANCE_PATH": str(tmp_path), "QUEUE": "immediate"})
    with app.app_context():
        assert current_area().name == area_for(None).name == "helsinki-demo"
        karhula = area_for("karhula-demo")
        assert karhula.name == "karhula-demo" and karhula.is_demo
        assert karhula.geocode("Kangaskatu 12").buurt == "Helilä"
        with pytest.raises(ValueError, match="karhula-demo"):
            area_for("atlantis")


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
