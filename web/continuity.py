"""Continuity: how often a resident sees their regular assistant (the trusted face).

The planner already prefers a resident's regular assistant (``CONTINUITY_WEIGHT``, the
"not regular" cost of ``routing.model.Weights``); this measures what came of it. A visit is an
assistant at the resident's door (a delivery or a "niet thuis", from the facts). Only residents
with a regular assistant count. Per resident: the share of their visits made by their regular
assistant. Per assistant: the share of the visits to *their* regular residents they made
themselves. The regular assistant is the one set now (the store keeps no history of it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .store import Fact, Order, Resident

AT_DOOR = ("delivered", "not_home")


@dataclass(frozen=True)
class Visit:
    resident_id: int
    regular_id: int | None
    assistant_id: int
    buurt: str = ""


@dataclass
class Share:
    visits: int = 0
    by_regular: int = 0

    @property
    def rate(self) -> float | None:
        return self.by_regular / self.visits if self.visits else None

    def add(self, regular: bool) -> None:
        self.visits += 1
        self.by_regular += int(regular)


@dataclass
class Continuity:
    per_resident: dict[int, Share] = field(default_factory=dict)
    per_assistant: dict[int, Share] = field(default_factory=dict)
    per_buurt: dict[str, Share] = field(default_factory=dict)
    overall: Share = field(default_factory=Share)


def measure(visits: Iterable[Visit]) -> Continuity:
    out = Continuity()
    residents: dict[int, Share] = defaultdict(Share)
    assistants: dict[int, Share] = defaultdict(Share)
    buurten: dict[str, Share] = defaultdict(Share)
    for v in visits:
        if v.regular_id is None:
            continue
        regular = v.assistant_id == v.regular_id
        residents[v.resident_id].add(regular)
        assistants[v.regular_id].add(regular)
        buurten[v.buurt].add(regular)
        out.overall.add(regular)
    out.per_resident, out.per_assistant, out.per_buurt = (dict(residents), dict(assistants),
                                                          dict(buurten))
    return out


def visits_between(session: Session, start: date, end: date,
                   resident_ids: list[int] | None = None) -> list[Visit]:
    """The visits (facts at the door) from ``start`` through ``end``."""
    query = (select(Fact.assistant_id, Resident.id, Resident.regular_assistant_id,
                    Resident.buurt)
             .join(Order, Order.id == Fact.order_id).join(Resident, Resident.id == Order.resident_id)
             .where(Fact.action.in_(AT_DOOR), Fact.service_date >= start,
                    Fact.service_date <= end))
    if resident_ids is not None:
        query = query.where(Resident.id.in_(resident_ids))
    return [Visit(rid, regular, aid, buurt or "")
            for aid, rid, regular, buurt in session.execute(query)]
