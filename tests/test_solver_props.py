"""Generated days (windows, pickups, hot meals, breaks, capacities, modes, locks, re-planning):
whatever the input, the plan the solver returns is accepted by the independent checker and
accounts for every order."""

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from routing.check import check
from routing.model import (Assistant, Break, Done, Lock, Order, Pickup, Problem, TimeWindow as W)
from routing.solver import SolveParams, solve

H = 3600


@st.composite
def days(draw):
    n_pts = draw(st.integers(3, 9))
    xy = np.array(draw(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=n_pts, max_size=n_pts)))
    d = np.abs(xy[:, None] - xy[None]).sum(axis=2).astype(float)
    dur = {"bike": np.ceil(d * 40).astype(np.int64), "walk": np.ceil(d * 120).astype(np.int64)}
    dist = {"bike": d * 100, "walk": d * 100}
    team = []
    for k in range(draw(st.integers(1, 3))):
        s = draw(st.integers(8, 11)) * H
        brk = None
        if draw(st.booleans()):
            b0 = s + draw(st.integers(1, 3)) * H
            brk = Break(W(b0, b0 + draw(st.sampled_from([0, 1800, 3600]))), draw(st.sampled_from([900, 1800])))
        team.append(Assistant(f"a{k}", mode=draw(st.sampled_from(["bike", "walk"])), start=draw(st.integers(0, n_pts - 1)),
                              shift=W(s, s + draw(st.integers(2, 6)) * H), capacity=draw(st.integers(0, 6)),
                              break_=brk, buurt=draw(st.sampled_from(["", "Oudwijk"]))))
    orders = []
    for i in range(draw(st.integers(0, 9))):
        kind = draw(st.sampled_from(["medicine", "meal", "parcel", "visit", "klusje"]))
        wins = ()
        if draw(st.booleans()):
            a = draw(st.integers(8 * 4, 16 * 4)) * 900
            wins = (W(a, a + draw(st.integers(1, 8)) * 900),)
            if draw(st.booleans()):
                wins += (W(a + 3 * H, a + 4 * H),)
        pickup = None
        if kind in ("medicine", "meal", "parcel") and draw(st.booleans()):
            pickup = Pickup(draw(st.integers(0, n_pts - 1)), "partner",
                            (W(draw(st.integers(8, 12)) * H, 18 * H),) if draw(st.booleans()) else ())
        orders.append(Order(f"o{i}", kind, draw(st.integers(0, n_pts - 1)), windows=wins, pickup=pickup,
                            size=0 if kind in ("visit", "klusje") else draw(st.integers(1, 4)),
                            praatje=draw(st.sampled_from([None, 120, 900])),
                            hot_meal=pickup is not None and kind == "meal" and draw(st.booleans()),
                            buurt=draw(st.sampled_from(["", "Abstede", "Oudwijk"]))))
    locks = ()
    if orders and draw(st.booleans()):
        locks = (Lock(orders[0].id, team[-1].id, draw(st.sampled_from([None, 0]))),)
    return Problem(tuple(orders), tuple(team), dur, dist, locks=locks)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days())
def test_generated_days_give_plans_the_checker_accepts(p):
    plan = solve(p, SolveParams(time_limit=0.3, seed="auto"))
    assert plan.violations == [] and check(p, plan) == []
    planned = {o for seq in plan.sequences().values() for o, _ in seq}
    assert planned | {u.order_id for u in plan.unplanned} == {o.id for o in p.orders}
    assert all(u.reason and u.code for u in plan.unplanned)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days(), st.integers(0, 3))
def test_replanning_generated_days_keeps_what_is_done(p, k):
    first = solve(p, SolveParams(time_limit=0.3, seed="none"))
    route = max(first.routes, key=lambda r: len(r.visits))
    done = tuple(Done(v.order_id, v.action, route.assistant_id, v.start) for v in route.visits[:k])
    # a pickup done means its delivery must follow on the same round: keep pairs whole
    now = route.visits[k - 1].end if k and len(route.visits) >= k else None
    p2 = Problem(p.orders, p.assistants, p.durations, p.distances, done=done, now=now)
    plan = solve(p2, SolveParams(time_limit=0.3, seed="none"))
    assert plan.violations == [] and check(p2, plan) == []
    assert [(v.order_id, v.start) for v in plan.route(route.assistant_id).visits[:len(done)]] == \
        [(d.order_id, d.start) for d in done]
