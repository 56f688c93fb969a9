"""The search of a fresh day as one fixed sequence of counted steps: more time never plans worse.

A run ended by the clock used to split its time in shares (PyVRP, then OR-Tools from its plan),
so a longer run took other steps and could end worse (measured: 10 s above 3 s on the same
seed). Here nothing depends on the time limit except where the run stops:

1. on a crowded plain day, OR-Tools' own plan with ``SCRATCH_WORK`` steps (measured to keep
   more important orders there, :func:`.seed.crowded`);
2. PyVRP's iterated local search on one trajectory (:func:`.seed.trajectory`) for
   ``PYVRP_WORK`` (``REPAIRED_PYVRP_WORK`` where its plan is repaired or the day is crowded),
   handing its best plan every few hundred iterations to a *checkpoint*: the plan made to hold
   every rule (:mod:`.repair`), completed by insertion and exchange, kept if it is the best;
3. then OR-Tools' guided local search continues the best plan in one run, as long as the run
   lasts: its own neighbourhoods (pair relocation and exchange) and the balance and preference
   costs PyVRP does not see. Its best plan is committed the same way every ``GLS_CHECKPOINT``
   steps (:meth:`.engine.Model.watch`).

A work limit counts both searches on one scale (an OR-Tools step 1, a PyVRP iteration
``ITERATION_WORK`` per node, about the same time), so it stops the same sequence where the
clock would. Plans are ranked by one recomputed key (:func:`.score.key`). What was found after
the last checkpoint when the clock or the work count stops the run is thrown away (unless
nothing was found yet): a run with more work passes every checkpoint a run with less work
passed, so its plan is never worse; with more time the same holds as long as the machine is
not (long / short) times slower during it. With a work limit the whole run is reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..model import Plan, Problem
from . import engine, repair, score, seed
from .nodes import Nodes

SCRATCH_WORK = 60_000
"""Search steps of OR-Tools' own plan on a crowded plain day (about 1 s on the 150-order day)."""
ITERATION_WORK = 3
"""Work of one PyVRP iteration per node of the day, in OR-Tools steps: measured about 350 on
the full 60-order day (118 nodes) and 1000 on the full 150-order day (300 nodes)."""
PYVRP_WORK = 2_000_000
"""PyVRP's part where its model is exact and everything may fit: most of a 10 s run (about
5600 iterations on the relaxed 60-order day), since there it finds the shortest rounds."""
REPAIRED_PYVRP_WORK = 100_000
"""PyVRP's part where its plan must be repaired (breaks, hot meals) or the day is crowded: about
a second (280 iterations on the full 60-order day, 110 on the 150-order day); OR-Tools' guided
local search, which sees the whole model, gets the rest."""
CHECKPOINT_WORK = 20_000
"""PyVRP iterations between checkpoints times the day's nodes: about 0.3 s on any day (170
iterations on the 60-order day, 70 on the 150-order day), at least ``CHECKPOINT_MIN``."""
CHECKPOINT_MIN = 25
GLS_CHECKPOINT = 10_000
"""OR-Tools steps between two commits of its best plan (about 0.1 s)."""


@dataclass
class Ladder:
    """The best plan found so far and how it came about."""

    problem: Problem
    fair: list[int] | None
    best: Plan | None = None
    label: str = ""
    inserted: int = 0  # orders the completion of the best plan put in after its search
    first: tuple[int, int, int] | None = None  # the key of the first plan found: where it began
    counts: dict[str, int] = field(default_factory=lambda: {"checkpoints": 0, "commits": 0})

    def offer(self, completed: tuple[Plan, int], label: str) -> bool:
        """Keep a completed plan if it ranks before the best so far; True if it did."""
        plan, inserted = completed
        key = score.key(self.problem, plan, self.fair)
        self.first = key if self.first is None else self.first
        if self.best is None or key < score.key(self.problem, self.best, self.fair):
            self.best, self.label, self.inserted = plan, label, inserted
            return True
        return False


def search(problem: Problem, nodes: Nodes, *, deadline: float, random_seed: int,
           work: int | None, iterations: int | None, crowded: bool,
           complete: Callable[[Plan, bool], tuple[Plan, int]], to_plan: Callable[[engine.Raw], Plan],
           first_solution: str = "AUTO", metaheuristic: str = "GUIDED_LOCAL_SEARCH",
           fair: list[int] | None = None) -> tuple[Ladder, dict[str, Any]]:
    """The ladder above until ``deadline`` (monotonic) or ``work`` (None: only the clock).
    ``iterations`` caps PyVRP's iterations too. ``complete`` accounts a plan and inserts what
    still fits (and says how many), with swaps for less important orders if asked: not at
    PyVRP's checkpoints where OR-Tools continues (a repaired plan may leave many orders out,
    and trying each in the place of others took a second per checkpoint on the full 60-order
    day); OR-Tools' first commit is that plan, completed with them. ``to_plan`` times
    OR-Tools' routes."""
    ladder = Ladder(problem, fair)
    spent = [0, 0]  # OR-Tools steps, PyVRP iterations
    per_iteration = ITERATION_WORK * nodes.size
    exact = seed.supports(problem, nodes)
    often = not exact or crowded  # a first plan soon: OR-Tools takes over after a second
    pyvrp_work = REPAIRED_PYVRP_WORK if often else PYVRP_WORK
    t_ortools = [0.0]

    def left() -> int | None:
        return None if work is None else work - spent[0] - spent[1] * per_iteration

    def ortools(steps: int | None, start: list[list[int]] | None, label: str,
                every: int = 0) -> engine.Raw | None:
        """OR-Tools for ``steps`` (None: as long as the run lasts), its own plan or continuing
        ``start``, committing its best plan every ``every`` steps; its final plan, or None if
        the clock cut it short (or not that much work is left)."""
        rest = left()
        if steps is not None and rest is not None and rest < steps:
            return None  # a step cut short is not one a run with more work takes
        if time.monotonic() >= deadline or (rest is not None and rest <= 0):
            return None
        t = time.monotonic()
        model = engine.Model(problem, nodes)
        if every:
            def commit(raw: engine.Raw) -> None:
                ladder.counts["commits"] += 1
                ladder.offer(complete(to_plan(raw), True), label)
            model.watch(every, commit)
        limit = steps if steps is not None else rest
        raw = model.run(max(0.01, deadline - time.monotonic()), first_solution, metaheuristic,
                        None, start, False, limit)
        spent[0] += model.work if limit is None else min(model.work, limit)
        t_ortools[0] += time.monotonic() - t
        return raw if raw.found and model.stopped_by != "time" else None

    if crowded:
        raw = ortools(SCRATCH_WORK, None, "search")
        if raw is not None:
            ladder.offer(complete(to_plan(raw), True), "search")

    def checkpoint(routes: list[list[int]]) -> None:
        _kept, timed = repair.repair(problem, nodes, routes)
        ladder.counts["checkpoints"] += 1
        ladder.offer(complete(Plan(timed, [], 0), not often), "pyvrp")

    def more(done: int) -> bool:
        """May PyVRP do iteration ``done + 1``?"""
        spent[1] = done
        rest = left()
        return (done * per_iteration < pyvrp_work and (iterations is None or done < iterations)
                and (rest is None or rest >= per_iteration))

    every = max(CHECKPOINT_MIN, CHECKPOINT_WORK // nodes.size // (4 if often else 1))
    last, counted, stats = seed.trajectory(problem, nodes, deadline, random_seed, more, every, checkpoint)
    if ladder.best is None and last is not None:  # cut short before any checkpoint: use it
        checkpoint(last)
    if ladder.best is not None:
        node_of = {stop: n for n, stop in enumerate(nodes.stop) if stop is not None}
        start = [[node_of[(v.order_id, v.action)] for v in r.visits] for r in ladder.best.routes]
        label = ladder.label + ", continued"
        ortools(None, start, label, GLS_CHECKPOINT)
    stats.update(ladder.counts, first_key=list(ladder.first or ()), ortools_steps=spent[0],
                 ortools_seconds=round(t_ortools[0], 3),
                 stopped_by="time" if time.monotonic() >= deadline else "work")
    return ladder, stats
