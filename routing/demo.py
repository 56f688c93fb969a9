"""A realistic demo day on an area's real addresses and pickup places.

The figures follow ``shared/SCENARIOS.md``: two pharmacies, one meal kitchen and a parcel point;
hot meals between 11:30 and 12:30 that may ride at most 30 minutes; praatjes of 5–15 minutes
(longer for some residents); a handful of house calls; 2–3 assistants on foot or by (cargo)
bike with a break. Residents are real addresses of the area with initials only: demo data must
not look like anyone's health record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .area import Area, Place
from .model import Assistant, Break, Order, Pickup, Problem, TimeWindow
from .stops import Stops, day_problem

H = 3600
NAMES = ("Anna", "Bram", "Chantal", "Dirk", "Esra")


@dataclass(frozen=True)
class DemoOrder:
    """An order as a partner would submit it: by address and place name, times as HH:MM."""

    ref: str
    partner: str
    kind: str
    resident: str
    address: str
    window: tuple[str, str]
    praatje_min: int
    size: int = 1
    hot_meal: bool = False
    ready: str | None = None


@dataclass(frozen=True)
class DemoAssistant:
    name: str
    buurt: str
    mode: str
    shift: tuple[str, str]
    break_window: tuple[str, str]
    break_min: int
    capacity: int
    start_address: str


@dataclass(frozen=True)
class DemoDay:
    partners: dict[str, Place]
    assistants: list[DemoAssistant]
    orders: list[DemoOrder]
    base: Place


def seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * H + int(minutes) * 60


def _hhmm(t: int) -> str:
    return f"{t // H:02d}:{t % H // 60:02d}"


def _pick(places: list[Place], kind: str, n: int, rng: random.Random) -> list[Place]:
    found = [p for p in places if p.kind == kind and p.address]
    if len(found) < n:
        raise ValueError(f"the area has only {len(found)} {kind} places with an address")
    return rng.sample(found, n)


def demo_day(area: Area, orders: int = 60, assistants: int = 3, seed: int = 1) -> DemoDay:
    """A seeded, realistic day of ``orders`` orders for ``assistants`` assistants."""
    rng = random.Random(seed)
    pharmacies = _pick(area.places, "pharmacy", 2, rng)
    kitchen = _pick(area.places, "meal_kitchen", 1, rng)[0]
    parcel = _pick(area.places, "parcel_point", 1, rng)[0]
    base = next((p for p in area.places if p.kind == "community_centre" and p.address), kitchen)
    partners = {p.name: p for p in (*pharmacies, kitchen, parcel)}
    addresses = rng.sample(area.geocoder.labels(), min(orders, len(area.geocoder.labels())))
    meals = max(3, orders * 12 // 100)
    visits = max(2, orders * 6 // 100)
    parcels = orders * 25 // 100
    kinds = (["meal"] * meals + ["visit"] * visits + ["parcel"] * parcels)
    kinds += ["medicine"] * (orders - len(kinds))
    rng.shuffle(kinds)
    out = []
    for i, (kind, address) in enumerate(zip(kinds, addresses * (orders // len(addresses) + 1), strict=False)):
        resident = f"{rng.choice('ABCDEGHJKLMNPRSTVW')}.{rng.choice('BDGHJKMPSTVW')}."
        praatje = rng.choice([5, 5, 10, 10, 15]) if kind != "visit" else rng.choice([15, 20, 30])
        if kind == "meal":
            out.append(DemoOrder(f"M{i:03d}", kitchen.name, kind, resident, address,
                                 ("11:30", "12:45"), 5, 1, hot_meal=True, ready="11:30"))
        elif kind == "medicine":
            pharmacy = pharmacies[i % 2]
            ready = rng.choice(["09:30", "10:00", "13:00"])
            end = _hhmm(min(seconds(ready) + rng.choice([3, 4, 5]) * H, 16 * H + 30 * 60))
            out.append(DemoOrder(f"A{i:03d}", pharmacy.name, kind, resident, address,
                                 (ready, end), praatje, 1, ready=ready))
        elif kind == "parcel":
            out.append(DemoOrder(f"P{i:03d}", parcel.name, kind, resident, address,
                                 ("09:30", "16:30"), praatje, rng.choice([1, 1, 2, 3]),
                                 ready="09:00"))
        else:
            start = rng.choice(["10:00", "13:30", "14:30"])
            out.append(DemoOrder(f"V{i:03d}", "Wijkcoöperatie", kind, resident, address,
                                 (start, _hhmm(seconds(start) + 90 * 60)), praatje, 0))
    buurten = list(area.buurten) or ["—"]
    modes = ["bike", "cargo_bike", "walk", "bike", "bike"]
    team = [DemoAssistant(NAMES[k], buurten[k % len(buurten)], modes[k],
                          ("09:00", "17:00") if k != 2 else ("10:00", "15:00"),
                          ("12:30", "14:00"), 30, 12 if modes[k] == "cargo_bike" else 8,
                          base.address or base.name)
            for k in range(assistants)]
    return DemoDay(partners, team, out, base)


def demo_problem(area: Area, day: DemoDay, **kw: Any) -> tuple[Problem, Stops]:
    """The day as the solver's :class:`~routing.model.Problem` (and its :class:`Stops`)."""
    stops = Stops()
    base = stops.add(day.base.lat, day.base.lon, day.base.name)
    orders: list[Order] = []
    for o in day.orders:
        point = area.geocode(o.address)
        pickup = None
        if o.ready is not None:  # all but a visit are collected somewhere, ready from then
            place = day.partners[o.partner]
            pickup = Pickup(stops.add(place.lat, place.lon, place.name), place.name,
                            (TimeWindow(seconds(o.ready), 17 * H),), 120)
        orders.append(Order(o.ref, o.kind, stops.add(point.lat, point.lon, point.address),
                            point.address, (TimeWindow(seconds(o.window[0]), seconds(o.window[1])),),
                            pickup, o.praatje_min * 60, 60, o.size, hot_meal=o.hot_meal,
                            in_person=o.kind == "medicine", resident=o.resident + o.ref,
                            buurt=point.buurt or ""))
    assistants = [Assistant(a.name.lower(), a.name, a.buurt, a.mode,
                            TimeWindow(seconds(a.shift[0]), seconds(a.shift[1])), base, None,
                            Break(TimeWindow(seconds(a.break_window[0]), seconds(a.break_window[1])),
                                  a.break_min * 60), a.capacity)
                  for a in day.assistants]
    return day_problem(area, stops, orders, assistants, name=f"demo day ({area.name})", **kw), stops
