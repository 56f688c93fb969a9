"""After the search: left-out orders go where they still fit, timed by the solver's own
scheduler and accepted by the independent checker — on a real day on real streets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.check import check
from routing.demo import demo_day, demo_problem
from routing.model import TimeWindow
from routing.solver import SolveParams, solve
from routing.solver.insert import fill, schedule


@pytest.fixture(scope="module")
def day(area):
    problem, _stops = demo_problem(area, demo_day(area, 40, 3, 1))
    plan = solve(problem, SolveParams(time_limit=2, random_seed=1))
    assert plan.feasible, plan.violations
    return problem, plan


def _without(problem, plan, order_id):
    routes = []
    for r in plan.routes:
        a = problem.assistant(r.assistant_id)
        seq = [(v.order_id, v.action) for v in r.visits if v.order_id != order_id]
        routes.append(schedule(problem, a, seq, r))
    assert all(routes), "taking a stop out of a round that holds must leave a round that holds"
    return replace(plan, routes=routes, unplanned=[], violations=[])


def test_the_scheduler_times_every_solved_round_so_the_checker_accepts_it(day):
    problem, plan = day
    again = replace(plan, routes=[schedule(problem, problem.assistant(r.assistant_id),
                                           [(v.order_id, v.action) for v in r.visits], r)
                                  for r in plan.routes])
    assert all(again.routes)
    assert check(problem, again) == []
    for old, new in zip(plan.routes, again.routes, strict=True):
        assert [(v.order_id, v.action) for v in new.visits] == [(v.order_id, v.action) for v in old.visits]


def test_every_order_taken_out_is_put_back(day):
    problem, plan = day
    planned = [v.order_id for r in plan.routes for v in r.visits if v.action == "delivery"]
    assert len(planned) >= 30
    for oid in planned:
        without = _without(problem, plan, oid)
        back, placed = fill(problem, without, [problem.order(oid)])
        assert placed == [oid]
        assert check(problem, back) == [], oid


def test_an_order_that_fits_nowhere_stays_out_and_the_plan_is_untouched(day):
    problem, plan = day
    a = problem.assistants[0]
    last = problem.order(next(v.order_id for v in reversed(plan.route(a.id).visits)))
    # a copy of a planned order whose window has closed before any shift starts
    late = replace(last, id="late", windows=(TimeWindow(0, 60),))
    back, placed = fill(replace(problem, orders=problem.orders + (late,)), plan, [late])
    assert placed == []
    assert back.routes == plan.routes


def test_a_work_limit_makes_a_real_day_reproducible(area):
    """Stopped by a count of search steps (not the clock), two runs give the same plan."""
    problem, _stops = demo_problem(area, demo_day(area, 60, 3, 2))
    params = SolveParams(time_limit=120, work_limit=30_000, random_seed=2)
    a, b = solve(problem, params), solve(problem, params)
    assert a.stats["stopped_by"] == "work"
    assert a.feasible and b.feasible
    assert [r.to_dict() for r in a.routes] == [r.to_dict() for r in b.routes]
    assert a.unplanned == b.unplanned

