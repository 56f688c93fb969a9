"""The evidence of the pilot: what the buurtassistent did and what came of it, over a period.

The Utrecht Oost pilot must show its value and impact at the end. This report counts, per
month, per buurt and per assistant: residents reached, contacts (deliveries at the door and
house calls where someone opened), praatje hours, deliveries by kind, house calls and their
outcomes, signals by category with the time to their follow-up, safety alerts, continuity (the
share of visits by the resident's regular assistant) and the share of orders the planner left
out, and why.

Counts only: no name, address, phone or resident number is in it (a test looks), so it may be
printed, mailed and published. Deliveries by kind, safety alerts and signals also read the
anonymous ``daily_stats`` the retention purge leaves, so those stay the same after old data is
removed; figures that need the visit itself (who made it, residents reached, continuity) cover
what is still stored (``RETAIN_ORDER_DAYS``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from statistics import median

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from . import continuity, planning
from .stats import praatje_of
from .store import (REACHED, Assistant, DailyStat, Fact, HouseCall, Order, SafetyAlert,
                    Signal)

DIMENSIONS = ("total", "month", "buurt", "assistant")
TOTAL = "alle"


def month(day: date) -> str:
    return day.strftime("%Y-%m")


@dataclass
class Evidence:
    """Figures as (dimension, group, measure) → value; ``total`` has the one group ``alle``."""

    start: date
    end: date
    values: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def add(self, measure: str, amount: float, month_: str, buurt: str | None,
            assistant: str | None) -> None:
        """Count ``amount`` in the total, its month, its buurt and its assistant (None: a
        figure that has no buurt or no assistant)."""
        for dimension, group in (("total", TOTAL), ("month", month_),
                                 ("buurt", None if buurt is None else buurt or "—"),
                                 ("assistant", assistant)):
            if group is None:
                continue
            key = (dimension, group, measure)
            self.values[key] = self.values.get(key, 0) + amount

    def set(self, dimension: str, group: str, measure: str, value: float) -> None:
        self.values[(dimension, group, measure)] = value

    def get(self, dimension: str, group: str, measure: str) -> float:
        return self.values.get((dimension, group, measure), 0)

    def figure(self, dimension: str, group: str, name: str) -> float:
        """A measure, or the sum of a family of them ("deliveries" adds every
        "deliveries:<kind>")."""
        if (dimension, group, name) in self.values:
            return self.values[(dimension, group, name)]
        return sum(v for (d, g, m), v in self.values.items()
                   if d == dimension and g == group and m.startswith(name + ":"))

    def groups(self, dimension: str) -> list[str]:
        return sorted({g for d, g, _m in self.values if d == dimension})

    def measures(self, prefix: str = "") -> list[str]:
        return sorted({m for _d, _g, m in self.values if m.startswith(prefix)})

    def rows(self) -> list[tuple[str, str, str, float]]:
        """Every figure, for the CSV: dimension, group, measure, value."""
        order = {d: i for i, d in enumerate(DIMENSIONS)}
        return sorted(((d, g, m, v) for (d, g, m), v in self.values.items()),
                      key=lambda r: (order[r[0]], r[1], r[2]))


def build(session: Session, start: date, end: date) -> Evidence:
    out = Evidence(start, end)
    names = {a.id: a.name for a in session.scalars(select(Assistant))}
    _visits(session, out, names)
    _kept_counts(session, out)
    _house_calls(session, out, names)
    _signals(session, out, names)
    _alerts(session, out, names)
    _continuity(session, out, names)
    _unplanned(session, out)
    return out


def _visits(session: Session, out: Evidence, names: dict[int, str]) -> None:
    """Residents reached, contacts and praatje hours from the facts at the door."""
    reached: dict[tuple[str, str], set] = defaultdict(set)
    rows = session.execute(
        select(Fact, Order).join(Order, Order.id == Fact.order_id)
        .where(Fact.action == "delivered", Fact.service_date >= out.start,
               Fact.service_date <= out.end).options(selectinload(Order.resident)))
    for fact, order in rows:
        m, buurt = month(fact.service_date), order.resident.buurt or ""
        who = names.get(fact.assistant_id, "?")
        out.add("contacts", 1, m, buurt, who)
        out.add("praatje_hours", praatje_of(order) / 60, m, buurt, who)
        for dimension, group in (("total", TOTAL), ("month", m), ("buurt", buurt or "—"),
                                 ("assistant", who)):
            reached[(dimension, group)].add(order.resident_id)
    for (dimension, group), residents in reached.items():
        out.set(dimension, group, "residents_reached", len(residents))
    for key, value in list(out.values.items()):
        if key[2] == "praatje_hours":
            out.values[key] = round(value, 2)


def _kept_counts(session: Session, out: Evidence) -> None:
    """Deliveries by kind (orders still stored and the anonymous counts of removed ones)."""
    for row in session.scalars(select(DailyStat).where(
            DailyStat.service_date >= out.start, DailyStat.service_date <= out.end)):
        m = month(row.service_date)
        if row.kind == "alert":
            out.add(f"alerts:{row.status}", row.orders, m, row.buurt, None)
        elif row.kind == "signal":
            out.add(f"signals:{row.status}", row.orders, m, row.buurt, None)
        elif row.kind == "house_call":
            out.add(f"house_calls:{row.status}", row.orders, m, row.buurt, None)
            if row.status in REACHED:
                out.add("contacts", row.orders, m, row.buurt, None)
        elif row.status == "delivered":
            out.add(f"deliveries:{row.kind}", row.orders, m, row.buurt, None)
    delivered_by = {f.order_id: f.assistant_id for f in session.scalars(select(Fact).where(
        Fact.action == "delivered", Fact.service_date >= out.start,
        Fact.service_date <= out.end))}
    names = {a.id: a.name for a in session.scalars(select(Assistant))}
    for order in session.scalars(select(Order).where(
            Order.service_date >= out.start, Order.service_date <= out.end,
            Order.status == "delivered").options(selectinload(Order.resident))):
        who = names.get(delivered_by.get(order.id))
        out.add(f"deliveries:{order.kind}", 1, month(order.service_date),
                order.resident.buurt or "", who)


def _house_calls(session: Session, out: Evidence, names: dict[int, str]) -> None:
    for call in session.scalars(select(HouseCall).where(
            HouseCall.service_date >= out.start, HouseCall.service_date <= out.end)
            .options(selectinload(HouseCall.door))):
        m, who = month(call.service_date), names.get(call.assistant_id, "?")
        out.add(f"house_calls:{call.outcome}", 1, m, call.door.buurt, who)
        if call.outcome in REACHED:
            out.add("contacts", 1, m, call.door.buurt, who)


def _signals(session: Session, out: Evidence, names: dict[int, str]) -> None:
    to_follow_up: dict[str, list[float]] = defaultdict(list)
    to_close: dict[str, list[float]] = defaultdict(list)
    for s in session.scalars(select(Signal)):
        day = s.noticed_at.date()
        if not out.start <= day <= out.end:
            continue
        out.add(f"signals:{s.category}", 1, month(day), s.buurt,
                names.get(s.assistant_id, "?"))
        for bucket, at in ((to_follow_up, s.assigned_at), (to_close, s.closed_at)):
            if at is not None:
                hours = max(0.0, (at - s.noticed_at).total_seconds() / 3600)
                bucket[s.category].append(hours)
                bucket[TOTAL].append(hours)
    for name, bucket in (("signal_hours_to_follow_up", to_follow_up),
                         ("signal_hours_to_close", to_close)):
        for category, spans in bucket.items():
            out.set("total", TOTAL, f"{name}:{category}", round(median(spans), 1))


def _alerts(session: Session, out: Evidence, names: dict[int, str]) -> None:
    for a in session.scalars(select(SafetyAlert).where(
            SafetyAlert.service_date >= out.start, SafetyAlert.service_date <= out.end)):
        out.add(f"alerts:{a.level}", 1, month(a.service_date), a.buurt,
                names.get(a.assistant_id, "?"))


def _continuity(session: Session, out: Evidence, names: dict[int, str]) -> None:
    visits = continuity.visits_between(session, out.start, out.end)
    result = continuity.measure(visits)
    shares = {("total", TOTAL): result.overall}
    shares.update({("buurt", b or "—"): s for b, s in result.per_buurt.items()})
    shares.update({("assistant", names.get(a, "?")): s for a, s in result.per_assistant.items()})
    for (dimension, group), share in shares.items():
        if share.rate is not None:
            out.set(dimension, group, "continuity_percent", round(100 * share.rate, 1))
            out.set(dimension, group, "continuity_visits", share.visits)


def _unplanned(session: Session, out: Evidence) -> None:
    """Per day's current plan: orders it left out, by reason, against all it was given."""
    days = sorted(set(session.scalars(select(Order.service_date).where(
        Order.service_date >= out.start, Order.service_date <= out.end).distinct())))
    given: Counter = Counter()
    for day in days:
        plan = planning.current_plan(session, day)
        if plan is None:
            continue
        m = month(day)
        planned = {v["order_id"] for r in plan.payload.get("routes", ())
                   for v in r.get("visits", ()) if not v["order_id"].startswith("r")}
        left = [u for u in plan.payload.get("unplanned", ())
                if not str(u["order_id"]).startswith("r")]
        given[TOTAL] += len(planned) + len(left)
        given[m] += len(planned) + len(left)
        for u in left:
            out.add(f"unplanned:{u['code']}", 1, m, None, None)
    for group, n in given.items():
        dimension = "total" if group == TOTAL else "month"
        out.set(dimension, group, "orders_planned_or_left", n)
        unplanned = sum(out.get(dimension, group, m) for m in out.measures("unplanned:"))
        out.set(dimension, group, "unplanned_percent",
                round(100 * unplanned / n, 1) if n else 0)
