"""The independent checker catches each kind of broken plan (and accepts a good one)."""

import numpy as np
import pytest

from routing.check import check
from routing.model import (Assistant, Break, Done, Lock, Order, Pickup, Plan, Problem, TimeWindow as W,
                           Unplanned, Weights)
from routing.solver import SolveParams, solve

H = 3600


def day():
    xy = np.array([(0, 0), (1, 0), (6, 2), (4, -3), (8, 0), (2, 5)], dtype=float)
    d = np.abs(xy[:, None] - xy[None]).sum(axis=2)
    dur, dist = {"bike": np.ceil(d * 120).astype(np.int64)}, {"bike": d * 500}
    kitchen = Pickup(1, "keuken", (W(11 * H, 13 * H),), handling=120)
    orders = (Order("meal", "meal", 2, pickup=kitchen, hot_meal=True, max_ride=1200, size=2,
                    windows=(W(11 * H, 13 * H),)),
              Order("med", "medicine", 3, pickup=Pickup(4, "apotheek"), size=1, windows=(W(10 * H, 14 * H),)),
              Order("pak", "parcel", 5, size=3),
              Order("call", "visit", 4, windows=(W(12 * H, 12 * H + 1800),)))
    team = (Assistant("a", shift=W(10 * H, 15 * H), capacity=4, break_=Break(W(12 * H + 2400, 13 * H + 1800), 1800)),)
    return Problem(orders, team, dur, dist, Weights(balance=0))


@pytest.fixture(scope="module")
def good():
    p = day()
    plan = solve(p, SolveParams(time_limit=0.5, seed="none"))
    assert plan.violations == [] and not plan.unplanned
    return p, plan


def broken(plan, edit):
    copy = Plan.from_dict(plan.to_dict())
    edit(copy)
    return copy


def visit(plan, oid, action="delivery"):
    return next(v for v in plan.routes[0].visits if (v.order_id, v.action) == (oid, action))


def test_accepts_the_solvers_plan(good):
    p, plan = good
    assert check(p, plan) == []
    assert len(plan.routes[0].breaks) == 1


def test_window_violation(good):
    p, plan = good
    def edit(pl):
        v = visit(pl, "call")
        v.start += 3 * H
        v.wait += 3 * H
        v.end += 3 * H
    assert any("outside 12:00–12:30" in b for b in check(p, broken(plan, edit)))


def test_times_must_add_up(good):
    p, plan = good
    def edit(pl):
        pl.routes[0].visits[1].arrival -= 60
    assert any("arrival" in b for b in check(p, broken(plan, edit)))


def test_precedence_and_same_route(good):
    p, plan = good
    def edit(pl):
        vs = pl.routes[0].visits
        i, j = vs.index(visit(pl, "med", "pickup")), vs.index(visit(pl, "med"))
        vs[i], vs[j] = vs[j], vs[i]
    assert any("pickup is not before the delivery" in b for b in check(p, broken(plan, edit)))


def test_capacity_and_load(good):
    p, plan = good
    small = Problem(p.orders, (Assistant("a", shift=W(10 * H, 15 * H), capacity=2,
                                         break_=p.assistants[0].break_),), p.durations, p.distances)
    assert any("capacity 2" in b for b in check(small, plan))


def test_ride_time_of_a_hot_meal(good):
    p, plan = good
    tight = Problem(tuple(o if o.id != "meal" else Order("meal", "meal", 2, pickup=o.pickup, hot_meal=True,
                                                            max_ride=60, size=2, windows=o.windows)
                          for o in p.orders), p.assistants, p.durations, p.distances)
    ride = visit(plan, "meal").start - visit(plan, "meal", "pickup").end
    assert ride > 60
    assert any("more than 1 min" in b for b in check(tight, plan))


def test_shift_end(good):
    p, plan = good
    short = Problem(p.orders, (Assistant("a", shift=W(10 * H, 12 * H), capacity=4),), p.durations, p.distances)
    bad = check(short, broken(plan, lambda pl: setattr(pl.routes[0], "breaks", [])))
    assert any("after the shift ends at 12:00" in b for b in bad)


def test_break_must_not_overlap_a_visit_and_must_exist(good):
    p, plan = good
    def overlap(pl):
        v = pl.routes[0].visits[2]
        pl.routes[0].breaks = [W(v.start, v.start + 1800)]
    assert any("break" in b for b in check(p, broken(plan, overlap)))
    assert any("0 breaks planned" in b for b in check(p, broken(plan, lambda pl: setattr(pl.routes[0], "breaks", []))))


def test_every_order_planned_or_reported(good):
    p, plan = good
    def drop(pl):
        pl.routes[0].visits = [v for v in pl.routes[0].visits if v.order_id != "call"]
    assert any("neither planned nor reported" in b for b in check(p, broken(plan, drop)))
    def both(pl):
        pl.unplanned = [Unplanned("call", "over_full", "x")]
    assert any("both planned and unplanned" in b for b in check(p, broken(plan, both)))


def test_done_and_locked_stops(good):
    p, plan = good
    first = plan.routes[0].visits[0]
    moved = Problem(p.orders, p.assistants, p.durations, p.distances,
                    done=(Done(first.order_id, first.action, "a", first.start - 600),))
    assert any("done stop moved" in b for b in check(moved, plan))
    locked = Problem(p.orders, p.assistants, p.durations, p.distances, locks=(Lock("call", "a", position=0),))
    assert any("locked at position 0" in b for b in check(locked, plan))
