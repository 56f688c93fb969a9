"""One validator for every way an order comes in: the web form, a CSV row and the JSON API.

``from_text`` turns the strings of a form or CSV row into the typed values the API takes, and
``validate`` checks typed values against the partner, the area and the day, answering either an
``OrderDraft`` or ``{field: reason}``. ``save`` stores a draft (and its resident) in one go.
Reasons are produced through the ``_`` argument, so the web shows them in Dutch and the API in
English. No Flask here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any, Callable, Mapping

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from routing.geocode import AddressNotFound, GeoPoint

from . import tenancy
from .hygiene import clean, foreign_digits, has_surrogate
from .i18n import N_
from .store import ORDER_KINDS, Order, OrderEvent, Partner, Resident

Gettext = Callable[..., str]
FIELDS = ("recipient", "address", "phone", "kind", "service_date", "windows", "pickup",
          "ready_time", "praatje_minutes", "size", "priority", "hot_meal", "in_person", "note",
          "reference", "flexible_until")
REQUIRED = ("recipient", "address", "kind", "service_date")
MAX_WINDOWS = 3
CAP_LOCK_SPACE = 0x6361  # "ca": advisory locks on a partner's daily cap (PostgreSQL)
GOODLESS = ("visit", "klusje")  # nothing to carry: size 0 unless said otherwise
DAYS_AHEAD = 60
#: A flexible parcel may go at most this many days after its service date.
FLEXIBLE_DAYS = 7
LIMITS = {"praatje_minutes": (0, 60), "size": (0, 20), "priority": (0, 2)}
LENGTHS = {"recipient": 80, "address": 200, "phone": 32, "pickup": 200, "note": 500,
           "reference": 64}
# Digits are 0-9 only: ``\d`` also matches "٩" and other scripts' digits (see web.hygiene).
TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
WINDOW = re.compile(r"^\s*([0-9]{1,2}[:.][0-9]{2})\s*[-–]\s*([0-9]{1,2}[:.][0-9]{2})\s*$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
REFERENCE = re.compile(r"^[A-Za-z0-9._:/-]+$")
#: Control characters other than tab and line breaks: never meant, and PostgreSQL cannot store
#: a NUL at all, so they are refused by name on every database instead of failing on one.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: A note that looks like a dose or a dosage form is refused: medicine names stay out.
MEDICINE_HINT = re.compile(
    r"\b\d+(?:[.,]\d+)?\s?(mg|mcg|µg|ug|ml|ie|iu|gram)\b|\b(tablet|tabletten|capsule|capsules|"
    r"pil|pillen|zalf|druppels|inhaler|puffer|dosis|dose|tablets|pills|drops)\b", re.I)
TRUE = {"1", "true", "yes", "ja", "j", "y", "on", "x"}
FALSE = {"0", "false", "no", "nee", "n", "off", ""}


@dataclass(frozen=True)
class OrderDraft:
    """A validated order, ready to store."""

    recipient: str
    point: GeoPoint
    phone: str | None
    kind: str
    service_date: date
    windows: list[list[str]]
    pickup_name: str | None
    pickup: GeoPoint | None
    ready_time: str | None
    praatje_minutes: int | None
    size: int
    priority: int
    hot_meal: bool
    in_person: bool
    note: str
    reference: str | None
    flexible_until: date | None = None


def hhmm(text: str) -> str | None:
    """"9:30", "09.30" → "09:30"; None when not a time of day."""
    text = text.strip().replace(".", ":")
    if re.fullmatch(r"[0-9]:[0-9][0-9]", text):
        text = "0" + text
    return text if TIME.match(text) else None


def minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:])


def from_text(row: Mapping[str, str], _: Gettext) -> tuple[dict[str, Any], dict[str, str]]:
    """Strings of a form or CSV row → the typed payload ``validate`` takes (empty → absent)."""
    payload: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in row.items():
        value = (raw or "").strip()
        if name in ("service_date", "windows", "ready_time", "praatje_minutes", "size",
                    "priority", "flexible_until") and foreign_digits(value):
            errors[name] = _("use the digits 0 to 9")
        elif name in ("praatje_minutes", "size", "priority"):
            if value:
                if re.fullmatch(r"-?[0-9]{1,9}", value):
                    payload[name] = int(value)
                elif re.fullmatch(r"-?[0-9]+", value):  # too many digits to be in range
                    errors[name] = _("must be between {low} and {high}", low=LIMITS[name][0],
                                     high=LIMITS[name][1])
                else:
                    errors[name] = _("must be a whole number")
        elif name in ("hot_meal", "in_person"):
            if value.lower() in TRUE | FALSE:
                if value:
                    payload[name] = value.lower() in TRUE
            else:
                errors[name] = _("must be yes or no")
        elif name == "windows":
            windows = []
            for part in filter(None, re.split(r"[\s|;,]+(?=[0-9])", value)):
                match = WINDOW.match(part)
                if not match:
                    errors[name] = _("must be a time window like 11:30-12:30")
                    break
                windows.append({"start": hhmm(match[1]) or match[1],
                                "end": hhmm(match[2]) or match[2]})
            payload[name] = windows
        elif name == "ready_time" and value:
            payload[name] = hhmm(value) or value
        elif value:
            payload[name] = value
    return payload, errors


def validate(payload: Mapping[str, Any], partner: Partner, area, today: date,
             _: Gettext) -> tuple[OrderDraft | None, dict[str, str]]:
    """Check a typed payload; answer a draft, or the reason for every field that is wrong."""
    errors: dict[str, str] = {}
    for name in payload:
        if name not in FIELDS:
            errors[name] = _("unknown field")
    text = {name: _text(payload, name, errors, _) for name in LENGTHS}
    for name in ("service_date", "ready_time", "address", "pickup", "phone",
                 "flexible_until"):
        if isinstance(payload.get(name), str) and foreign_digits(payload[name]):
            errors[name] = _("use the digits 0 to 9")  # "Straat 2٩" is not Straat 29
    for name in REQUIRED:
        value = payload.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[name] = _("is required")

    kind = payload.get("kind")
    if "kind" not in errors:
        if kind not in ORDER_KINDS:
            errors["kind"] = _("must be one of: {options}", options=", ".join(ORDER_KINDS))
        elif kind not in partner.order_kinds:
            message = N_("a {partner_kind} cannot submit {kind} orders (allowed: {allowed})")
            errors["kind"] = _(message, partner_kind=partner.kind, kind=kind,
                               allowed=", ".join(partner.order_kinds) or "-")
    service_date = _service_date(payload.get("service_date"), today, errors, _)
    windows = _windows(payload["windows"] if payload.get("windows") is not None else [],
                       errors, _)
    ready_time = payload.get("ready_time") if "ready_time" not in errors else None
    if ready_time is not None:
        if not isinstance(ready_time, str) or not TIME.match(ready_time):
            ready_time = None
            errors["ready_time"] = _("must be a time like 09:30")
        elif windows and minutes(ready_time) >= minutes(windows[-1][1]):
            errors["ready_time"] = _("is later than the end of the last time window ({end})",
                                     end=windows[-1][1])
    numbers = {name: _integer(payload, name, errors, _) for name in LIMITS}
    flags = {name: _flag(payload, name, errors, _) for name in ("hot_meal", "in_person")}
    if flags["hot_meal"] and kind != "meal":
        errors["hot_meal"] = _("only a meal can be a hot meal")
    if text["phone"] and "phone" not in errors and not PHONE.match(text["phone"]):
        errors["phone"] = _("is not a phone number")
    if text["reference"] and not REFERENCE.match(text["reference"]):
        errors["reference"] = _("may only contain letters, digits and . _ - : /")
    for name in ("note", "recipient"):
        if text[name] and MEDICINE_HINT.search(text[name]):
            errors[name] = _("looks like a medicine name or dose; never put medicines in notes")

    flexible_until = _flexible_until(payload.get("flexible_until"), kind, service_date,
                                     errors, _)
    point = (_geocode(text["address"], "address", area, errors, _)
             if text["address"] and "address" not in errors else None)
    pickup_name, pickup = ((None, None) if "pickup" in errors else
                           _pickup(text["pickup"], kind, partner, area, errors, _))
    if (service_date is not None and "service_date" not in errors and pickup is not None
            and at_partner(partner, pickup.lat, pickup.lon)
            and opening_hours(partner, service_date) == []):
        errors["service_date"] = _("the pickup place {place} is closed on {weekday}",
                                   place=partner.pickup_name or partner.name,
                                   weekday=_(WEEKDAY_NAMES[service_date.weekday()]))
    if errors:
        return None, errors
    return OrderDraft(
        recipient=text["recipient"], point=point, phone=text["phone"] or None, kind=kind,
        service_date=service_date, windows=windows, pickup_name=pickup_name, pickup=pickup,
        ready_time=ready_time, praatje_minutes=numbers["praatje_minutes"],
        size=numbers["size"] if numbers["size"] is not None else int(kind not in GOODLESS),
        priority=numbers["priority"] or 0,
        hot_meal=flags["hot_meal"] if flags["hot_meal"] is not None else kind == "meal",
        in_person=flags["in_person"] if flags["in_person"] is not None
        else kind in ("medicine", "visit", "klusje"),
        note=text["note"], reference=text["reference"] or None,
        flexible_until=flexible_until), {}


def _text(payload, name, errors, _) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or CONTROL.search(value):
        errors[name] = _("must be text")
        return ""
    if has_surrogate(value):  # JSON can carry "\ud800"; no database can store it
        errors[name] = _("contains a character that is not valid text")
        return ""
    value = clean(value)  # NFC, no bidi controls or zero-width characters
    value = " ".join(value.split()) if name != "note" else value.strip()
    if len(value) > LENGTHS[name]:
        errors[name] = _("is too long (at most {n} characters)", n=LENGTHS[name])
    return value


def iso_date(value: object) -> date | None:
    """``value`` as a date when it is one written as 2025-03-14 (and exists), else None."""
    if not isinstance(value, str) or not DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _service_date(value, today: date, errors, _) -> date | None:
    if value in (None, "") or "service_date" in errors:
        return None
    day = iso_date(value)
    if day is None:
        errors["service_date"] = _("must be a date like 2025-03-14")
    elif day < today:
        errors["service_date"] = _("lies in the past")
    elif day > today + timedelta(days=DAYS_AHEAD):
        errors["service_date"] = _("lies more than {n} days ahead", n=DAYS_AHEAD)
    return day


def _flexible_until(value, kind, service_date: date | None, errors, _) -> date | None:
    """The last day a parcel may still be brought when its own day has no room."""
    if value in (None, "") or "flexible_until" in errors:
        return None
    day = iso_date(value)
    if day is None:
        errors["flexible_until"] = _("must be a date like 2025-03-14")
    elif kind != "parcel":
        errors["flexible_until"] = _("only a parcel can go on a later day")
    elif service_date is not None and day < service_date:
        errors["flexible_until"] = _("lies before the date")
    elif service_date is not None and day > service_date + timedelta(days=FLEXIBLE_DAYS):
        errors["flexible_until"] = _("lies more than {n} days after the date",
                                     n=FLEXIBLE_DAYS)
    return day


def _windows(value, errors, _) -> list[list[str]]:
    if not isinstance(value, list):
        errors["windows"] = _("must be a list of time windows")
        return []
    if any(isinstance(item, dict) and any(isinstance(v, str) and foreign_digits(v)
                                          for v in item.values()) for item in value):
        errors["windows"] = _("use the digits 0 to 9")
        return []
    if len(value) > MAX_WINDOWS:
        errors["windows"] = _("at most {n} time windows", n=MAX_WINDOWS)
        return []
    out = []
    for item in value:
        start, end = (item.get("start"), item.get("end")) if isinstance(item, dict) else (0, 0)
        if not (isinstance(start, str) and TIME.match(start) and isinstance(end, str)
                and TIME.match(end)) or set(item) - {"start", "end"}:
            errors["windows"] = _("must be a time window like 11:30-12:30")
            return []
        if minutes(end) <= minutes(start):
            errors["windows"] = _("the window must end after it starts")
            return []
        out.append([start, end])
    out.sort()
    if any(minutes(b[0]) < minutes(a[1]) for a, b in pairwise(out)):
        errors["windows"] = _("time windows overlap")
        return []
    return out


def _integer(payload, name, errors, _) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = _("must be a whole number")
        return None
    low, high = LIMITS[name]
    if not low <= value <= high:
        errors[name] = _("must be between {low} and {high}", low=low, high=high)
    return value


def _flag(payload, name, errors, _) -> bool | None:
    value = payload.get(name)
    if value is not None and not isinstance(value, bool):
        errors[name] = _("must be yes or no")
        return None
    return value


def _geocode(query: str, field: str, area, errors, _) -> GeoPoint | None:
    try:
        point = area.geocoder.lookup(query)
    except AddressNotFound as exc:
        reason = _("is not a known address in {area}", area=_(area.title))
        if exc.candidates:
            reason += ". " + _("Did you mean: {candidates}?", candidates="; ".join(exc.candidates))
        errors[field] = reason
        return None
    if point.buurt is None:
        errors[field] = _("lies outside the buurten of {area}", area=_(area.title))
        return None
    return point


def _pickup(query: str, kind, partner: Partner, area, errors, _):
    """The pickup: a named place of the area, an address, or the partner's own place."""
    if kind == "visit":
        if query:
            errors["pickup"] = _("a house call has no pickup place")
        return None, None
    if not query:
        if partner.pickup_lat is not None and kind in ("medicine", "meal", "parcel"):
            return partner.pickup_name, GeoPoint(partner.pickup_lat, partner.pickup_lon,
                                                 partner.pickup_address, None)
        if kind in ("medicine", "meal", "parcel"):
            errors["pickup"] = _("needs a pickup place")
        return None, None
    for place in area.places:
        if place.name.casefold() == query.casefold():
            return place.name, GeoPoint(place.lat, place.lon, place.address, place.buurt)
    if query.casefold() == partner.pickup_name.casefold() and partner.pickup_lat is not None:
        return partner.pickup_name, GeoPoint(partner.pickup_lat, partner.pickup_lon,
                                             partner.pickup_address, None)
    point = _geocode(query, "pickup", area, errors, _)
    return (point.address, point) if point else (None, None)


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def at_partner(partner: Partner, lat: float | None, lon: float | None) -> bool:
    """Whether a pickup at (lat, lon) is the partner's own pickup place (its hours apply)."""
    return (partner.pickup_lat is not None and lat is not None
            and abs(partner.pickup_lat - lat) < 1e-7 and abs(partner.pickup_lon - lon) < 1e-7)


def opening_hours(partner: Partner, day: date) -> list[list[str]] | None:
    """The partner's opening hours on ``day``: None when it gave none (open whenever an order
    is ready), an empty list when it is closed that weekday."""
    if partner.opening_hours is None:
        return None
    return partner.opening_hours.get(str(day.weekday()), [])


def inactive_resident(session: Session, draft: OrderDraft, org_id: int,
                      _: Gettext) -> dict[str, str]:
    """``{"recipient": reason}`` when the draft names a resident the coordinator switched off
    (moved, died): nobody may order for them any more."""
    active = session.scalar(select(Resident.active).where(
        Resident.org_id == org_id, Resident.name == draft.recipient,
        Resident.address == draft.point.address))
    if active is False:
        return {"recipient": _("is no longer served (moved or died); ask the coordinator")}
    return {}


def over_daily_cap(session: Session, partner: Partner, day: date, cap: int, _: Gettext,
                   order_id: int | None = None) -> str | None:
    """The reason an order of ``partner`` on ``day`` would exceed its daily cap, or None.

    Counts the partner's orders of that day that are not cancelled, including ones added to
    ``session`` but not yet committed (a CSV upload); ``order_id`` is an order being moved.

    On PostgreSQL the partner's orders are first locked until this transaction ends: two web
    processes counting at once would otherwise both find room for the last order. (SQLite
    serves one machine; there the window is the few milliseconds between count and commit.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(:space AS int), CAST(:partner AS int))"),
                        {"space": CAP_LOCK_SPACE, "partner": partner.id})
    query = select(func.count(Order.id)).where(Order.partner_id == partner.id,
                                               Order.service_date == day,
                                               Order.status != "cancelled")
    if order_id is not None:
        query = query.where(Order.id != order_id)
    count = session.scalar(query) or 0
    if count >= cap:
        return _("the limit is {cap} orders a day per partner; {date} already has {count}",
                 cap=cap, date=day.isoformat(), count=count)
    return None


def reference_taken(session: Session, partner_id: int, reference: str | None,
                    order_id: int | None = None) -> int | None:
    """The id of another order of this partner that already uses ``reference``."""
    if not reference:
        return None
    other = session.scalar(select(Order.id).where(Order.partner_id == partner_id,
                                                  Order.reference == reference))
    return other if other != order_id else None


def resident_for(session: Session, draft: OrderDraft, org_id: int) -> Resident:
    """The organisation's stored resident of this name and address, added if new. Two requests
    adding the same new resident at once both get the one row: the insert does nothing on a
    conflict and the row is read again (no UNIQUE error, no duplicate); otherwise the insert
    answers the new row itself (one round trip fewer on every new resident)."""
    where = (Resident.org_id == org_id, Resident.name == draft.recipient,
             Resident.address == draft.point.address)
    resident = session.scalar(select(Resident).where(*where))
    if resident is not None:
        return resident
    values = {"org_id": org_id, "name": draft.recipient, "address": draft.point.address,
              "lat": draft.point.lat, "lon": draft.point.lon, "buurt": draft.point.buurt}
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        import importlib

        insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
        added = session.scalars(insert(Resident).values(**values).on_conflict_do_nothing(
            index_elements=["org_id", "name", "address"]).returning(Resident)).first()
        return added if added is not None else session.scalar(select(Resident).where(*where))
    resident = Resident(**values)
    session.add(resident)
    return resident


def apply(order: Order, draft: OrderDraft, resident: Resident) -> None:
    """Copy a draft onto an order (new or changed)."""
    order.resident = resident
    order.kind = draft.kind
    order.phone = draft.phone
    order.service_date = draft.service_date
    order.windows = draft.windows
    order.pickup_name = draft.pickup_name
    order.pickup_address = draft.pickup.address if draft.pickup else None
    order.pickup_lat = draft.pickup.lat if draft.pickup else None
    order.pickup_lon = draft.pickup.lon if draft.pickup else None
    order.ready_time = draft.ready_time
    order.praatje_minutes = draft.praatje_minutes
    order.size = draft.size
    order.priority = draft.priority
    order.hot_meal = draft.hot_meal
    order.in_person = draft.in_person
    order.note = draft.note
    order.reference = draft.reference
    order.flexible_until = draft.flexible_until


def update(session: Session, order: Order, draft: OrderDraft,
           user_id: int | None = None) -> list[str]:
    """Change an order and note in its history which fields changed (names, not values)."""
    before = as_payload(order)
    apply(order, draft, resident_for(session, draft, order.org_id))
    after = as_payload(order)
    changed = sorted(name for name in set(before) | set(after)
                     if before.get(name) != after.get(name))
    if changed:
        order.events.append(OrderEvent(org_id=order.org_id, status=order.status, user_id=user_id,
                                       note="changed: " + ", ".join(changed)))
    return changed


def create(session: Session, partner: Partner, draft: OrderDraft,
           user_id: int | None = None, org_id: int | None = None) -> Order:
    """Add a new order for the cooperative ``org_id`` (default: the session's one) with its
    first history line; the caller commits."""
    org_id = org_id or tenancy.org_id(session)
    order = Order(partner=partner, status="submitted", org_id=org_id)
    apply(order, draft, resident_for(session, draft, org_id))
    order.events.append(OrderEvent(status="submitted", user_id=user_id, org_id=org_id))
    session.add(order)
    return order


def as_payload(order: Order) -> dict[str, Any]:
    """An order as the typed payload ``validate`` takes (for edits: change some, keep the rest)."""
    payload = {
        "recipient": order.resident.name, "address": order.resident.address,
        "phone": order.phone, "kind": order.kind,
        "service_date": order.service_date.isoformat(),
        "windows": [{"start": s, "end": e} for s, e in order.windows],
        "pickup": order.pickup_name if order.pickup_name else None,
        "ready_time": order.ready_time, "praatje_minutes": order.praatje_minutes,
        "size": order.size, "priority": order.priority, "hot_meal": order.hot_meal,
        "in_person": order.in_person, "note": order.note, "reference": order.reference,
        "flexible_until": order.flexible_until.isoformat() if order.flexible_until else None,
    }
    return {k: v for k, v in payload.items() if v is not None}
