"""Readers of the public benchmark files, the exact evaluation, and the mapping to the day model."""

from pathlib import Path

import pytest

from routing import instances

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def test_reads_solomon_r101():
    inst = instances.read(BENCH / "solomon" / "R101.txt")
    assert (inst.name, inst.kind, inst.vehicles, inst.capacity, inst.customers) == ("R101", "solomon", 25, 200, 100)
    assert tuple(inst.xy[1]) == (41, 49) and inst.demand[1] == 10 and (inst.ready[1], inst.due[1]) == (161, 171)
    assert inst.due[0] == 230 and not inst.pairs


def test_reads_li_lim_pairs():
    inst = instances.read(BENCH / "lilim" / "100" / "lc101.txt")
    assert (inst.kind, inst.vehicles, inst.capacity) == ("lilim", 25, 200)
    assert inst.pairs[3] == 75 and inst.demand[75] == -inst.demand[3]
    assert 2 * len(inst.pairs) == inst.customers


def test_every_shared_instance_reads():
    files = sorted((BENCH / "solomon").glob("*.txt")) + sorted((BENCH / "lilim" / "100").glob("*.txt"))
    assert len(files) == 112
    for f in files:
        inst = instances.read(f)
        assert inst.customers >= 100


def test_bad_files_name_the_line(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("25 200 1\n0 40 50 0 0 1236 0 0 0\n1 45 68 -10 912 967 90 11\n")
    with pytest.raises(instances.InstanceError, match=r"x.txt:3: expected 9 columns"):
        instances.read(f)
    f.write_text("25 200 1\n0 40 50 0 0 1236 0 0 0\n1 45 68 10 912 967 90 0 2\n2 45 70 -20 825 870 90 1 0\n")
    with pytest.raises(instances.InstanceError, match="opposite demand"):
        instances.read(f)


def test_evaluate_exact_distance_and_violations():
    inst = instances.read(BENCH / "solomon" / "R101.txt")
    d = inst.distances()
    ev = instances.evaluate(inst, [[n] for n in range(1, 101)])
    assert ev.vehicles == 100 and ev.violations == ("100 vehicles used, 25 available",)
    ev = instances.evaluate(inst, [[2, 1]] + [[n] for n in range(3, 101)])
    assert ev.distance == pytest.approx(d[0, 2] + d[2, 1] + d[1, 0] + sum(2 * d[0, n] for n in range(3, 101)))
    assert any("vehicles used" in v for v in ev.violations)
    late = instances.evaluate(inst, [[1, 2]])
    assert any("node 2 served" in v for v in late.violations)
    assert any("not visited" in v for v in late.violations)
    pdp = instances.read(BENCH / "lilim" / "100" / "lc101.txt")
    backwards = instances.evaluate(pdp, [[75, 3]])
    assert any("pair 3->75" in v for v in backwards.violations)


def test_to_problem_rounds_travel_up_and_keeps_the_units():
    inst = instances.read(BENCH / "lilim" / "100" / "lr101.txt")
    p = instances.to_problem(inst, scale=1000)
    assert len(p.orders) == len(inst.pairs)
    d = inst.distances()
    assert (p.durations["bench"] >= d * 1000 - 1e-6).all() and (p.durations["bench"] - d * 1000 < 1).all()
    pick, drop = next(iter(inst.pairs.items()))
    o = p.order(str(drop))
    assert (o.pickup.location, o.location, o.size) == (pick, drop, inst.demand[pick])
    assert o.windows[0].start == inst.ready[drop] * 1000 and o.pickup.handling == inst.service[pick] * 1000
    assert p.weights.vehicle > 0  # Li & Lim is vehicle-first
    solomon = instances.to_problem(instances.read(BENCH / "solomon" / "C101.txt"))
    assert solomon.weights.vehicle == 0 and all(o.pickup is None for o in solomon.orders)
    assert solomon.assistants[0].shift.end == 1236 * 1000
