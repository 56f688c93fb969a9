"""From the store's rows to the routing core's dataclasses (``routing.model``).

The store speaks "HH:MM", minutes, database ids and a 0/1/2 priority; the core speaks seconds
since midnight, matrix indices, string ids and rank 1 (first) .. 9. This is the only place that
translates. Names never cross: the core gets a resident *id*, an address and a buurt; medicine
orders are labelled "apotheekpakket".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from routing import model

from .orders import at_partner, opening_hours
from .store import Order, Shift

#: Crate units an assistant can carry, by how they travel.
CAPACITY = {"walk": 4, "bike": 8, "cargo_bike": 20}
DAY_END = 24 * 3600 - 1
#: A break "from 12:00" (no "until") may start up to this many seconds later.
BREAK_SLACK = 30 * 60


def seconds(hhmm: str) -> int:
    return int(hhmm[:2]) * 3600 + int(hhmm[3:5]) * 60


def rank(order: Order) -> int | None:
    """0 normal → the kind's default rank; 1 high → one better; 2 urgent → first."""
    if order.priority == 0:
        return None
    if order.priority >= 2:
        return 1
    return max(1, model.DEFAULT_PRIORITY[order.kind] - 1)


@dataclass
class DayInput:
    """The points (lat, lon) the matrices must cover, and the core's orders and assistants,
    whose locations index ``points``."""

    points: list[tuple[float, float]] = field(default_factory=list)
    orders: list[model.Order] = field(default_factory=list)
    assistants: list[model.Assistant] = field(default_factory=list)

    def index(self, lat: float, lon: float) -> int:
        """The matrix index of a point; the same place (to ~1 cm) gets the same index."""
        key = (round(lat, 7), round(lon, 7))
        try:
            return self.points.index(key)
        except ValueError:
            self.points.append(key)
            return len(self.points) - 1


def praatje_minutes(order: Order) -> int | None:
    """The praatje the planner gives this order; None: the default for its kind.

    The resident's usual praatje (set by the coordinator, who knows them) is a floor: a
    partner may ask for a longer chat on one order, never cut the usual one short.
    """
    asked, usual = order.praatje_minutes, order.resident.praatje_minutes
    if asked is None or usual is None:
        return usual if asked is None else asked
    return max(asked, usual)


def pickup_times(order: Order) -> tuple[tuple[model.TimeWindow, ...], int]:
    """When the goods can be collected and how long that takes (seconds).

    From the time the order is ready; at the partner's own pickup place also within its
    opening hours that weekday, and with its handling minutes. Orders for a closed day are
    refused when they come in (``web.orders``); should the hours change afterwards so that
    nothing is left, the ready time alone stands rather than a pickup nobody can make."""
    ready = seconds(order.ready_time) if order.ready_time else 0
    windows = (model.TimeWindow(ready, DAY_END),)
    partner = order.partner
    if partner is None or not at_partner(partner, order.pickup_lat, order.pickup_lon):
        return windows, model.Pickup.handling
    hours = opening_hours(partner, order.service_date) or ()
    opened = tuple(model.TimeWindow(max(ready, seconds(s)), seconds(e)) for s, e in hours
                   if seconds(e) > ready)
    handling = (partner.handling_minutes * 60 if partner.handling_minutes is not None
                else model.Pickup.handling)
    return opened or windows, handling


def order_to_model(order: Order, day: DayInput) -> model.Order:
    resident = order.resident
    pickup = None
    if order.pickup_lat is not None:
        windows, handling = pickup_times(order)
        pickup = model.Pickup(day.index(order.pickup_lat, order.pickup_lon),
                              label=order.pickup_name or order.pickup_address or "",
                              windows=windows, handling=handling)
    praatje = praatje_minutes(order)
    return model.Order(
        id=str(order.id), kind=order.kind, location=day.index(resident.lat, resident.lon),
        address=resident.address,
        windows=tuple(model.TimeWindow(seconds(s), seconds(e)) for s, e in order.windows),
        pickup=pickup, praatje=None if praatje is None else praatje * 60, size=order.size,
        priority=rank(order), hot_meal=order.hot_meal, in_person=order.in_person,
        resident=str(resident.id), buurt=resident.buurt or "")


#: Goods that go back to where they were picked up when the resident is not at home: a
#: pharmacy takes back undelivered medicine, a parcel point its parcels; anything marked
#: "in person only" may not be left with a neighbour either. (A meal is not brought back.)
RETURNED_KINDS = ("medicine", "parcel")
RETURN = "r"


def comes_back(order: Order) -> bool:
    return order.pickup_lat is not None and (order.kind in RETURNED_KINDS or order.in_person)


def return_id(order_id: int) -> str:
    """The core's id for bringing order ``order_id`` back (its own stop, not the order's)."""
    return f"{RETURN}{order_id}"


def store_id(core_id: str) -> tuple[int, bool]:
    """The store's order id behind a core id, and whether the stop is a return."""
    back = core_id.startswith(RETURN)
    return int(core_id[1:] if back else core_id), back


def return_to_model(order: Order, day: DayInput) -> model.Order:
    """Bringing the goods of a not-at-home delivery back: a pickup at the resident's door (done
    when the assistant rang) and a delivery at the pickup place, first in rank, no praatje."""
    door = day.index(order.resident.lat, order.resident.lon)
    return model.Order(
        id=return_id(order.id), kind=order.kind,
        location=day.index(order.pickup_lat, order.pickup_lon),
        address=order.pickup_address or order.pickup_name or "",
        pickup=model.Pickup(door, label=order.resident.address, handling=0),
        praatje=0, size=order.size, priority=1)


def shift_to_model(shift: Shift, day: DayInput, default_start: tuple[float, float],
                   regulars: tuple[str, ...] = ()) -> model.Assistant:
    """An assistant's day. Without a start address the shift starts at ``default_start``;
    without an end address it ends where it started."""
    assistant = shift.assistant
    start = ((shift.start_lat, shift.start_lon) if shift.start_lat is not None
             else default_start)
    brk = None
    if shift.break_minutes:
        begin = seconds(shift.break_from) if shift.break_from else seconds(shift.start)
        latest = seconds(shift.end) - shift.break_minutes * 60
        end = seconds(shift.break_until) if shift.break_until else (
            min(begin + BREAK_SLACK, latest) if shift.break_from else latest)
        brk = model.Break(model.TimeWindow(begin, max(begin, end)), shift.break_minutes * 60)
    return model.Assistant(
        id=str(assistant.id), name=assistant.name, buurt=assistant.home_buurt or "",
        mode=assistant.mode, shift=model.TimeWindow(seconds(shift.start), seconds(shift.end)),
        start=day.index(*start), break_=brk,
        end=day.index(shift.end_lat, shift.end_lon) if shift.end_lat is not None else None,
        capacity=assistant.capacity or CAPACITY.get(assistant.mode, 8),
        regulars=regulars)
