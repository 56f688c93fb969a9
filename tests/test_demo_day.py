"""The demo day on the real Helsinki streets: orders → stops → matrices → solver → plan."""

import pytest

from routing.demo import demo_day, demo_problem
from routing.solver import SolveParams, solve
from routing.stops import Stops


@pytest.fixture(scope="module")
def day(area):
    return demo_day(area, orders=40, assistants=3, seed=4)


def test_demo_day_uses_real_places_and_addresses(area, day):
    kinds = sorted(p.kind for p in day.partners.values())
    assert kinds == ["meal_kitchen", "parcel_point", "pharmacy", "pharmacy"]
    assert all(p in area.places for p in day.partners.values())
    for order in day.orders:
        assert area.geocode(order.address).address == order.address
    assert {o.kind for o in day.orders} == {"medicine", "meal", "parcel", "visit"}
    assert all(o.window[0] >= "11:30" for o in day.orders if o.hot_meal)


def test_same_seed_same_day(area, day):
    assert demo_day(area, orders=40, assistants=3, seed=4) == day
    assert demo_day(area, orders=40, assistants=3, seed=5) != day


def test_stops_share_one_index_per_point():
    stops = Stops()
    a = stops.add(60.17, 24.94, "x")
    assert stops.add(60.17, 24.94, "y") == a and stops.add(60.171, 24.94) == a + 1
    assert len(stops) == 2 and stops.labels == ["x", ""]


def test_demo_day_plans_on_real_streets_and_the_checker_accepts(area, day):
    problem, stops = demo_problem(area, day)
    assert problem.size == len(stops)
    assert set(problem.durations) == {a.mode for a in day.assistants}
    plan = solve(problem, SolveParams(time_limit=3))
    assert plan.feasible, plan.violations
    planned = {v.order_id for r in plan.routes for v in r.visits if v.action == "delivery"}
    unplanned = {u.order_id for u in plan.unplanned}
    assert planned | unplanned == {o.ref for o in day.orders} and not planned & unplanned
    assert all(u.reason for u in plan.unplanned)
    assert len(planned) >= 0.8 * len(day.orders)
    for route in plan.routes:
        for visit in route.visits:
            order = problem.order(visit.order_id)
            if visit.action == "pickup":
                assert visit.location == order.pickup.location
