"""What a finished plan costs, in the OR-Tools model's own units, and how it ranks.

Plans now come from more than one search (PyVRP repaired under the day's rules, OR-Tools
continuing from it, insertion afterwards). To keep the better one the solver needs one yardstick
that does not trust any search's own figure: this recomputes the objective from the plan and the
problem (left-out orders by priority, arc costs, "trusted face" preferences, waiting, workload
balance, used assistants), the same terms :mod:`.engine` gives OR-Tools.
"""

from __future__ import annotations

from ..model import Plan, Problem
from .engine import penalty
from .nodes import COST_SCALE


def dropped(problem: Problem, plan: Plan) -> int:
    """Penalty of the left-out orders (a pair counts twice, as in the OR-Tools disjunctions)."""
    out = 0
    for u in plan.unplanned:
        o = problem.order(u.order_id)
        out += penalty(problem, o.rank) * (2 if o.pickup is not None else 1)
    return out


def weighted_unplanned(problem: Problem, plan: Plan) -> int:
    """Left-out orders weighted ten times per priority step, in parcels (priority 3 = 1,
    priority 2 = 10, priority 1 = 100): the figure a coordinator compares plans by."""
    return sum(10 ** max(0, 3 - problem.order(u.order_id).rank) for u in plan.unplanned)


def cost(problem: Problem, plan: Plan, fair: list[int] | None = None) -> int:
    """The objective of ``plan`` as OR-Tools would count it (integer cost units)."""
    w = problem.weights
    regular_of = {r: a.id for a in problem.assistants for r in a.regulars}
    total = dropped(problem, plan)
    for v, a in enumerate(problem.assistants):
        r = plan.route(a.id)
        if not r.visits:
            continue
        dur, dist = problem.durations[a.mode], problem.distances[a.mode]
        here = a.start
        for x in r.visits:
            total += round(COST_SCALE * (w.travel_second * int(dur[here, x.location])
                                         + w.metre * float(dist[here, x.location])))
            here = x.location
            if x.action != "delivery":
                continue
            o = problem.order(x.order_id)
            if o.resident and regular_of.get(o.resident, a.id) != a.id:
                total += COST_SCALE * w.not_regular
            if o.buurt and a.buurt and o.buurt != a.buurt:
                total += COST_SCALE * w.other_buurt
        total += round(COST_SCALE * (w.travel_second * int(dur[here, a.end_location])
                                     + w.metre * float(dist[here, a.end_location])))
        span = r.finish - r.departure
        total += int(COST_SCALE * w.wait_second) * span
        if fair is not None:
            total += int(w.balance) * max(0, span - fair[v]) ** 2
        total += COST_SCALE * w.vehicle
    return total


def key(problem: Problem, plan: Plan, fair: list[int] | None = None) -> tuple[int, int, int]:
    """How plans rank: fewest rules broken, then least penalty for left-out orders, then cost."""
    return (len(plan.violations), dropped(problem, plan), cost(problem, plan, fair))
