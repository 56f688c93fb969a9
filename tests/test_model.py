"""The day's data: validation with clear messages, and a JSON round trip that loses nothing."""

import json

import numpy as np
import pytest

from routing.model import (Assistant, Break, Done, Lock, ModelError, Order, Pickup, Plan, Problem,
                           TimeWindow as W, Weights)
from routing.solver import SolveParams, solve

H = 3600


def matrices(n=4, mode="bike"):
    d = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    return {mode: (d * 120).astype(np.int64)}, {mode: d * 400.0}


def test_defaults_by_kind_and_overrides():
    med = Order("m", "medicine", 1)
    visit = Order("v", "visit", 2, praatje=1800)
    assert med.rank == 1 and Order("p", "parcel", 1).rank == 3 and Order("x", "meal", 1).rank == 2
    assert visit.service == 1800 + 60 and visit.praatje_seconds == 1800
    hot = Order("h", "meal", 1, pickup=Pickup(0, "keuken"), hot_meal=True)
    assert hot.ride_limit == 30 * 60


@pytest.mark.parametrize("make, words", [
    (lambda: Order("a", "pizza", 1), "kind 'pizza'"),
    (lambda: Order("a", "meal", 1, windows=(W(10 * H, 11 * H), W(10 * H + 1800, 12 * H))), "overlap"),
    (lambda: W(11 * H, 10 * H), "end before start"),
    (lambda: Order("a", "meal", 1, hot_meal=True), "needs a pickup"),
    (lambda: Order("a", "meal", 1, size=-1), "size must be >= 0"),
    (lambda: Order("a", "meal", 1, priority=0), "priority"),
    (lambda: Order.from_dict({"id": "a", "kind": "meal", "location": 1, "colour": "red"}), "unknown field(s) colour"),
])
def test_bad_orders_say_which_field_and_why(make, words):
    with pytest.raises(ModelError, match=words.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_problem_checks_indices_modes_and_ids():
    dur, dist = matrices()
    with pytest.raises(ModelError, match="location 9 is not a matrix index"):
        Problem((Order("a", "meal", 9),), (Assistant("x"),), dur, dist)
    with pytest.raises(ModelError, match="no travel matrix for mode 'walk'"):
        Problem((), (Assistant("x", mode="walk"),), dur, dist)
    with pytest.raises(ModelError, match="id used twice"):
        Problem((Order("a", "meal", 1), Order("a", "parcel", 2)), (Assistant("x"),), dur, dist)
    with pytest.raises(ModelError, match="must be integer seconds"):
        Problem((), (Assistant("x"),), {"bike": dur["bike"] * 1.0}, dist)
    with pytest.raises(ModelError, match="no such assistant"):
        Problem((Order("a", "meal", 1),), (Assistant("x"),), dur, dist, locks=(Lock("a", "y"),))


def test_from_matrices_takes_the_leads_travel_matrix_objects():
    class TM:  # the shape of routing.matrix.TravelMatrix
        def __init__(self, mode, secs, metres):
            self.mode, self.seconds, self.metres = mode, secs, metres
    dur, dist = matrices()
    p = Problem.from_matrices([TM("bike", dur["bike"], dist["bike"]), TM("walk", dur["bike"] * 3, dist["bike"])],
                              [Order("a", "meal", 1)], [Assistant("x", mode="walk")])
    assert set(p.durations) == {"bike", "walk"} and p.durations["walk"][0, 3] == 3 * 360


def test_problem_and_plan_round_trip_through_json():
    dur, dist = matrices()
    orders = (Order("a", "meal", 2, pickup=Pickup(1, "keuken", (W(11 * H, 12 * H),)), hot_meal=True,
                    windows=(W(11 * H, 13 * H),), resident="r1", buurt="Oudwijk", in_person=True),
              Order("b", "visit", 3, windows=(W(9 * H, 10 * H), W(14 * H, 15 * H)), praatje=1200))
    team = (Assistant("x", name="Sanne", buurt="Oudwijk", shift=W(9 * H, 16 * H), capacity=4,
                      break_=Break(W(12 * H, 13 * H), 1800), regulars=("r1",)),)
    p = Problem(orders, team, dur, dist, Weights(balance=0), now=9 * H,
                done=(), locks=(Lock("b", "x"),), name="test day")
    again = Problem.from_dict(json.loads(json.dumps(p.to_dict())))
    assert again.to_dict() == p.to_dict()
    assert again.orders == p.orders and again.assistants == p.assistants
    plan = solve(p, SolveParams(time_limit=0.3, seed="none"))
    assert plan.feasible, plan.violations
    back = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert back.to_dict() == plan.to_dict()
    totals = plan.route("x").totals(p)
    assert totals["stops"] == 2 and totals["praatje_seconds"] == 300 + 1200
    day = plan.totals(p)
    assert day["stops"] == 2 and day["unplanned"] == 0 and day["travel_seconds"] == plan.route("x").travel


def test_done_stop_must_name_a_real_stop():
    dur, dist = matrices()
    with pytest.raises(ModelError, match="the order has no pickup"):
        Problem((Order("a", "parcel", 1),), (Assistant("x"),), dur, dist, done=(Done("a", "pickup", "x", 9 * H),))
