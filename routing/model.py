"""The day as data: orders, assistants, the problem the solver gets, and the plan it returns.

Everything here is plain, typed and JSON-serialisable (``to_dict`` / ``from_dict``), so the web
layer can store it and the solver and the checker can share it without sharing any logic.

Units: times are integer **seconds since midnight**, durations integer seconds, distances metres.
Places are **indices into the travel matrices** of the problem (one matrix per travel mode), plus
a display ``label``/``address`` string. Benchmark instances use the same model with their own
units (see :mod:`routing.instances`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

import numpy as np

KINDS: tuple[str, ...] = ("medicine", "meal", "parcel", "visit", "klusje")
MODES: tuple[str, ...] = ("walk", "bike", "cargo_bike")

DEFAULT_PRAATJE: dict[str, int] = {
    "medicine": 5 * 60, "meal": 5 * 60, "parcel": 3 * 60, "visit": 15 * 60, "klusje": 10 * 60,
}
"""Seconds of chat at the door per kind; a resident may need longer (``Order.praatje``)."""

DEFAULT_PRIORITY: dict[str, int] = {"medicine": 1, "meal": 2, "visit": 2, "parcel": 3, "klusje": 3}
"""1 is most important: on an over-full day medicine is planned before meals before parcels."""

HOT_MEAL_MAX_RIDE = 30 * 60
"""Seconds from leaving the kitchen to the door when a hot meal gives no ``max_ride`` itself."""


class ModelError(ValueError):
    """Bad input: the message names the field and says why."""


def hhmm(t: int) -> str:
    """Seconds since midnight as ``HH:MM`` (for messages a coordinator reads)."""
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


@dataclass(frozen=True)
class TimeWindow:
    """Service may *start* at any second in ``[start, end]``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (isinstance(self.start, (int, np.integer)) and isinstance(self.end, (int, np.integer))):
            raise ModelError(f"time window {self.start!r}–{self.end!r}: times must be integer seconds")
        if self.end < self.start:
            raise ModelError(f"time window {hhmm(self.start)}–{hhmm(self.end)}: end before start")

    def __str__(self) -> str:
        return f"{hhmm(self.start)}–{hhmm(self.end)}"

    def to_dict(self) -> list[int]:
        return [int(self.start), int(self.end)]

    @classmethod
    def from_dict(cls, d: Any) -> "TimeWindow":
        if isinstance(d, Mapping):
            return cls(int(d["start"]), int(d["end"]))
        start, end = d
        return cls(int(start), int(end))


def _windows(value: Any, what: str) -> tuple[TimeWindow, ...]:
    wins = tuple(w if isinstance(w, TimeWindow) else TimeWindow.from_dict(w) for w in value or ())
    ordered = sorted(wins, key=lambda w: w.start)
    for a, b in pairwise(ordered):
        if b.start <= a.end:
            raise ModelError(f"{what}: time windows {a} and {b} overlap")
    return tuple(ordered)


@dataclass(frozen=True)
class Pickup:
    """Where the goods of an order are collected first (pharmacy, meal kitchen, parcel point).

    ``windows`` are the partner's opening hours or the time the order is ready.
    """

    location: int
    label: str = ""
    windows: tuple[TimeWindow, ...] = ()
    handling: int = 60

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", _windows(self.windows, f"pickup {self.label!r}"))
        if self.handling < 0:
            raise ModelError(f"pickup {self.label!r}: handling must be >= 0 seconds")

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "label": self.label,
                "windows": [w.to_dict() for w in self.windows], "handling": self.handling}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Pickup":
        return cls(int(d["location"]), d.get("label", ""), _windows(d.get("windows"), "pickup"),
                   int(d.get("handling", 60)))


@dataclass(frozen=True)
class Order:
    """One thing to do at a resident's door, optionally after collecting it somewhere.

    Without a ``pickup`` the goods (if ``size`` > 0) leave with the assistant from the start
    location. ``praatje`` and ``priority`` default by kind. ``resident`` (an opaque id, never a
    name) links the order to an assistant's regular residents.
    """

    id: str
    kind: str
    location: int
    address: str = ""
    windows: tuple[TimeWindow, ...] = ()
    pickup: Pickup | None = None
    praatje: int | None = None
    handling: int = 60
    size: int = 1
    priority: int | None = None
    hot_meal: bool = False
    max_ride: int | None = None
    in_person: bool = False
    resident: str = ""
    buurt: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise ModelError("order: id is empty")
        if self.kind not in KINDS:
            raise ModelError(f"order {self.id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        object.__setattr__(self, "windows", _windows(self.windows, f"order {self.id}"))
        for name in ("handling", "size"):
            if getattr(self, name) < 0:
                raise ModelError(f"order {self.id}: {name} must be >= 0")
        if self.praatje is not None and self.praatje < 0:
            raise ModelError(f"order {self.id}: praatje must be >= 0 seconds")
        if self.priority is not None and not 1 <= self.priority <= 9:
            raise ModelError(f"order {self.id}: priority must be 1 (highest) .. 9")
        if (self.hot_meal or self.max_ride is not None) and self.pickup is None:
            raise ModelError(f"order {self.id}: a maximum ride time needs a pickup place")
        if self.max_ride is not None and self.max_ride <= 0:
            raise ModelError(f"order {self.id}: max_ride must be > 0 seconds")

    @property
    def service(self) -> int:
        """Seconds at the door: the praatje plus handling."""
        return (DEFAULT_PRAATJE[self.kind] if self.praatje is None else self.praatje) + self.handling

    @property
    def praatje_seconds(self) -> int:
        return DEFAULT_PRAATJE[self.kind] if self.praatje is None else self.praatje

    @property
    def rank(self) -> int:
        return DEFAULT_PRIORITY[self.kind] if self.priority is None else self.priority

    @property
    def ride_limit(self) -> int | None:
        """Max seconds from leaving the pickup to the start of service at the door, if any."""
        if self.max_ride is not None:
            return self.max_ride
        return HOT_MEAL_MAX_RIDE if self.hot_meal else None

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["windows"] = [w.to_dict() for w in self.windows]
        d["pickup"] = self.pickup.to_dict() if self.pickup else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Order":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ModelError(f"order: unknown field(s) {', '.join(sorted(unknown))}")
        kw = dict(d)
        kw["windows"] = _windows(d.get("windows"), f"order {d.get('id')}")
        kw["pickup"] = Pickup.from_dict(d["pickup"]) if d.get("pickup") else None
        return cls(**kw)


@dataclass(frozen=True)
class Break:
    """A break of ``duration`` seconds that must start inside ``window``."""

    window: TimeWindow
    duration: int

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window.to_dict(), "duration": self.duration}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Break":
        return cls(TimeWindow.from_dict(d["window"]), int(d["duration"]))


@dataclass(frozen=True)
class Assistant:
    """A buurtassistent for one day: shift, where they start and end, how they travel."""

    id: str
    name: str = ""
    buurt: str = ""
    mode: str = "bike"
    shift: TimeWindow = TimeWindow(9 * 3600, 17 * 3600)
    start: int = 0
    end: int | None = None
    break_: Break | None = None
    capacity: int = 10
    regulars: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise ModelError("assistant: id is empty")
        if self.capacity < 0:
            raise ModelError(f"assistant {self.id}: capacity must be >= 0")
        object.__setattr__(self, "regulars", tuple(self.regulars))

    @property
    def end_location(self) -> int:
        return self.start if self.end is None else self.end

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["shift"] = self.shift.to_dict()
        d["break_"] = self.break_.to_dict() if self.break_ else None
        d["regulars"] = list(self.regulars)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Assistant":
        kw = dict(d)
        kw["shift"] = TimeWindow.from_dict(d["shift"]) if "shift" in d else cls.shift
        kw["break_"] = Break.from_dict(d["break_"]) if d.get("break_") else None
        kw["regulars"] = tuple(d.get("regulars", ()))
        return cls(**kw)


@dataclass(frozen=True)
class Done:
    """A stop already done (or under way) during the day: it keeps its assistant and time.

    ``action`` is ``"pickup"`` or ``"delivery"``; ``start`` the second service started.
    """

    order_id: str
    action: str
    assistant_id: str
    start: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Done":
        return cls(**d)


@dataclass(frozen=True)
class Lock:
    """A coordinator's pin: this stop goes to this assistant, optionally at this position
    (0 = first stop of the route, counting pickups and deliveries)."""

    order_id: str
    assistant_id: str
    position: int | None = None
    action: str = "delivery"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Lock":
        return cls(**d)


@dataclass(frozen=True)
class Weights:
    """How the solver trades things off; all in integer cost units.

    ``travel_second``/``metre`` price the arcs; ``wait_second`` prices a route's span (so waiting
    counts too); ``balance`` prices the *square* of the seconds a route's span exceeds its fair
    share of the day (shares in proportion to shift length), so two rounds of 3 h cost less than
    one of 5 h and one of 1 h: workload balance, not only the longest route;
    ``not_regular`` / ``other_buurt`` the soft "trusted face" preferences per order;
    ``vehicle`` a fixed cost per used assistant; ``drop`` the penalty for leaving out an order of
    priority 1 (each next priority costs ten times less).
    """

    travel_second: float = 1.0
    metre: float = 0.0
    wait_second: float = 0.0
    balance: float = 2.0
    not_regular: int = 600
    other_buurt: int = 300
    vehicle: int = 0
    drop: int = 10_000_000

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Weights":
        return cls(**d)


@dataclass
class Problem:
    """What the solver gets: orders, assistants and one travel matrix pair per mode.

    ``durations[mode]`` is an N×N integer matrix of seconds (asymmetric allowed) and
    ``distances[mode]`` the matching metres. ``now`` (re-planning): stops not done may not start
    before it. ``done`` and ``locks`` pin stops; see :class:`Done` and :class:`Lock`.
    """

    orders: tuple[Order, ...]
    assistants: tuple[Assistant, ...]
    durations: Mapping[str, np.ndarray]
    distances: Mapping[str, np.ndarray]
    weights: Weights = field(default_factory=Weights)
    done: tuple[Done, ...] = ()
    locks: tuple[Lock, ...] = ()
    now: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        self.orders = tuple(self.orders)
        self.assistants = tuple(self.assistants)
        self.done = tuple(self.done)
        self.locks = tuple(self.locks)
        self.durations = {m: np.asarray(a) for m, a in self.durations.items()}
        self.distances = {m: np.asarray(a, dtype=float) for m, a in self.distances.items()}
        self.validate()

    @classmethod
    def from_matrices(cls, matrices: Mapping[str, Any] | list[Any], orders: Iterable[Order],
                      assistants: Iterable[Assistant], **kw: Any) -> "Problem":
        """Build from ``routing.matrix.TravelMatrix`` objects (``.seconds``, ``.metres``), keyed by
        mode or given as a list (each knows its ``.mode``)."""
        if not isinstance(matrices, Mapping):
            matrices = {m.mode: m for m in matrices}
        return cls(tuple(orders), tuple(assistants),
                   {m: np.ceil(np.asarray(t.seconds)).astype(np.int64) for m, t in matrices.items()},
                   {m: np.asarray(t.metres, dtype=float) for m, t in matrices.items()}, **kw)

    @property
    def size(self) -> int:
        return int(next(iter(self.durations.values())).shape[0])

    def order(self, order_id: str) -> Order:
        return self._orders_by_id[order_id]

    def assistant(self, assistant_id: str) -> Assistant:
        return self._assistants_by_id[assistant_id]

    def validate(self) -> None:
        if not self.durations:
            raise ModelError("problem: no travel matrices")
        n = -1  # points in every matrix: the first one's, and the others must agree
        for mode, m in self.durations.items():
            if m.ndim != 2 or m.shape[0] != m.shape[1]:
                raise ModelError(f"durations[{mode!r}]: must be a square matrix, got {m.shape}")
            if not np.issubdtype(m.dtype, np.integer):
                raise ModelError(f"durations[{mode!r}]: must be integer seconds, got {m.dtype}")
            if (m < 0).any():
                raise ModelError(f"durations[{mode!r}]: negative travel time")
            if mode not in self.distances or self.distances[mode].shape != m.shape:
                raise ModelError(f"distances[{mode!r}]: missing or not the shape of durations")
            if n < 0:
                n = int(m.shape[0])
            elif m.shape[0] != n:
                raise ModelError(f"durations[{mode!r}]: {m.shape[0]} points, other modes have {n}")
        self._orders_by_id: dict[str, Order] = {}
        for o in self.orders:
            if o.id in self._orders_by_id:
                raise ModelError(f"order {o.id}: id used twice")
            self._orders_by_id[o.id] = o
            for loc, what in ((o.location, "location"), (o.pickup.location if o.pickup else 0, "pickup.location")):
                if not 0 <= loc < n:
                    raise ModelError(f"order {o.id}: {what} {loc} is not a matrix index (0..{n - 1})")
        self._assistants_by_id: dict[str, Assistant] = {}
        for a in self.assistants:
            if a.id in self._assistants_by_id:
                raise ModelError(f"assistant {a.id}: id used twice")
            self._assistants_by_id[a.id] = a
            if a.mode not in self.durations:
                raise ModelError(f"assistant {a.id}: no travel matrix for mode {a.mode!r}")
            for loc, what in ((a.start, "start"), (a.end_location, "end")):
                if not 0 <= loc < n:
                    raise ModelError(f"assistant {a.id}: {what} {loc} is not a matrix index")
        pins: tuple[Done | Lock, ...] = (*self.done, *self.locks)
        for pin in pins:
            what = type(pin).__name__.lower()
            if pin.order_id not in self._orders_by_id:
                raise ModelError(f"{what} {pin.order_id}: no such order")
            if pin.assistant_id not in self._assistants_by_id:
                raise ModelError(f"{what} {pin.order_id}: no such assistant {pin.assistant_id!r}")
            if pin.action not in ("pickup", "delivery"):
                raise ModelError(f"{what} {pin.order_id}: action must be 'pickup' or 'delivery'")
            if pin.action == "pickup" and self._orders_by_id[pin.order_id].pickup is None:
                raise ModelError(f"{what} {pin.order_id}: the order has no pickup")

    def replan(self, plan: "Plan", now: int, add: tuple[Order, ...] = (), cancel: tuple[str, ...] = (),
               done: tuple[tuple[str, str], ...] | None = None) -> "Problem":
        """The problem for planning again at ``now`` during the day.

        Stops of ``plan`` that started by ``now`` are done or under way and stay where they are
        (or name them with ``done`` as (order id, action) pairs, e.g. from the assistants' app);
        ``add`` brings late orders, ``cancel`` drops order ids that are not under way.
        """
        if done is None:
            done = tuple((v.order_id, v.action) for r in plan.routes for v in r.visits if v.start <= now)
        where = {(v.order_id, v.action): (r.assistant_id, v.start) for r in plan.routes for v in r.visits}
        pins = []
        for key in done:
            if key not in where:
                raise ModelError(f"done stop {key[0]} {key[1]}: not in the plan")
            pins.append(Done(key[0], key[1], *where[key]))
        busy = {d.order_id for d in pins}
        for oid in cancel:
            if oid in busy:
                raise ModelError(f"order {oid}: cannot cancel, it is done or under way")
        orders = tuple(o for o in self.orders if o.id not in set(cancel)) + tuple(add)
        locks = tuple(k for k in self.locks if k.order_id not in set(cancel))
        return Problem(orders, self.assistants, self.durations, self.distances, self.weights,
                       tuple(pins), locks, now, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "orders": [o.to_dict() for o in self.orders],
            "assistants": [a.to_dict() for a in self.assistants],
            "durations": {m: a.tolist() for m, a in self.durations.items()},
            "distances": {m: a.tolist() for m, a in self.distances.items()},
            "weights": self.weights.to_dict(),
            "done": [d.to_dict() for d in self.done],
            "locks": [k.to_dict() for k in self.locks],
            "now": self.now,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Problem":
        return cls(
            tuple(Order.from_dict(o) for o in d["orders"]),
            tuple(Assistant.from_dict(a) for a in d["assistants"]),
            {m: np.asarray(a, dtype=np.int64) for m, a in d["durations"].items()},
            {m: np.asarray(a, dtype=float) for m, a in d["distances"].items()},
            Weights.from_dict(d.get("weights", {})),
            tuple(Done.from_dict(x) for x in d.get("done", ())),
            tuple(Lock.from_dict(x) for x in d.get("locks", ())),
            d.get("now"),
            d.get("name", ""),
        )


# ---------------------------------------------------------------- the result


@dataclass
class Visit:
    """One stop in a route. ``arrival`` = previous end + travel (+ a break taken on the way);
    ``wait`` = ``start - arrival``; ``load`` = crate units on board when leaving."""

    order_id: str
    action: str
    location: int
    label: str
    arrival: int
    wait: int
    start: int
    end: int
    load: int
    travel: int
    distance: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Visit":
        return cls(**d)


@dataclass
class Route:
    """An assistant's round: leaves ``start`` at ``departure``, back at ``end`` at ``finish``."""

    assistant_id: str
    departure: int
    visits: list[Visit]
    finish: int
    back_travel: int
    back_distance: float
    breaks: list[TimeWindow] = field(default_factory=list)
    start_load: int = 0

    @property
    def stops(self) -> int:
        return sum(1 for v in self.visits if v.action == "delivery")

    @property
    def travel(self) -> int:
        return sum(v.travel for v in self.visits) + self.back_travel

    @property
    def distance(self) -> float:
        return sum(v.distance for v in self.visits) + self.back_distance

    @property
    def wait(self) -> int:
        return sum(v.wait for v in self.visits)

    def totals(self, problem: Problem | None = None) -> dict[str, Any]:
        praatje = None
        if problem is not None:
            praatje = sum(problem.order(v.order_id).praatje_seconds for v in self.visits
                          if v.action == "delivery")
        return {"stops": self.stops, "praatje_seconds": praatje, "travel_seconds": self.travel,
                "distance": round(self.distance, 3), "wait_seconds": self.wait,
                "departure": self.departure, "finish": self.finish,
                "work_seconds": self.finish - self.departure if self.visits else 0}

    def to_dict(self) -> dict[str, Any]:
        return {"assistant_id": self.assistant_id, "departure": self.departure,
                "visits": [v.to_dict() for v in self.visits], "finish": self.finish,
                "back_travel": self.back_travel, "back_distance": self.back_distance,
                "breaks": [b.to_dict() for b in self.breaks], "start_load": self.start_load,
                "totals": self.totals()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Route":
        return cls(d["assistant_id"], d["departure"], [Visit.from_dict(v) for v in d["visits"]],
                   d["finish"], d["back_travel"], d["back_distance"],
                   [TimeWindow.from_dict(b) for b in d.get("breaks", ())], d.get("start_load", 0))


@dataclass
class Unplanned:
    """An order left out of the plan, with a machine ``code`` and a sentence for the coordinator.

    ``reason`` is the English sentence; ``template`` and ``params`` are what it was made of, so
    a page in another language can say the same with its own words (see :meth:`because`).
    """

    order_id: str
    code: str
    reason: str
    template: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def because(cls, order_id: str, code: str, template: str, **params: object) -> "Unplanned":
        values = {k: str(v) for k, v in params.items()}
        return cls(order_id, code, template.format(**values), template, values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Unplanned":
        return cls(**d)


@dataclass
class Plan:
    """The solver's answer. ``violations`` come from :mod:`routing.check`; empty means feasible."""

    routes: list[Route]
    unplanned: list[Unplanned]
    cost: int = 0
    violations: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def distance(self) -> float:
        return sum(r.distance for r in self.routes)

    def route(self, assistant_id: str) -> Route:
        return next(r for r in self.routes if r.assistant_id == assistant_id)

    def totals(self, problem: Problem | None = None) -> dict[str, Any]:
        """Per assistant and for the day: stops, praatje, travel, distance, finish; and the
        spread between the earliest and latest finish of the rounds that ran."""
        per = {r.assistant_id: r.totals(problem) for r in self.routes}
        used = [t for t in per.values() if t["stops"]]
        return {"assistants": per, "stops": sum(t["stops"] for t in per.values()),
                "unplanned": len(self.unplanned), "travel_seconds": sum(t["travel_seconds"] for t in per.values()),
                "distance": round(self.distance, 3),
                "finish_spread_seconds": max(t["finish"] for t in used) - min(t["finish"] for t in used) if used else 0}

    def sequences(self) -> dict[str, list[tuple[str, str]]]:
        """Per assistant the (order id, action) stops in order: what a comparison needs."""
        return {r.assistant_id: [(v.order_id, v.action) for v in r.visits] for r in self.routes}

    def to_dict(self) -> dict[str, Any]:
        return {"routes": [r.to_dict() for r in self.routes],
                "unplanned": [u.to_dict() for u in self.unplanned], "cost": self.cost,
                "feasible": self.feasible, "violations": list(self.violations),
                "stats": dict(self.stats)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Plan":
        return cls([Route.from_dict(r) for r in d["routes"]],
                   [Unplanned.from_dict(u) for u in d["unplanned"]], d.get("cost", 0),
                   list(d.get("violations", ())), dict(d.get("stats", {})))
