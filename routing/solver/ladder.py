"""The search of a fresh day as one fixed sequence of counted steps: more time never plans worse.

A run ended by the clock used to split its time in shares (PyVRP, then OR-Tools from its plan),
so a longer run took other steps and could end worse. Here nothing depends on the time limit
except where the run stops:

1. on a crowded plain day, OR-Tools' own plan with ``SCRATCH_WORK`` steps (measured to keep
   more important orders there, :func:`.seed.crowded`); then *fixed-set rounds*: PyVRP on
   only the orders the best plan holds, all required (but see the rivals below), from that plan
   (``FIXED_ITERATIONS`` each, checkpoints as in 2.). OR-Tools' plan keeps the right orders but
   rides far (342 min on the relaxed 100-order day where PyVRP on the same orders finds 275);
   with the set fixed PyVRP only shortens the rounds, and completion puts further orders into
   the time that frees. The next round starts from the plan that gave; a round that gives
   nothing better is run again from the same plan twice as long (``LONGEST_ROUND``: 300
   iterations stop short of what a set allows; from a 3 s plan of the relaxed 150-order day,
   300 iterations on its orders found 266.9 min, 1000 found 250.3), and the longest that gives
   nothing ends them. The left-out orders of the most important priority that has any left
   out join the rounds, every order with its prize (:func:`search`'s ``fixed_rounds``): with
   the plan's orders all required the rounds had kept whichever orders OR-Tools' first plan
   took. Measured with counted work against the rounds without them, for the medicines (the
   150-order days leave a dozen out): relaxed 150-order day at the work of a 3 s run (434 000,
   16 seeds) penalty of left-out orders 1367 → 1228 (1.4 more medicines a day), travel 261.6
   → 266.1 min (the added medicines ride too); at 1.1 M (8 seeds) 1293 → 1129 and 254.2 →
   254.3 min; full 150-order day 2138 → 2037 and 296.5 → 287.6 min at 434 000, 1880 → 1779 and
   271.4 → 259.4 min at 1.5 M. For the meals and house calls (the 100-order days plan every
   medicine): relaxed day 75.9 → 66.3 and 278.6 → 281.5 min at 434 000 (32 seeds), 66.1 → 51.8
   and 271.5 → 274.3 at 1.5 M (16); full day 148.8 → 140.0 and 291.6 → 288.9 at 434 000 (16),
   134.1 → 124.2 and 267.6 → 283.0 at 1.5 M (12: one more meal or house call costs travel). A
   completed plan that took in orders is *settled* first:
   insertion puts each order at its cheapest place in rounds PyVRP shaped without it (relaxed
   100-order day, seed 1: a round's 251 min became 298 with five orders put in), so one
   exhaustive pass of PyVRP's local search on the plan's own orders, all required
   (:func:`.seed.tighten`), reshapes its rounds, and completion runs again in what that frees;
   kept if it ranks better. Measured at the work 3 s reach on one core (450 000 and 330 000),
   32 solver seeds, against no settling: relaxed 100-order day better by the solver's key in
   24 runs and worse in 8, penalty of left-out orders (priority 1 = 100, 2 = 10, 3 = 1) 80.0 →
   73.1 on average, travel level (279 → 280 min); relaxed 150-order day 15 better and 12 worse,
   1420 → 1405, 269 → 268 min; the full 100- and 150-order days (8 seeds each) never worse,
   5 of 16 better (penalty 152 → 149 and 2151 → 2138). Each settling costs a local search and
   a completion (the relaxed 100-order day's 3 s run about 5 % longer); repeated while it
   gave, it cost more for no clear gain;
2. PyVRP's iterated local search on one trajectory (:func:`.seed.trajectory`), which hands its
   best plan every few hundred iterations to a *checkpoint*: the plan made to hold every rule
   (:mod:`.repair`), completed by insertion and exchange, and kept if it is the best so far.
   On a day that should fit whole (not crowded) PyVRP is told to plan every order, not paid
   prizes: with prizes it left a parcel out that no insertion could put back (P055 on the full
   60-order day at 3 s: no place in any round held, nor with one other order moved), because
   leaving it out cost less than the time-warp penalty of making room. The same on a day PyVRP
   models exactly: given the 77 orders VROOM planned on the relaxed 150-order day (so they
   fit), with prizes 4 of 8 seeds left one or two out at the work of a 3 s run (1 M), told to
   plan every order 8 of 8 planned them all, in 235 min of travel on average against VROOM's
   260; on the relaxed 60-order day the mean stayed 197 min at 1 M (worst seed 219 → 201) and
   went 191 → 194 at 3.4 M. If no feasible plan comes within ``GIVE_UP`` checkpoint intervals
   the day does not fit after all, and the trajectory starts again with prizes;
3. every ``POLISH_EVERY`` checkpoints (every checkpoint, with more steps, where PyVRP's plan was
   repaired), OR-Tools' guided local search continues the best plan for ``POLISH_WORK`` steps:
   OR-Tools' own neighbourhoods (pair relocation and exchange) and the balance and preference
   costs PyVRP does not see (never twice from the same plan: the search would repeat itself);
   on a crowded day that needs repair (breaks, hot meals), the fixed-set rounds run once, at
   checkpoint ``REPAIRED_ROUNDS_AFTER``: there OR-Tools' own plan is the worse start (full
   150-order day: penalty 2807 against 2206 from PyVRP) and rounds after the first checkpoint
   cost the 100-order day orders; after the third, measured with counted work, no day got
   worse and the full 150-order day better (penalty 2007 → 1906 at 1.5 M work);
4. when ``seed_iterations`` ends PyVRP before the work limit, OR-Tools polishes on until the
   work is spent or a polish finds nothing better.

A work limit counts both searches on one scale (an OR-Tools step 1, a PyVRP iteration
``ITERATION_WORK`` per node, about the same time), so it stops the same sequence where the
clock would. Plans are ranked by one recomputed key (:func:`.score.key`). A step cut short, by
the clock or by the work count, is thrown away (unless nothing was found yet): a run with more
work passes every checkpoint and polish a run with less work finished, so its plan is never
worse; with more time the same holds as long as the machine is not (long / short) times slower
during it. With a work limit the whole run is reproducible: the clock is then not consulted
at all (``deadline`` None), not even by OR-Tools (:meth:`.engine.Model.run`), and a run that
takes too long is stopped by its caller's hard limit and fails, never ends with another plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model import Plan, Problem
from . import engine, repair, score, seed
from .nodes import Nodes, build

SCRATCH_WORK = 30_000
"""Search steps of OR-Tools' own plan on a crowded day (about 0.3 s on the 150-order day: its
first plan and a little guided search). Since left-out orders join the fixed-set rounds, the
rounds choose which orders ride, and OR-Tools' longer search bought little: at the work of a 3 s
run, 64 seeds of the relaxed 150-order day, 60 000 → 30 000 steps gave penalty 1207 → 1197 and
travel 263.2 → 259.3 min (15 000 the same plans as 30 000). On the relaxed 100-order day, whose
rivals were then only medicines (none left out), 30 000 cost orders (1.5 M work, 16 seeds:
60.2 → 66.1); with the meals as rivals it plans more than either (51.8)."""
CHECKPOINT_WORK = 20_000
"""PyVRP iterations between checkpoints times the day's stops: about 0.3 s on any day (170
iterations on the 60-order day, 70 on the 150-order day)."""
POLISH_EVERY = 3
"""Checkpoints with a new plan between two OR-Tools polishes where PyVRP's model is exact; where
its plan is repaired (breaks, hot meals) after every checkpoint, with ``REPAIRED_POLISH`` times
the work: there OR-Tools sees the balance and the rules PyVRP approximates."""
POLISH_WORK = 20_000
"""OR-Tools search steps per polish (about 0.2 s on the 60-order day)."""
REPAIRED_POLISH = 3
CHECKPOINT_MIN = 25
"""Fewest PyVRP iterations between checkpoints (each completes a plan by insertion)."""
ITERATION_WORK = 3
"""Work of one PyVRP iteration per node of the day, in OR-Tools steps: measured about 350 on
the full 60-order day (118 nodes) and 1000 on the full 150-order day (300 nodes)."""
FIXED_ITERATIONS = 300
"""PyVRP iterations of one fixed-set round (step 2): measured on the relaxed 100- and 150-order
days against 150 and 600; 300 was best or level at 3 s and 10 s."""
LONGEST_ROUND = 8
"""A fixed-set round that gave nothing is run again from the same plan twice as long (with the
next seed), up to this many times ``FIXED_ITERATIONS``. Measured at the work of a 10 s run, 8
seeds each, penalty of left-out orders and travel means: relaxed 150-order day (1.1 M) 1317 →
1293 and 256.5 → 254.1 min, relaxed 100 (1.5 M) 63.1 → 59.4 and 268.6 → 266.6 (no seed worse by
the solver's key); full 100 (1.5 M) 141.3 → 132.9 and 280.2 → 267.0 (better in 6 seeds, none
worse), full 150 (1.5 M) 1916 → 1880 and 284.3 → 271.4 (better in 4, worse in 2: 1897 → 2006,
2006 → 2007). The same plans at the web planner's 300 000 on every day, and up to 700 000 on
the relaxed 100-order day (the rounds had not stalled yet)."""
REPAIRED_ROUNDS_AFTER = 3
"""Checkpoint after which a crowded day that needs repair runs its fixed-set rounds."""
REPAIRED_CHECKPOINT = 4
"""Where PyVRP's plan is repaired its first checkpoint comes this many times sooner: its
iterations are slower there (three profiles, breaks), and OR-Tools' polish is worth more."""
GIVE_UP = 5
"""Checkpoint intervals without any feasible plan after which PyVRP, told to plan every order of
a day that should fit whole, gives up and goes on with prizes (the day did not fit after all)."""
WHOLE_SAME_PLACE = 10
"""Neighbours at a stop's own place in that search (:func:`.seed.neighbours`). Measured on the
full 60-order day at equal counted work (six seeds): every order planned in 6 of 6 runs and
288 min of travel, against 5 of 6 and 298 min with PyVRP's own neighbourhood, and 3 of 6 and
295 min with prizes as before; with prizes the cap did not help (4 of 6, 307 min), nor on the
crowded relaxed 150-order day."""


@dataclass
class Ladder:
    """The best plan found so far and how it came about."""

    problem: Problem
    fair: list[int] | None
    best: Plan | None = None
    label: str = ""
    inserted: int = 0  # orders the completion of the best plan put in after its search
    seconds: float = 0.0  # spent in OR-Tools
    counts: dict[str, int] = field(default_factory=lambda: {
        "checkpoints": 0, "polishes": 0, "fixed_rounds": 0, "fixed_checkpoints": 0,
        "settled": 0, "longer_rounds": 0, "rival_rounds": 0, "swapped_out": 0})
    first: tuple[int, int, int] | None = None  # the key of the first plan found: where it began

    def offer(self, completed: tuple[Plan, int], label: str) -> bool:
        """Keep a completed plan if it ranks before the best so far; True if it did."""
        plan, inserted = completed
        key = score.key(self.problem, plan, self.fair)
        self.first = key if self.first is None else self.first
        if self.best is None or key < score.key(self.problem, self.best, self.fair):
            self.best, self.label, self.inserted = plan, label, inserted
            return True
        return False


def search(problem: Problem, nodes: Nodes, *, deadline: float | None, random_seed: int,
           work: int | None, iterations: int | None, crowded: bool,
           complete: Callable[[Plan], tuple[Plan, int]], to_plan: Callable[[engine.Raw], Plan],
           first_solution: str = "AUTO", metaheuristic: str = "GUIDED_LOCAL_SEARCH",
           fair: list[int] | None = None) -> tuple[Ladder, dict[str, Any]]:
    """The ladder above until ``deadline`` (monotonic; None: no clock at all, for a run with a
    ``work`` limit) or ``work`` (None: only the clock): one count for both searches, an OR-Tools step 1 and a PyVRP iteration ``ITERATION_WORK`` per
    node of the day (about the same time). ``iterations`` caps PyVRP alone; what is left of the
    work then goes to OR-Tools. ``complete`` accounts a plan and inserts what still fits (and
    says how many); ``to_plan`` times OR-Tools' routes."""
    ladder = Ladder(problem, fair)
    spent = [0, 0, 0]  # OR-Tools steps, PyVRP iterations, work of the fixed-set rounds
    per_iteration = ITERATION_WORK * nodes.size
    node_of = {stop: n for n, stop in enumerate(nodes.stop) if stop is not None}

    def left() -> int | None:
        return None if work is None else work - spent[0] - spent[1] * per_iteration - spent[2]

    def late() -> bool:
        return deadline is not None and time.monotonic() >= deadline

    def ortools(steps: int, start: list[list[int]] | None) -> engine.Raw | None:
        """OR-Tools for ``steps`` (its own plan, or continuing ``start``); None if the clock cut
        it short or not that much work is left."""
        rest = left()
        if (rest is not None and rest < steps) or late():
            return None  # a step cut short is not one a run with more work takes
        t = time.monotonic()
        model = engine.Model(problem, nodes)
        seconds = None if deadline is None else max(0.01, deadline - time.monotonic())
        raw = model.run(seconds, first_solution, metaheuristic, None, start, False, steps)
        spent[0] += steps
        ladder.seconds += time.monotonic() - t
        return raw if raw.found and model.stopped_by != "time" else None

    exact = seed.supports(problem, nodes)
    every_polish, polish_work = (POLISH_EVERY, POLISH_WORK) if exact else (1, REPAIRED_POLISH * POLISH_WORK)

    polished: list[Plan | None] = [None]  # the plan the last polish started from

    def held_by(plan: Plan) -> frozenset[str]:
        """The ids of the orders ``plan`` holds (a pickup alone counts: its goods ride)."""
        return frozenset(v.order_id for r in plan.routes for v in r.visits)

    def settled(completed: tuple[Plan, int]) -> tuple[Plan, int]:
        """A completed plan that took in orders, its rounds reshaped by one exhaustive pass of
        PyVRP's local search on its own orders (all required) and completed again, if that
        ranks better (step 1 of the module's docstring)."""
        plan, inserted = completed
        if not inserted:
            return completed
        ids = held_by(plan)
        sub = build(problem, [o for o in nodes.orders if o.id in ids])
        routes = seed.tighten(problem, sub, plan, random_seed)
        if routes is None:
            return completed
        _kept, timed = repair.repair(problem, sub, routes)
        again, more = complete(Plan(timed, [], 0))
        if score.key(problem, again, fair) >= score.key(problem, plan, fair):
            return completed
        ladder.counts["settled"] += 1
        return again, inserted + more

    def polish() -> bool:
        """OR-Tools continues the best plan; True if that gave a better one. Not the same plan
        twice: the guided local search would take the very same steps again."""
        if ladder.best is None or ladder.best is polished[0]:
            return False
        polished[0] = ladder.best
        start = [[node_of[(v.order_id, v.action)] for v in r.visits] for r in ladder.best.routes]
        raw = ortools(polish_work, start)
        ladder.counts["polishes"] += raw is not None
        label = ladder.label if ladder.label.endswith("continued") else ladder.label + ", continued"
        return raw is not None and ladder.offer(complete(to_plan(raw)), label)

    def fixed_rounds() -> None:
        """Rounds of PyVRP on only the orders the best plan holds, all of them required, from that
        plan: travel goes down and completion puts further orders in the freed time; the next
        round starts from the plan that gave. The left-out orders of the most important priority
        that has any left out (the *rivals*) join the round, and every order keeps its prize
        instead: a rival may then take the place of a planned order of its priority that costs
        more travel (or of a less important one), which neither required orders nor completion
        ever do (``swapped_out`` counts the planned ones of the rivals' priority a round's
        better plan no longer holds). Each round is a counted number of iterations
        (``FIXED_ITERATIONS``: the same in any run). A round that gave nothing is run again from
        the same plan, twice as long, with the next seed; the rounds end at the first of
        ``LONGEST_ROUND`` times that length that gives nothing."""
        length, again = FIXED_ITERATIONS, 0
        while ladder.best is not None and not late():
            start = ladder.best
            held = held_by(start)
            rank = min((o.rank for o in nodes.orders if o.id not in held), default=0)
            rivals = frozenset(o.id for o in nodes.orders if o.id not in held and o.rank == rank)
            sub = build(problem, [o for o in nodes.orders if o.id in held or o.id in rivals])
            equals = frozenset(o.id for o in sub.orders if o.id in held and o.rank == rank)
            per, base, whole = ITERATION_WORK * sub.size, spent[2], [False]
            rest = left()
            if rest is not None and rest < per:
                return  # the work is spent: a round now would not take a step
            handed: list[list[list[int]]] = []  # the routes of the round's last checkpoint

            def more(done: int, per: int = per, base: int = base, whole: list[bool] = whole,
                     length: int = length) -> bool:
                spent[2] = base + done * per
                rest = left()
                whole[0] = done >= length
                return not whole[0] and (rest is None or rest >= per)

            def checkpoint(routes: list[list[int]], sub: Nodes = sub,
                           handed: list[list[list[int]]] = handed) -> None:
                if handed and handed[-1] == routes:
                    return  # the round's end kept the plan its last checkpoint completed
                handed.append(routes)
                _kept, timed = repair.repair(problem, sub, routes)
                ladder.counts["fixed_checkpoints"] += 1
                ladder.offer(settled(complete(Plan(timed, [], 0))), "fixed set")

            every = max(CHECKPOINT_MIN, CHECKPOINT_WORK // sub.size)
            # with rivals every order keeps its prize; else the plan's own orders are all required
            last, _counted, _stats = seed.trajectory(problem, sub, deadline, random_seed + again, more,
                                                     every, checkpoint, start, frozenset() if rivals else held,
                                                     optional=bool(rivals))
            ladder.counts["rival_rounds"] += bool(rivals)
            if whole[0] and last is not None:  # the round's end: a point every longer run passes
                checkpoint(last)
            ladder.counts["fixed_rounds"] += 1
            if ladder.best is not start:
                ladder.counts["swapped_out"] += len(equals - held_by(ladder.best))
                length = FIXED_ITERATIONS
            elif length < LONGEST_ROUND * FIXED_ITERATIONS:
                length, again = 2 * length, again + 1
                ladder.counts["longer_rounds"] += 1
            else:
                return

    if crowded and exact:
        raw = ortools(SCRATCH_WORK, None)
        if raw is not None:
            ladder.offer(settled(complete(to_plan(raw))), "search")
        fixed_rounds()

    def checkpoint(routes: list[list[int]]) -> None:
        _kept, timed = repair.repair(problem, nodes, routes)
        ladder.counts["checkpoints"] += 1
        ladder.offer(complete(Plan(timed, [], 0)), "pyvrp")
        if ladder.counts["checkpoints"] % every_polish == 0 and not late():
            polish()
        if crowded and not exact and ladder.counts["checkpoints"] == REPAIRED_ROUNDS_AFTER:
            fixed_rounds()

    before = [0]  # PyVRP iterations of a trajectory that gave up

    def more(done: int) -> bool:
        """May PyVRP do iteration ``done + 1`` (of this trajectory)?"""
        spent[1] = before[0] + done
        rest = left()
        return (iterations is None or spent[1] < iterations) and (rest is None or rest >= per_iteration)

    every = max(CHECKPOINT_MIN, CHECKPOINT_WORK // nodes.size // (1 if exact else REPAIRED_CHECKPOINT))
    whole = frozenset(o.id for o in nodes.orders) if not crowded else frozenset()
    last, counted, stats = seed.trajectory(problem, nodes, deadline, random_seed, more, every, checkpoint,
                                           None, whole, GIVE_UP * every if whole else None,
                                           WHOLE_SAME_PLACE if whole else None)
    gave_up = stats["gave_up"]
    if gave_up and not late():  # the day does not fit whole after all: prizes decide what goes
        before[0] = spent[1]
        last, counted, stats = seed.trajectory(problem, nodes, deadline, random_seed, more, every, checkpoint)
    stats.update(required_all=bool(whole), gave_up=gave_up)
    if ladder.best is None and last is not None:  # cut short before any checkpoint: use it
        checkpoint(last)
    while counted and not late() and (left() or 0) >= polish_work:
        if not polish():
            break
    stats.update(ladder.counts, first_key=list(ladder.first or ()), ortools_steps=spent[0], ortools_seconds=round(ladder.seconds, 3),
                 work=spent[0] + spent[1] * per_iteration + spent[2], stopped_by="work" if counted else "time")
    return ladder, stats
