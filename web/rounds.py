"""A stored plan as the pages see it: rounds with their stops, workload, map and exports.

Pure reading: a ``plans`` row's payload plus the orders it names. Goods are shown by label
("apotheekpakket", never a medicine); residents by initials on route sheets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from routing import export, mapsvg
from routing.directions import directions
from routing.model import TimeWindow, hhmm

from . import reasons
from .adapter import store_id
from .i18n import gettext as _
from .i18n import language
from .store import MISSED, VISITED, Assistant, Order, Plan, Shift


def initials(name: str) -> str:
    return "".join(part[0].upper() + "." for part in name.replace(".", " ").split() if part)


@dataclass
class Stop:
    number: int
    action: str
    order: Order
    arrival: str
    start: str
    wait_minutes: int
    load: int
    lat: float
    lon: float
    where: str
    praatje_minutes: int
    #: Bringing the goods of a not-at-home delivery back: "pickup" is taking them along at the
    #: door, "delivery" handing them in at the pickup place.
    returning: bool = False
    #: The other orders collected at the same pickup place at the same time: one stop, one tap.
    batch: list[Order] = field(default_factory=list)
    #: The position of this stop's first visit in the plan's route (pickups and deliveries).
    index: int = 0

    @property
    def orders(self) -> list[Order]:
        return [self.order, *self.batch]

    @property
    def count(self) -> int:
        return 1 + len(self.batch)

    @property
    def numbers(self) -> str:
        """"3", or "3–5" for a batch: stop numbers count every pickup and delivery, so a
        coordinator's "as stop N" means the same on every page and to the planner."""
        return f"{self.number}–{self.number + len(self.batch)}" if self.batch else str(self.number)

    @property
    def window(self) -> str:
        if self.returning:
            return "–"
        if self.action == "pickup":
            return f"{self.order.ready_time}–" if self.order.ready_time else "–"
        return ", ".join(f"{s}–{e}" for s, e in self.order.windows) or "–"

    @property
    def key(self) -> str:
        """Unique within a plan: "12-delivery", or "12-delivery-return" for bringing it back."""
        return f"{self.order.id}-{self.action}" + ("-return" if self.returning else "")

    @property
    def at_resident(self) -> bool:
        """The visit itself: goods handed over (or a house call) and the praatje."""
        return self.action == "delivery" and not self.returning

    @property
    def happened(self) -> bool:
        status = self.order.status
        if self.returning:
            return self.action == "pickup" or status == "returned"
        if self.action == "pickup":
            return status in ("picked_up", *VISITED)
        return status in VISITED

    @property
    def mark(self) -> str:
        """✓ done, ✗ nobody at home (only on the delivery itself)."""
        return "✗" if self.at_resident and self.order.status in MISSED else "✓"

    @property
    def outcome(self) -> str:
        """The status that says how this stop went ("" for pickups and open stops)."""
        if not self.happened or self.action == "pickup":
            return ""
        if self.returning:
            return "returned"
        return "not_home" if self.order.status in MISSED else self.order.status

    @property
    def marks(self) -> tuple[str, ...]:
        """The statuses the assistant can give this stop now."""
        if self.happened or (self.returning and self.action == "pickup"):
            return ()
        if self.action == "pickup":
            return ("picked_up",)
        return ("returned",) if self.returning else ("delivered", "not_home")


@dataclass
class Round:
    assistant: Assistant
    colour: str
    stops: list[Stop] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    mode: str = "bike"
    start: tuple[float, float] | None = None

    @property
    def deliveries(self) -> list[Stop]:
        return [s for s in self.stops if s.action == "delivery"]


def rounds_of(session: Session, plan: Plan, assistant_id: int | None = None) -> list[Round]:
    payload = plan.payload
    points = [tuple(p) for p in payload.get("points", ())]
    ids = {store_id(v["order_id"])[0] for r in payload["routes"] for v in r["visits"]}
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(ids))
                                               .options(selectinload(Order.resident)))}
    assistants = {a.id: a for a in session.scalars(select(Assistant))}
    shifts = {s.assistant_id: s for s in session.scalars(
        select(Shift).where(Shift.service_date == plan.service_date))}
    out = []
    for i, r in enumerate(sorted(payload["routes"], key=lambda r: int(r["assistant_id"]))):
        aid = int(r["assistant_id"])
        if assistant_id is not None and aid != assistant_id:
            continue
        rnd = Round(assistants[aid], mapsvg.PALETTE[i % len(mapsvg.PALETTE)],
                    mode=assistants[aid].mode)
        visits = r["visits"]
        for n, v in enumerate(visits, 1):
            oid, returning = store_id(v["order_id"])
            order = orders[oid]
            lat, lon = points[v["location"]] if points else (order.resident.lat,
                                                             order.resident.lon)
            at_pickup = (v["action"] == "pickup") != returning
            where = (order.pickup_name or order.pickup_address or "") if at_pickup \
                else order.resident.address
            praatje = payload.get("praatje", {}).get(v["order_id"], 0) // 60 \
                if v["action"] == "delivery" else 0
            stop = Stop(n, v["action"], order, hhmm(v["arrival"]),
                        hhmm(v["start"]), v["wait"] // 60, v["load"],
                        lat, lon, where, praatje, returning, index=n - 1)
            before = rnd.stops[-1] if rnd.stops else None
            if (before is not None and stop.action == before.action == "pickup"
                    and not (stop.returning or before.returning)
                    and (stop.lat, stop.lon) == (before.lat, before.lon)
                    and stop.happened == before.happened):
                before.batch.append(order)  # the same pharmacy, one after the other
                before.load = stop.load
            else:
                rnd.stops.append(stop)
        shift = shifts.get(aid)
        travel = r["back_travel"] + sum(v["travel"] for v in visits)
        rnd.totals = {"stops": sum(1 for s in rnd.stops if s.at_resident),  # doors
                      "praatje": sum(s.praatje_minutes for s in rnd.stops),
                      "travel": round(travel / 60),
                      "finish": hhmm(r["finish"]) if visits else "–",
                      "load": max((v["load"] for v in visits), default=0),
                      "shift": f"{shift.start}–{shift.end}" if shift else "",
                      # how the day goes: doors visited, nobody home, the next stop's time
                      "visited": sum(1 for s in rnd.stops if s.at_resident and s.happened),
                      "missed": sum(1 for s in rnd.stops if s.at_resident and s.happened
                                    and s.order.status in MISSED),
                      "next": next((s.arrival for s in rnd.stops if not s.happened), "")}
        if shift is not None and shift.start_lat is not None:
            rnd.start = (shift.start_lat, shift.start_lon)
        out.append(rnd)
    return out


def unplanned_of(session: Session, plan: Plan) -> list[tuple[Order | None, dict]]:
    items = plan.payload.get("unplanned", ())
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.id.in_([store_id(u["order_id"])[0] for u in items]))
        .options(selectinload(Order.resident)))}
    lang, out = language(), []
    for u in items:
        oid, returning = store_id(u["order_id"])
        out.append((orders.get(oid), {**u, "reason": reasons.say(u, lang), "returning": returning}))
    return out


def legs(area, rnd: Round) -> list:
    """The street path into each stop (from the stop before it; the area keeps recent ones)."""
    return [area.path((before.lat, before.lon), (stop.lat, stop.lon), rnd.mode)
            for before, stop in pairwise(rnd.stops)]


def map_svg(area, rounds: list[Round], title: str = "", ident: str = "map-title") -> str:
    drawn = [mapsvg.MapRound(r.assistant.name, r.colour, legs(area, r),
                             [mapsvg.MapStop(s.number, s.lat, s.lon, stop_title(r, s), s.key,
                                             s.order.kind) for s in r.stops],
                             key=str(r.assistant.id)) for r in rounds]
    return mapsvg.render(area, drawn, title=title).replace('"map-title"', f'"{ident}"')


def stop_title(rnd: Round, stop: Stop) -> str:
    """What a marker says when pointed at or tapped: whose stop, which, when, what, for whom
    (initials only, as on every route sheet)."""
    action = _("Pick up") if stop.action == "pickup" else _("Hand over")
    return (f"{rnd.assistant.name} · {stop.numbers} · {stop.arrival} · {action}: "
            f"{_(stop.order.kind)} #{stop.order.id} · {initials(stop.order.resident.name)}")


def steps(area, rnd: Round, language: str) -> dict[int, list[str]]:
    """Turn-by-turn directions into stop ``number`` (from the stop before it)."""
    return {stop.number: [s.text for s in directions(path, language)]
            for stop, path in zip(rnd.stops[1:], legs(area, rnd), strict=True)}


def exports(area, rnd: Round, kind: str) -> str:
    stops = [export.ExportStop(s.number, s.arrival, s.where, s.lat, s.lon) for s in rnd.stops]
    make = export.gpx if kind == "gpx" else export.geojson
    return make(f"Buurtroute {rnd.assistant.name}", stops, legs(area, rnd))


def schedule(plan: Plan, rnd: Round) -> dict[str, Any]:
    """When the round leaves, its breaks and when it is back: the head of a route sheet."""
    route = next((r for r in plan.payload["routes"]
                  if int(r["assistant_id"]) == rnd.assistant.id), None)
    if route is None or not route["visits"]:
        return {}
    return {"departure": hhmm(route["departure"]), "finish": hhmm(route["finish"]),
            "breaks": [str(TimeWindow.from_dict(b)) for b in route.get("breaks", ())]}


def note_flag(order: Order) -> str:
    """What a route sheet says about a partner's note: only that there is one, from whom.

    A note is free text, and free text from a pharmacy is where medicine names end up
    ("insuline in de koelkast"); no word filter catches every brand and generic name, so the
    note itself never reaches a route sheet, PDF or the assistant's round. The assistant asks
    the partner at the pickup."""
    if not order.note.strip():
        return ""
    kind = order.partner.kind if order.partner is not None else ""
    if kind == "pharmacy":
        return _("instructions from the pharmacy")
    if kind == "meal_kitchen":
        return _("instructions from the meal kitchen")
    if kind == "parcel_point":
        return _("instructions from the parcel point")
    return _("instructions from the cooperative")
