"""``python -m routing.bench solve``: any Solomon / Li & Lim file, also sizes it has never seen."""

import json
import re
from pathlib import Path

import pytest

from routing import instances
from routing.bench.solve import main

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def run(capsys, *argv) -> dict:
    assert main([str(a) for a in argv]) == 0
    return json.loads(capsys.readouterr().out.strip())


def test_solves_a_solomon_file(capsys):
    out = run(capsys, BENCH / "solomon" / "R101.txt", "--seconds", "1")
    assert set(out) >= {"instance", "distance", "vehicles", "feasible", "seconds"}
    assert out["instance"] == "R101" and out["feasible"] is True and out["unplanned"] == 0
    assert 10 <= out["vehicles"] <= 25


def _merge_solomon(a: Path, b: Path, dest: Path) -> None:
    """A 200-customer file in the Solomon format: the customers of two real instances."""
    head, rows, fleet = [], [], 0
    for k, path in enumerate((a, b)):
        fleet += instances.read(path).vehicles
        lines = path.read_text().splitlines()
        start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("0 ") or ln.split()[:1] == ["0"])
        head = lines[:start] if k == 0 else head
        body = [ln.split() for ln in lines[start:] if ln.strip()]
        rows += body[0:1] if k == 0 else []
        rows += body[1:]
    text = "\n".join(head)
    text = re.sub(r"(NUMBER\s+CAPACITY\s*\n\s*)(\d+)", lambda m: m.group(1) + str(fleet), text)
    text += "\n" + "\n".join(" ".join([str(i)] + r[1:]) for i, r in enumerate(rows)) + "\n"
    dest.write_text(text)


def _merge_lilim(a: Path, b: Path, dest: Path) -> None:
    """A 200-task file in the Li & Lim format from two real instances (indices shifted)."""
    la, lb = a.read_text().split("\n"), b.read_text().split("\n")
    ra = [ln.split() for ln in la[1:] if ln.strip()]
    rb = [ln.split() for ln in lb[1:] if ln.strip()]
    off = len(ra) - 1
    out = [" ".join(r) for r in ra]
    for r in rb[1:]:
        r = list(r)
        r[0] = str(int(r[0]) + off)
        r[7] = str(int(r[7]) + off) if int(r[7]) else "0"
        r[8] = str(int(r[8]) + off) if int(r[8]) else "0"
        out.append(" ".join(r))
    v, cap, speed = la[0].split()
    dest.write_text(f"{int(v) * 2}\t{cap}\t{speed}\n" + "\n".join(out) + "\n")


def test_solves_a_200_customer_solomon_file_it_has_never_seen(tmp_path, capsys):
    f = tmp_path / "R1_merged.txt"
    _merge_solomon(BENCH / "solomon" / "R102.txt", BENCH / "solomon" / "R105.txt", f)
    assert instances.read(f).customers == 200
    out = run(capsys, f, "--seconds", "3")
    assert out["feasible"] is True and out["unplanned"] == 0 and out["customers"] == 200


def test_solves_a_200_task_li_lim_file_it_has_never_seen(tmp_path, capsys):
    f = tmp_path / "lr1_merged.txt"
    _merge_lilim(BENCH / "lilim" / "100" / "lr102.txt", BENCH / "lilim" / "100" / "lr105.txt", f)
    inst = instances.read(f)
    assert len(inst.pairs) > 100
    out = run(capsys, f, "--seconds", "3")
    assert out["feasible"] is True and out["unplanned"] == 0


def test_or_tools_alone_on_a_small_file(tmp_path, capsys):
    lines = (BENCH / "solomon" / "C101.txt").read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ["0"])
    f = tmp_path / "C101_25.txt"
    f.write_text("\n".join(lines[:start + 26]) + "\n")
    out = run(capsys, f, "--seconds", "1", "--engine", "ortools")
    assert out["engine"] == "ortools" and out["feasible"] is True
    assert out["distance"] == pytest.approx(191.8136, abs=0.01)  # C101.25 optimum (Solomon's 25-customer set)


def test_unreadable_file_is_a_clear_error(tmp_path, capsys):
    f = tmp_path / "junk.txt"
    f.write_text("hello world\n")
    assert main([str(f)]) == 2
    assert "junk.txt" in capsys.readouterr().err
