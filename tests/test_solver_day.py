"""A real day solved as well as the benchmark instances, and advice that is true.

On the demo day of the real demo area: PyVRP seeds days with breaks, hot meals, preferences and
several travel modes (its plan repaired to hold every rule); a left-out order takes the place of
less important ones; and each order the full day leaves out says which change lets it in — a
sentence checked here by making that change and asking the independent checker.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing.check import check
from routing.demo import demo_day, demo_problem
from routing.model import Assistant, Done, Plan, Problem, TimeWindow, Unplanned
from routing.solver import SolveParams, advice, exchange, repair, score, seed, solve
from routing.solver.insert import place, schedule
from routing.solver.nodes import build
from web.reasons import say

# counted work, not the clock: the same plan on every machine (the time is a safety net)
COUNTED = dict(time_limit=120, work_limit=20_000, seed_iterations=300, random_seed=1)


def relaxed(problem: Problem) -> Problem:
    """What every peer can model: no breaks, no ride limit, balance and buurt weights 0."""
    return Problem(tuple(replace(o, hot_meal=False) for o in problem.orders),
                   tuple(replace(a, break_=None) for a in problem.assistants),
                   problem.durations, problem.distances,
                   replace(problem.weights, balance=0, not_regular=0, other_buurt=0))


@pytest.fixture(scope="module")
def day60(area) -> Problem:
    return demo_problem(area, demo_day(area, 60, 3, 1))[0]


@pytest.fixture(scope="module")
def full_day(area) -> tuple[Problem, Plan]:
    """The over-full 100-order day, planned with counted work."""
    problem = demo_problem(area, demo_day(area, 100, 3, 1))[0]
    plan = solve(problem, SolveParams(**COUNTED))
    assert plan.feasible, plan.violations
    return problem, plan


def test_pyvrp_models_a_real_day_and_its_repaired_rounds_hold(day60):
    """Breaks, hot meals, three modes and buurt preferences: PyVRP plans it approximately, the
    repair keeps PyVRP's order and the checker accepts every repaired round."""
    nodes = build(day60, list(day60.orders))
    assert seed.usable(day60) and not seed.supports(day60, nodes)
    routes, stats = seed.solve(day60, nodes, 60, 1, iterations=200)
    assert stats["seed_feasible"]
    kept, timed = repair.repair(day60, nodes, routes)
    for before, after in zip(routes, kept, strict=True):
        assert [n for n in before if n in set(after)] == after  # PyVRP's order, some taken out
    there = {nodes.stop[n][0] for r in kept for n in r}
    plan = Plan(timed, [Unplanned(o.id, "over_full", "repair") for o in day60.orders if o.id not in there])
    assert check(day60, plan) == []
    assert len(there) >= 50  # the 60-order day fits (almost) whole


def test_a_relaxed_real_day_travels_less_with_pyvrp_than_with_or_tools_alone(day60):
    """Every order has a resident and the team three modes: that no longer keeps PyVRP out."""
    day = relaxed(day60)
    assert seed.supports(day, build(day, list(day.orders)))
    seeded = solve(day, SolveParams(**COUNTED))
    alone = solve(day, SolveParams(**COUNTED, seed="none"))
    assert seeded.feasible and alone.feasible
    assert seeded.stats["engine"] == "pyvrp+ortools"
    assert len(seeded.unplanned) <= len(alone.unplanned)
    travel = lambda p: p.totals(day)["travel_seconds"]  # noqa: E731
    assert travel(seeded) < 0.95 * travel(alone), (travel(seeded), travel(alone))


def test_a_left_out_order_takes_the_place_of_a_less_important_one(full_day):
    """A medicine for the door of a planned parcel, same window and pickup: the parcel makes way."""
    problem, plan = full_day
    parcel = next(problem.order(v.order_id) for r in plan.routes for v in r.visits
                  if v.action == "delivery" and problem.order(v.order_id).kind == "parcel")
    urgent = replace(parcel, id="urgent", kind="medicine", priority=1)
    bigger = replace(problem, orders=problem.orders + (urgent,))
    routes = {r.assistant_id: r for r in plan.routes}
    got = exchange.swap(bigger, routes, urgent)
    assert got is not None
    new, gone = got
    assert parcel.id in gone
    after = Plan(list(new.values()), plan.unplanned + [Unplanned(q, "over_full", "made way") for q in gone])
    assert check(bigger, after) == []
    assert score.weighted_unplanned(bigger, after) < score.weighted_unplanned(
        bigger, replace(plan, unplanned=plan.unplanned + [Unplanned("urgent", "over_full", "x")]))


def _with_order(problem: Problem, plan: Plan, routes: dict, order_id: str) -> Plan:
    return Plan([routes[r.assistant_id] for r in plan.routes],
                [u for u in plan.unplanned if u.order_id != order_id])


def test_every_piece_of_advice_is_true_when_the_change_is_made(full_day):
    """Make the change each left-out order names; the order then fits and the checker agrees."""
    problem, plan = full_day
    full = [u for u in plan.unplanned if u.code == "over_full"]
    assert len(full) >= 20
    templates = {u.template for u in full}
    assert advice.EXTRA in templates and templates & {advice.LONGER_SHIFT, advice.MAKE_WAY}
    routes = {r.assistant_id: r for r in plan.routes}
    names = {a.name: a for a in problem.assistants}
    for u in full:
        o = problem.order(u.order_id)
        assert "more time" not in u.reason and say(u.to_dict(), "nl") != u.reason
        if u.template == advice.LONGER_SHIFT:
            a = names[u.params["name"]]
            h, m = map(int, u.params["until"].split(":"))
            longer = replace(a, shift=TimeWindow(a.shift.start, h * 3600 + m * 60))
            changed = replace(problem, assistants=tuple(longer if b.id == a.id else b for b in problem.assistants))
            new = place(changed, routes, o, only=a.id)
            assert new is not None, u.reason
            assert check(changed, _with_order(changed, plan, {**routes, a.id: new}, o.id)) == [], u.reason
        elif u.template in (advice.MAKE_WAY, advice.MAKE_WAY_MANY):
            a = names[u.params["name"]]
            freed = routes
            gone = [q.lstrip("#") for q in u.params["ids"].split(", ")]
            for q in gone:
                freed = exchange.without(problem, freed, q)
                assert freed is not None
            new = place(problem, freed, o, only=a.id)
            assert new is not None, u.reason
            after = _with_order(problem, plan, {**freed, a.id: new}, o.id)
            after.unplanned += [Unplanned(q, "over_full", "to another day") for q in gone]
            assert check(problem, after) == [], u.reason
        elif u.template == advice.EXTRA:
            start, end = (int(x[:2]) * 3600 + int(x[3:]) * 60 for x in (u.params["start"], u.params["end"]))
            first = problem.assistants[0]
            extra = Assistant("extra", mode=first.mode, shift=TimeWindow(start, end), start=first.start,
                              capacity=max(a.capacity for a in problem.assistants))
            changed = replace(problem, assistants=problem.assistants + (extra,))
            stops = ([(o.id, "pickup")] if o.pickup else []) + [(o.id, "delivery")]
            route = schedule(changed, extra, stops)
            assert route is not None, u.reason
            after = Plan(plan.routes + [route], [x for x in plan.unplanned if x.order_id != o.id])
            assert check(changed, after) == [], u.reason


def test_a_meal_is_worth_more_than_parcels_on_the_full_day(full_day):
    """The priorities say what a coordinator wants: no parcel rides while the exchange could
    have put a left-out hot meal or house call in its place."""
    problem, plan = full_day
    routes = {r.assistant_id: r for r in plan.routes}
    for u in plan.unplanned:
        o = problem.order(u.order_id)
        if o.rank < 3 and u.code == "over_full":
            assert exchange.swap(problem, routes, o) is None, o.id


def test_planning_a_real_day_twice_with_counted_work_gives_the_same_plan(day60):
    one = solve(day60, SolveParams(**COUNTED))
    two = solve(day60, SolveParams(**COUNTED))
    assert one.stats["engine"] == "pyvrp|ortools"
    assert [r.to_dict() for r in one.routes] == [r.to_dict() for r in two.routes]
    assert [u.to_dict() for u in one.unplanned] == [u.to_dict() for u in two.unplanned]


def test_a_replan_that_finds_no_plan_still_keeps_what_was_done(day60):
    """The fallback when OR-Tools finds no plan around done stops (it can, on a loaded machine
    with a short limit): each round keeps its done stops, at their times, and the checker agrees."""
    plan = solve(day60, SolveParams(**COUNTED))
    route = max(plan.routes, key=lambda r: len(r.visits))
    keeps_what_was_done(day60, route, 5)


def test_a_replan_after_the_break_that_finds_no_plan_still_keeps_what_was_done(day60):
    """The same when the done stops have the break between them: the fallback once timed the
    first done stop after the break against "now" (its own end), found no room for the break
    before it and lost every done stop of the round (the checker: "done stop missing")."""
    plan = solve(day60, SolveParams(**COUNTED))
    route = next(r for r in plan.routes if r.breaks and r.visits[-1].start > r.breaks[0].end)
    after = next(k for k, v in enumerate(route.visits) if v.start >= route.breaks[0].end)
    keeps_what_was_done(day60, route, after + 1)


def keeps_what_was_done(day: Problem, route, k: int) -> None:
    """The first ``k`` stops of ``route`` done: the fallback's rounds keep them, at their times,
    with the break where it was, and the checker agrees."""
    from routing.model import Done
    from routing.solver import done_rounds

    done = tuple(Done(v.order_id, v.action, route.assistant_id, v.start) for v in route.visits[:k])
    again = replace(day, done=done, now=route.visits[k - 1].end)
    rounds = done_rounds(again)
    assert rounds is not None
    kept = plan_of(again, rounds)
    assert check(again, kept) == []
    mine = next(r for r in rounds if r.assistant_id == route.assistant_id)
    assert [(v.order_id, v.action, v.start) for v in mine.visits[:k]] == \
        [(d.order_id, d.action, d.start) for d in done]
    if any(b.end <= route.visits[k - 1].start for b in route.breaks):
        assert mine.breaks and mine.breaks[0].end <= route.visits[k - 1].start


def plan_of(problem: Problem, rounds) -> Plan:
    there = {v.order_id for r in rounds for v in r.visits}
    return Plan(rounds, [Unplanned(o.id, "over_full", "not yet") for o in problem.orders if o.id not in there])


def test_a_hot_meal_picked_up_too_early_stays_on_the_bike_and_the_day_still_plans(day60):
    """A fact the rules cannot hold: a hot meal picked up at 09:05, hours before its window,
    so no delivery keeps its ride limit. OR-Tools finds the pinned pair infeasible; the plan
    still keeps the done pickup where it was, reports the meal unplanned (on the bike) and
    plans the rest, and the checker accepts it."""
    meal = next(o for o in day60.orders if o.ride_limit is not None and o.pickup is not None
                and o.windows and o.windows[0].start - 9 * 3600 > 2 * o.ride_limit)
    carrier = next(a for a in day60.assistants if a.shift.start <= 9 * 3600)
    early = 9 * 3600 + 5 * 60
    lived = replace(day60, done=(Done(meal.id, "pickup", carrier.id, early),), now=early + 60)
    plan = solve(lived, SolveParams(time_limit=60, work_limit=20_000, random_seed=1))
    assert check(lived, plan) == []
    pickup = [v for v in plan.route(carrier.id).visits if (v.order_id, v.action) == (meal.id, "pickup")]
    assert [v.start for v in pickup] == [early]
    assert meal.id in {u.order_id for u in plan.unplanned}
    assert len(plan.unplanned) < len(day60.orders) // 2


def test_a_plan_of_the_day_is_a_feasible_pyvrp_start_with_its_orders_required(day60):
    """The fixed-set rounds of the ladder start PyVRP from the best plan, with that plan's
    orders required: the plan goes over unchanged (the same stops in the same order for the
    same assistant), PyVRP finds it feasible (its timing agrees with ours), and exactly the
    plan's orders are required."""
    day = relaxed(day60)
    plan = solve(day, SolveParams(**COUNTED))
    assert plan.feasible
    ids = frozenset(v.order_id for r in plan.routes for v in r.visits)
    nodes = build(day, [o for o in day.orders if o.id in ids])
    d = seed.to_data(day, nodes, ids)
    assert all(c.required for c in d.data.clients()) and all(s.required for s in d.data.shipments())
    start = seed.warm(day, nodes, d, plan)
    assert start.is_feasible()
    node_of = {stop: n for n, stop in enumerate(nodes.stop) if stop is not None}
    assert seed.routes_of(day, d, start) == [
        [node_of[(v.order_id, v.action)] for v in plan.route(a.id).visits] for a in day.assistants]
    # and without ``keep`` nothing is required on this day of several priorities
    loose = seed.to_data(day, nodes)
    assert not any(c.required for c in loose.data.clients())


def test_a_plan_with_breaks_is_a_feasible_pyvrp_start(full_day):
    """On the full day the warm start carries each break as its reserved gap where the plan
    takes it: PyVRP finds the plan feasible and reads back the same rounds."""
    problem, plan = full_day
    ids = frozenset(v.order_id for r in plan.routes for v in r.visits)
    nodes = build(problem, [o for o in problem.orders if o.id in ids])
    d = seed.to_data(problem, nodes, ids)
    start = seed.warm(problem, nodes, d, plan)
    assert start.is_feasible()
    taken = sum(1 for r in plan.routes if r.visits and r.breaks)
    assert taken == len(problem.assistants)  # every working assistant's break went over
    assert sum(1 for r in start.routes() for a in r.schedule()
               if a.is_client() and d.client_node[a.idx] < 0) == taken
    node_of = {stop: n for n, stop in enumerate(nodes.stop) if stop is not None}
    assert seed.routes_of(problem, d, start) == [
        [node_of[(v.order_id, v.action)] for v in plan.route(a.id).visits] for a in problem.assistants]
