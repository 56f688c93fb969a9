"""Repairing a plan during the day (routing/replan.py) on a real demo day on real streets:
changes stay in the rounds they touch, goods stay with their carrier, and every repaired plan
passes the independent checker."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.check import check
from routing.demo import demo_day, demo_problem
from routing.model import Done, Lock
from routing.replan import changes, repair, touched_share
from routing.solver import SolveParams, solve

PARAMS = SolveParams(time_limit=5, work_limit=20_000, seed_iterations=300, random_seed=1)


@pytest.fixture(scope="module")
def day(area):
    problem, _stops = demo_problem(area, demo_day(area, 40, 3, 1))
    plan = solve(problem, PARAMS)
    assert plan.feasible, plan.violations
    return problem, plan


def _rounds(plan):
    return {r.assistant_id: [(v.order_id, v.action, v.start) for v in r.visits]
            for r in plan.routes}


def test_nothing_changed_gives_the_same_plan(day):
    problem, plan = day
    again = repair(problem, plan, PARAMS)
    assert _rounds(again) == _rounds(plan)
    assert [u.order_id for u in again.unplanned] == [u.order_id for u in plan.unplanned]
    assert again.stats["searched"] == [] and again.feasible
    assert changes(plan, again) == {"moved": [], "shifted": [], "planned": [], "unplanned": []}


def test_a_cancel_changes_only_its_own_round(day):
    problem, plan = day
    route = max(plan.routes, key=lambda r: len(r.visits))
    gone = next(v.order_id for v in route.visits if v.action == "delivery")
    smaller = replace(problem, orders=tuple(o for o in problem.orders if o.id != gone))
    fixed = repair(smaller, plan, PARAMS)
    assert fixed.feasible, fixed.violations
    for aid, stops in _rounds(plan).items():
        if aid != route.assistant_id:
            assert _rounds(fixed)[aid] == stops, f"the round of {aid} changed"
    # its own round keeps the rest of its stops in their order (and may take in an order
    # that was left out before, in the room the cancel made)
    kept = [s[:2] for s in _rounds(fixed)[route.assistant_id]
            if s[0] in {v.order_id for v in route.visits}]
    assert kept == [s[:2] for s in _rounds(plan)[route.assistant_id] if s[0] != gone]
    assert fixed.stats["searched"] == []
    assert touched_share(plan, fixed, {route.assistant_id}) == 0.0


def test_a_move_touches_only_the_two_rounds(day):
    problem, plan = day
    source, target, other = sorted(plan.routes, key=lambda r: -len(r.visits))[:3]
    moved = next(v.order_id for v in source.visits if v.action == "delivery")
    locked = replace(problem, locks=(Lock(moved, target.assistant_id),))
    fixed = repair(locked, plan, PARAMS)
    assert fixed.feasible, fixed.violations
    where = {v.order_id: r.assistant_id for r in fixed.routes for v in r.visits}
    assert where.get(moved) == target.assistant_id or any(
        u.order_id == moved and u.code == "locked" for u in fixed.unplanned)
    assert _rounds(fixed)[other.assistant_id] == _rounds(plan)[other.assistant_id]
    assert touched_share(plan, fixed, {source.assistant_id, target.assistant_id}) == 0.0
    said = changes(plan, fixed)
    assert {c["order_id"] for c in said["moved"]} <= {moved} | {
        v.order_id for r in (source, target) for v in r.visits}
    if where.get(moved) == target.assistant_id:
        assert {"order_id": moved, "from": source.assistant_id, "to": target.assistant_id,
                "at": next(c["at"] for c in said["moved"] if c["order_id"] == moved)} \
            in said["moved"]


def test_goods_picked_up_stay_with_whoever_picked_them_up(day):
    """Bram picked up an order that the plan gave to Anna (say a re-plan moved it while he
    was at the pharmacy): the repair delivers it from Bram's bike, not from Anna's round."""
    problem, plan = day
    anna, bram = [r for r in plan.routes if r.visits][:2]
    order = next(problem.order(v.order_id) for v in anna.visits
                 if v.action == "pickup" and problem.order(v.order_id).pickup is not None)
    first = next(v for v in anna.visits if v.order_id == order.id and v.action == "pickup")
    start = max(bram.departure + 3600, first.start)
    lived = replace(problem, done=(Done(order.id, "pickup", bram.assistant_id, start),),
                    now=start + 60)
    fixed = repair(lived, plan, PARAMS)
    assert check(lived, fixed) == fixed.violations == []
    where = {(v.order_id, v.action): r.assistant_id for r in fixed.routes for v in r.visits}
    assert where[(order.id, "pickup")] == bram.assistant_id
    assert where.get((order.id, "delivery"), bram.assistant_id) == bram.assistant_id
    if (order.id, "delivery") not in where:  # then it is reported, never silently dropped
        assert any(u.order_id == order.id for u in fixed.unplanned)
    assert all(v.order_id != order.id for v in fixed.route(anna.assistant_id).visits)


def test_the_checker_refuses_a_delivery_away_from_the_carrier(day):
    problem, plan = day
    anna = next(r for r in plan.routes if r.visits)
    v = next(v for v in anna.visits if v.action == "pickup")
    other = next(a.id for a in problem.assistants if a.id != anna.assistant_id)
    lived = replace(problem, done=(Done(v.order_id, "pickup", other, v.start),))
    broken = check(lived, plan)
    assert any("goods are with" in b or "done stop moved" in b for b in broken), broken
