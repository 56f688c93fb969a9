"""Anonymous statistics that outlive the orders, and the report that reads them.

When the retention purge or an erasure removes orders, each is first counted into
``daily_stats`` (day, buurt, kind, status: number of orders and praatje minutes of the visits
that happened). A report over any period adds those rows to the orders still stored, so its
totals are the same before and after a purge: nobody has to keep names and addresses to know
how many meals went to Oudwijk last spring.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from routing.model import DEFAULT_PRAATJE

from .adapter import praatje_minutes
from .store import DailyStat, Order


def praatje_of(order: Order) -> int:
    """Praatje minutes a report counts for ``order``: its praatje when it was delivered (the
    visit happened and the resident was at home), else 0."""
    if order.status != "delivered":
        return 0
    minutes = praatje_minutes(order)
    return DEFAULT_PRAATJE[order.kind] // 60 if minutes is None else minutes


def key_of(order: Order) -> tuple[date, str, str, str]:
    return (order.service_date, order.resident.buurt or "", order.kind, order.status)


def roll_up(session: Session, orders: Iterable[Order]) -> int:
    """Count ``orders`` into ``daily_stats`` (before they are deleted); the caller commits.
    Returns how many orders were counted."""
    counts: Counter = Counter()
    praatje: Counter = Counter()
    n = 0
    for order in orders:
        key = key_of(order)
        counts[key] += 1
        praatje[key] += praatje_of(order)
        n += 1
    for key, count in counts.items():
        day, buurt, kind, status = key
        row = session.scalar(select(DailyStat).where(
            DailyStat.service_date == day, DailyStat.buurt == buurt, DailyStat.kind == kind,
            DailyStat.status == status))
        if row is None:
            row = DailyStat(service_date=day, buurt=buurt, kind=kind, status=status, orders=0,
                            praatje_minutes=0)
            session.add(row)
        row.orders += count
        row.praatje_minutes += praatje[key]
    session.flush()
    return n


#: ``daily_stats`` rows of the door's events (kind "alert" by level, "signal" by category,
#: "house_call" by outcome): they outlive the events themselves (``RETAIN_SIGNAL_DAYS``).
DOOR_KINDS = ("alert", "signal", "house_call")


def roll_up_door(session: Session, alerts: Iterable, signals: Iterable) -> None:
    """Count safety alerts (per level) and signals (per category) into ``daily_stats``
    before they are deleted; the caller commits."""
    counts: Counter = Counter()
    for a in alerts:
        counts[(a.service_date, a.buurt or "", "alert", a.level)] += 1
    for s in signals:
        counts[(s.noticed_at.date(), s.buurt or "", "signal", s.category)] += 1
    _add(session, counts)


def roll_up_house_calls(session: Session, calls: Iterable) -> None:
    """Count house calls (per outcome) into ``daily_stats`` before they are deleted."""
    _add(session, Counter((c.service_date, c.door.buurt or "", "house_call", c.outcome)
                          for c in calls))


def _add(session: Session, counts: Counter) -> None:
    for (day, buurt, kind, status), n in counts.items():
        row = session.scalar(select(DailyStat).where(
            DailyStat.service_date == day, DailyStat.buurt == buurt, DailyStat.kind == kind,
            DailyStat.status == status))
        if row is None:
            row = DailyStat(service_date=day, buurt=buurt, kind=kind, status=status, orders=0,
                            praatje_minutes=0)
            session.add(row)
        row.orders += n
    session.flush()


@dataclass
class Report:
    """Totals over ``start``..``end`` (inclusive): orders by kind and status and by buurt,
    and praatje minutes, from the anonymous counts and the orders still stored."""

    start: date
    end: date
    by_kind_status: Counter = field(default_factory=Counter)
    by_buurt: Counter = field(default_factory=Counter)
    praatje_by_buurt: Counter = field(default_factory=Counter)

    @property
    def orders(self) -> int:
        return sum(self.by_kind_status.values())

    @property
    def praatje_minutes(self) -> int:
        return sum(self.praatje_by_buurt.values())

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "orders": self.orders, "praatje_minutes": self.praatje_minutes,
                "by_kind_status": {f"{k}/{s}": n for (k, s), n in
                                   sorted(self.by_kind_status.items())},
                "by_buurt": dict(sorted(self.by_buurt.items())),
                "praatje_by_buurt": dict(sorted(self.praatje_by_buurt.items()))}


def report(session: Session, start: date, end: date) -> Report:
    out = Report(start, end)
    for row in session.scalars(select(DailyStat).where(DailyStat.service_date >= start,
                                                       DailyStat.service_date <= end,
                                                       DailyStat.kind.not_in(DOOR_KINDS))):
        out.by_kind_status[(row.kind, row.status)] += row.orders
        out.by_buurt[row.buurt] += row.orders
        out.praatje_by_buurt[row.buurt] += row.praatje_minutes
    for order in session.scalars(select(Order).where(Order.service_date >= start,
                                                     Order.service_date <= end)
                                 .options(selectinload(Order.resident))):
        _day, buurt, kind, status = key_of(order)
        out.by_kind_status[(kind, status)] += 1
        out.by_buurt[buurt] += 1
        out.praatje_by_buurt[buurt] += praatje_of(order)
    return out
