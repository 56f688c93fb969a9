"""Marks as facts: what an assistant records at a stop, stored before it is acknowledged.

Each tap carries an id made by the client (the page renders one into every mark form; the
offline round makes its own), so a retried request or a mark replayed after a lost
connection is recognised and answered as before, never counted twice. A batch (the packages
collected at one pickup place) is one tap: each order's fact gets ``"<tap id>:<order id>"``.

Goods stay with their carrier: once an assistant has picked up an order, only that assistant
can deliver it, find nobody at home or bring it back, until the coordinator hands it over to
someone else (a ``handed_over`` fact, visible on both rounds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .adapter import comes_back
from .refused import Refused
from .store import FACT_STATUS, Assistant, Fact, Order

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
#: What each mark needs the order to be now.
NEEDS = {"picked_up": ("planned",), "delivered": ("planned", "picked_up"),
         "not_home": ("planned", "picked_up"), "returned": ("not_home",)}


@dataclass
class Recorded:
    facts: list[Fact] = field(default_factory=list)
    replayed: bool = False


def fact_id(tap: str, order_id: int) -> str:
    return f"{tap}:{order_id}"


def carrier_of(session: Session, order_id: int) -> int | None:
    """Who has this order's goods (or rang at its door) now."""
    who = None
    for f in session.scalars(select(Fact).where(Fact.order_id == order_id).order_by(Fact.id)):
        if f.action in ("picked_up", "handed_over") or who is None:
            who = f.assistant_id
    return who


def validate(tap: str, action: str) -> None:
    """The shape of a tap, before anything is looked up."""
    if not CLIENT_ID.match(tap or ""):
        raise Refused("event_id", "must be 8 to 40 letters, digits, '-' or '_'", 400)
    if action not in NEEDS:
        raise Refused("status", "must be one of {options}", 400, options=", ".join(NEEDS))


def record(session: Session, assistant: Assistant, user_id: int | None, orders: list[Order],
           action: str, tap: str, at_seconds: int) -> Recorded:
    """Store ``action`` for ``orders`` as one tap (not committed: the caller commits, so the
    facts and the order statuses are one write). A replay of the same tap answers the facts
    stored the first time."""
    validate(tap, action)
    if not orders:
        raise Refused("order_ids", "no stop given", 400)
    ids = [fact_id(tap, o.id) for o in orders]
    stored = list(session.scalars(select(Fact).where(Fact.client_id.in_(ids))))
    if stored:
        if {f.order_id for f in stored} != {o.id for o in orders} or \
                any(f.action != action for f in stored):
            raise Refused("event_id", "was used for another mark", 409)
        return Recorded(stored, replayed=True)
    days = {o.service_date for o in orders}
    if len(days) != 1:
        raise Refused("order_ids", "stops of one day only", 400)
    for o in orders:
        carrier = carrier_of(session, o.id)
        if carrier is not None and carrier != assistant.id:
            raise Refused("order_ids", "order {id}: the goods are with another assistant; the "
                          "coordinator can hand them over", 409, id=o.id)
        if o.status not in NEEDS[action]:
            raise Refused("status", "order {id} is {now} and cannot become {action}", 409, id=o.id,
                          now=o.status, action=action)
        if action == "returned" and not comes_back(o):
            raise Refused("status", "order {id} does not go back to where it was picked up", 409,
                          id=o.id)
        if action == "picked_up" and o.pickup_lat is None:
            raise Refused("status", "order {id} has no pickup", 409, id=o.id)
    facts = []
    for o, client_id in zip(orders, ids, strict=True):
        o.set_status(FACT_STATUS[action], user_id=user_id)
        fact = Fact(client_id=client_id, service_date=o.service_date, order_id=o.id,
                    action=action, assistant_id=assistant.id, at_seconds=at_seconds,
                    user_id=user_id)
        session.add(fact)
        facts.append(fact)
    return Recorded(facts)


def hand_over(session: Session, order: Order, to: Assistant, user_id: int, tap: str,
              at_seconds: int) -> Fact:
    """The coordinator gives goods on board to another assistant (they meet and pass them)."""
    if not CLIENT_ID.match(tap or ""):
        raise Refused("event_id", "must be 8 to 40 letters, digits, '-' or '_'", 400)
    carrier = carrier_of(session, order.id)
    if carrier is None or order.status != "picked_up":
        raise Refused("order", "only goods that were picked up and not yet delivered can be "
                      "handed over", 409)
    if carrier == to.id:
        raise Refused("assistant_id", "already has these goods", 409)
    fact = Fact(client_id=fact_id(tap, order.id), service_date=order.service_date,
                order_id=order.id, action="handed_over", assistant_id=to.id,
                from_assistant_id=carrier, at_seconds=at_seconds, user_id=user_id)
    session.add(fact)
    return fact
