"""Standing orders: an order template that repeats on weekdays, every week or every N weeks.

A standing order is validated as an order is (``web.orders.validate``, its start date in the
place of the service date) plus its repetition. Its orders are made day by day, when someone
first asks for the day: planning it, a partner's list of it, the API's list of it
(:func:`materialise`). Each day's order is made exactly once: ``orders`` allows one row per
standing order and day, and the insert does nothing when another process made it first. A
cancelled occurrence stays a cancelled order, so asking again never brings it back.

Pauses keep days free: a resident in hospital (every standing order of the resident, or one),
an exception for one date, a cancelled occurrence. A switched-off resident (moved, died) gets
no more occurrences. Orders already made for paused days are cancelled with the pause. No
Flask here; reasons come through ``_`` as in ``web.orders``.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from . import csvorders, orders, tenancy
from .csvorders import RowError
from .i18n import N_
from .orders import Gettext, OrderDraft, iso_date
from .store import (Order, OrderEvent, Partner, PartnerLink, Resident, StandingOrder,
                    StandingPause, utcnow)

#: Weekday names the API takes (Monday first, as ``date.weekday()`` counts).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: ... and what a form or CSV may say for them (English and Dutch, short and long).
WEEKDAY_WORDS = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday",
                                         "friday", "saturday", "sunday"))},
    **{name: i for i, name in enumerate(("ma", "di", "wo", "do", "vr", "za", "zo"))},
    **{name: i for i, name in enumerate(("maandag", "dinsdag", "woensdag", "donderdag",
                                         "vrijdag", "zaterdag", "zondag"))},
}
FIELDS = ("weekdays", "every_weeks", "start_date", "end_date")
#: The columns of a CSV of standing orders: an order's, the start date for the service date.
CSV_FIELDS = tuple(f for f in orders.FIELDS if f != "service_date") + FIELDS
CSV_ALIASES = {**{k: v for k, v in csvorders.DUTCH_COLUMNS.items() if v != "service_date"},
               "weekdagen": "weekdays", "dagen": "weekdays", "om_de_weken": "every_weeks",
               "elke_weken": "every_weeks", "startdatum": "start_date", "vanaf": "start_date",
               "einddatum": "end_date", "tot_en_met": "end_date"}
MAX_EVERY_WEEKS = 8
#: A pause may be this long at most (a longer absence: end the standing order).
MAX_PAUSE_DAYS = 366
REASON_LENGTH = 200
#: Orders in these states can still be called off by a pause or a cancelled occurrence.
OPEN = ("submitted", "planned")


@dataclass(frozen=True)
class Repeat:
    """When a standing order makes an order."""

    weekdays: tuple[int, ...]
    every_weeks: int
    start_date: date
    end_date: date | None

    def occurs(self, day: date) -> bool:
        """Whether ``day`` is one of its days: a chosen weekday, in a week that counts (every
        ``every_weeks`` weeks from the week of the start date), between start and end."""
        if day < self.start_date or (self.end_date is not None and day > self.end_date):
            return False
        if day.weekday() not in self.weekdays:
            return False
        first_monday = self.start_date - timedelta(days=self.start_date.weekday())
        return (day - first_monday).days // 7 % self.every_weeks == 0

    def dates(self, first: date, last: date) -> list[date]:
        """Its days from ``first`` to ``last`` (both included)."""
        return [first + timedelta(days=i) for i in range((last - first).days + 1)
                if self.occurs(first + timedelta(days=i))]


def repeat_of(standing: StandingOrder) -> Repeat:
    return Repeat(tuple(standing.weekdays), standing.every_weeks, standing.start_date,
                  standing.end_date)


@dataclass(frozen=True)
class StandingDraft:
    """A validated standing order: the order it repeats and when."""

    order: OrderDraft
    repeat: Repeat


# --- input ------------------------------------------------------------------------------------

def weekdays_from_text(text: str) -> list[str] | None:
    """"ma wo vr", "Mon, Wed, Fri", "maandag/woensdag" → ["mon", "wed", "fri"]; None when a
    word is not a weekday."""
    out = []
    for word in filter(None, re.split(r"[\s,;/|+]+", text.strip().lower())):
        if word not in WEEKDAY_WORDS:
            return None
        out.append(WEEKDAYS[WEEKDAY_WORDS[word]])
    return out


def from_text(row: Mapping[str, str], _: Gettext) -> tuple[dict[str, Any], dict[str, str]]:
    """Strings of a form or CSV row → the typed payload :func:`validate` takes."""
    own = {k: (row.get(k) or "").strip() for k in FIELDS if k in row}
    payload, errors = orders.from_text({k: v for k, v in row.items() if k not in FIELDS}, _)
    if "weekdays" in own:
        days = weekdays_from_text(own["weekdays"])
        if days is None:
            errors["weekdays"] = _("must be weekdays like: ma wo vr (or mon wed fri)")
        else:
            payload["weekdays"] = days
    if own.get("every_weeks"):
        if re.fullmatch(r"[0-9]{1,3}", own["every_weeks"]):
            payload["every_weeks"] = int(own["every_weeks"])
        else:
            errors["every_weeks"] = _("must be a whole number")
    for name in ("start_date", "end_date"):
        if own.get(name):
            payload[name] = own[name]
    return payload, errors


def validate(payload: Mapping[str, Any], partner: Partner, area, today: date,
             _: Gettext) -> tuple[StandingDraft | None, dict[str, str]]:
    """Check a typed payload: the order fields as ``web.orders.validate`` does (the start date
    stands for the service date: not past, not too far ahead) and the repetition."""
    errors: dict[str, str] = {}
    rest = {k: v for k, v in payload.items() if k not in FIELDS}
    for name in ("service_date", "flexible_until"):
        if name in rest:
            rest.pop(name)
            errors[name] = _("unknown field")
    if payload.get("start_date") is not None:
        rest["service_date"] = payload["start_date"]
    draft, problems = orders.validate(rest, partner, area, today, _)
    if "service_date" in problems:
        errors["start_date"] = problems.pop("service_date")
    errors.update(problems)
    weekdays = _weekdays(payload.get("weekdays"), errors, _)
    every = payload["every_weeks"] if payload.get("every_weeks") is not None else 1
    if isinstance(every, bool) or not isinstance(every, int):
        errors["every_weeks"] = _("must be a whole number")
    elif not 1 <= every <= MAX_EVERY_WEEKS:
        errors["every_weeks"] = _("must be between {low} and {high}", low=1,
                                  high=MAX_EVERY_WEEKS)
    end = _date(payload.get("end_date"), "end_date", errors, _)
    if end is not None and draft is not None and end < draft.service_date:
        errors["end_date"] = _("lies before the start date")
    if errors or draft is None:
        return None, errors
    return StandingDraft(draft, Repeat(weekdays, every, draft.service_date, end)), {}


def _weekdays(value, errors, _) -> tuple[int, ...]:
    if value is None or value == []:
        errors["weekdays"] = _("is required")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v in WEEKDAYS
                                              for v in value):
        errors["weekdays"] = _("must be a list of weekdays from: {options}",
                               options=", ".join(WEEKDAYS))
        return ()
    return tuple(sorted({WEEKDAYS.index(v) for v in value}))


def _date(value, name: str, errors, _) -> date | None:
    if value in (None, ""):
        return None
    day = iso_date(value)
    if day is None:
        errors[name] = _("must be a date like 2025-03-14")
    return day


def parse_pause(payload: Mapping[str, Any], today: date, _: Gettext
                ) -> tuple[tuple[date, date, str] | None, dict[str, str]]:
    """A pause's ``start_date``, ``end_date`` (default: the start, one day) and ``reason``."""
    errors: dict[str, str] = {}
    for name in payload:
        if name not in ("start_date", "end_date", "reason"):
            errors[name] = _("unknown field")
    start = _date(payload.get("start_date"), "start_date", errors, _)
    if start is None and "start_date" not in errors:
        errors["start_date"] = _("is required")
    end = _date(payload.get("end_date"), "end_date", errors, _) or start
    reason = payload.get("reason") or ""
    if not isinstance(reason, str) or orders.CONTROL.search(reason):
        errors["reason"] = _("must be text")
    elif len(reason.strip()) > REASON_LENGTH:
        errors["reason"] = _("is too long (at most {n} characters)", n=REASON_LENGTH)
    elif orders.MEDICINE_HINT.search(reason):
        errors["reason"] = _("looks like a medicine name or dose; never put medicines in notes")
    if start is not None and start < today:
        errors["start_date"] = _("lies in the past")
    if start is not None and end is not None and "end_date" not in errors:
        if end < start:
            errors["end_date"] = _("lies before the start date")
        elif (end - start).days >= MAX_PAUSE_DAYS:
            message = N_("a pause lasts at most {n} days; end the standing order instead")
            errors["end_date"] = _(message, n=MAX_PAUSE_DAYS)
    if errors:
        return None, errors
    return (start, end, " ".join(str(reason).split())), {}


# --- storing --------------------------------------------------------------------------------

def reference_taken(session: Session, partner_id: int, reference: str | None) -> int | None:
    """The id of this partner's standing order that already uses ``reference``."""
    if not reference:
        return None
    return session.scalar(select(StandingOrder.id).where(
        StandingOrder.partner_id == partner_id, StandingOrder.reference == reference))


def create(session: Session, partner: Partner, draft: StandingDraft, _: Gettext,
           user_id: int | None = None) -> tuple[StandingOrder | None, dict[str, str]]:
    """Add the standing order (and its resident, if new); refuse a switched-off resident or
    a reference in use. The caller commits."""
    order = draft.order
    other = reference_taken(session, partner.id, order.reference)
    if other is not None:
        return None, {"reference": _("is already used by standing order {id}", id=other)}
    resident = orders.resident_for(session, order, tenancy.org_id(session))
    if not resident.active:
        return None, {"recipient": _("is switched off (moved away or died): no new orders")}
    repeat = draft.repeat
    standing = StandingOrder(
        partner=partner, resident=resident, weekdays=list(repeat.weekdays),
        every_weeks=repeat.every_weeks, start_date=repeat.start_date,
        end_date=repeat.end_date, kind=order.kind, phone=order.phone,
        windows=order.windows, pickup_name=order.pickup_name,
        pickup_address=order.pickup.address if order.pickup else None,
        pickup_lat=order.pickup.lat if order.pickup else None,
        pickup_lon=order.pickup.lon if order.pickup else None, ready_time=order.ready_time,
        praatje_minutes=order.praatje_minutes, size=order.size, priority=order.priority,
        hot_meal=order.hot_meal, in_person=order.in_person, note=order.note,
        reference=order.reference, created_by=user_id)
    session.add(standing)
    return standing, {}


#: What an order copies from its standing order.
COPIED = ("partner_id", "resident_id", "kind", "phone", "windows", "pickup_name",
          "pickup_address", "pickup_lat", "pickup_lon", "ready_time", "praatje_minutes",
          "size", "priority", "hot_meal", "in_person", "note")


def due(session: Session, day: date) -> list[StandingOrder]:
    """The session's cooperative's standing orders that make an order on ``day``: it is one
    of their days, the resident is active, the partner still serves the cooperative and no
    pause covers it."""
    serving = select(PartnerLink.partner_id).join(Partner, Partner.id == PartnerLink.partner_id
                                                  ).where(PartnerLink.active.is_(True),
                                                          Partner.active.is_(True))
    rows = session.scalars(
        select(StandingOrder).join(Resident, Resident.id == StandingOrder.resident_id)
        .where(StandingOrder.start_date <= day, Resident.active.is_(True),
               StandingOrder.partner_id.in_(serving),
               or_(StandingOrder.end_date.is_(None), StandingOrder.end_date >= day))
        .order_by(StandingOrder.id)).all()
    pauses = session.scalars(select(StandingPause).where(StandingPause.start_date <= day,
                                                         StandingPause.end_date >= day)).all()
    return [s for s in rows if repeat_of(s).occurs(day) and not any(
        p.resident_id == s.resident_id and p.standing_order_id in (None, s.id)
        for p in pauses)]


def materialise(session: Session, day: date, today: date) -> list[int]:
    """Make ``day``'s orders from the standing orders of the session's cooperative, those not
    made yet; answers the ids of the orders this call made. Days before ``today`` are left as
    they were. Safe against another process doing the same at the same moment: the insert
    does nothing where the other made the order (one per standing order and day), and only
    the orders this call inserted get their first history line. Commits."""
    if day < today:
        return []
    org = tenancy.org_id(session)
    todo = due(session, day)
    made = set(session.scalars(select(Order.standing_order_id).where(
        Order.service_date == day, Order.standing_order_id.in_([s.id for s in todo]))))
    dialect = session.get_bind().dialect.name
    insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
    new: list[int] = []
    for standing in todo:
        if standing.id in made:
            continue
        values = {name: getattr(standing, name) for name in COPIED}
        now = utcnow()
        inserted = session.scalar(
            insert(Order).values(org_id=org, standing_order_id=standing.id, service_date=day,
                                 status="submitted", created_at=now, updated_at=now, **values)
            .on_conflict_do_nothing(index_elements=["standing_order_id", "service_date"])
            .returning(Order.id))
        if inserted is not None:
            new.append(inserted)
            session.add(OrderEvent(org_id=org, order_id=inserted, status="submitted",
                                   note=f"standing order {standing.id}"))
    session.commit()
    return new


def materialise_all(session: Session, day: date, today_of) -> list[int]:
    """:func:`materialise` in each cooperative of the session's scope (a partner serving
    several); ``today_of(org)`` is that cooperative's today."""
    scope = tenancy.scope_of(session)
    made: list[int] = []
    for org in sorted(scope.orgs if scope is not None else ()):
        with tenancy.only(session, org):
            made += materialise(session, day, today_of(org))
    return made


def _call_off(session: Session, query, note: str, user_id: int | None) -> list[Order]:
    """Cancel the open orders ``query`` selects, saying why in their history."""
    called = list(session.scalars(query.where(Order.status.in_(OPEN)).order_by(Order.id)))
    for order in called:
        order.set_status("cancelled", user_id, note[:200])
    return called


def pause(session: Session, resident: Resident, standing: StandingOrder | None, start: date,
          end: date, reason: str, user_id: int | None = None) -> list[Order]:
    """Pause one standing order (or, without one, all of the resident's) from ``start`` to
    ``end``; the orders already made for those days are cancelled and answered, so their
    plans can be repaired. The caller commits."""
    session.add(StandingPause(resident_id=resident.id, start_date=start, end_date=end,
                              standing_order_id=standing.id if standing else None,
                              reason=reason, created_by=user_id))
    query = select(Order).where(Order.service_date >= start, Order.service_date <= end)
    if standing is not None:
        query = query.where(Order.standing_order_id == standing.id)
    else:
        query = query.where(Order.standing_order_id.is_not(None),
                            Order.resident_id == resident.id)
    return _call_off(session, query, f"paused {start.isoformat()}–{end.isoformat()}"
                     + (f": {reason}" if reason else ""), user_id)


def cancel_occurrence(session: Session, standing: StandingOrder, day: date, _: Gettext,
                      user_id: int | None = None) -> tuple[list[Order], str | None]:
    """Call off one day of a standing order: no order is made for it, and the one already
    made is cancelled (unless it is under way). Answers (cancelled orders, refusal)."""
    if not repeat_of(standing).occurs(day):
        return [], _("is not a day of this standing order")
    made = session.scalar(select(Order).where(Order.standing_order_id == standing.id,
                                              Order.service_date == day))
    if made is not None and made.status not in (*OPEN, "cancelled"):
        return [], _("This order can no longer be changed: it is {status}.",
                     status=_(made.status))
    return pause(session, standing.resident, standing, day, day, "cancelled", user_id), None


def end(session: Session, standing: StandingOrder, last: date,
        user_id: int | None = None) -> list[Order]:
    """End a standing order after ``last``; orders made for later days are cancelled."""
    standing.end_date = last if standing.end_date is None else min(standing.end_date, last)
    return _call_off(session, select(Order).where(Order.standing_order_id == standing.id,
                                                  Order.service_date > last),
                     "standing order ended", user_id)


@dataclass(frozen=True)
class Occurrence:
    """One day of a standing order as its page shows it."""

    day: date
    order: Order | None
    pause: StandingPause | None


def upcoming(session: Session, standing: StandingOrder, first: date,
             count: int = 8) -> list[Occurrence]:
    """Its next ``count`` days from ``first`` (within a year), each with the order made for it
    or the pause that keeps it free."""
    repeat = repeat_of(standing)
    days = [d for d in repeat.dates(first, first + timedelta(days=365))][:count]
    if not days:
        return []
    made = {o.service_date: o for o in session.scalars(select(Order).where(
        Order.standing_order_id == standing.id, Order.service_date.in_(days)))}
    pauses = pauses_of(session, standing)
    return [Occurrence(d, made.get(d), next((p for p in pauses
                                              if p.start_date <= d <= p.end_date), None))
            for d in days]


def pauses_of(session: Session, standing: StandingOrder) -> list[StandingPause]:
    """The pauses that apply to it: its own and the resident's."""
    return list(session.scalars(select(StandingPause).where(
        StandingPause.resident_id == standing.resident_id,
        or_(StandingPause.standing_order_id.is_(None),
            StandingPause.standing_order_id == standing.id))
        .order_by(StandingPause.start_date, StandingPause.id)))


def pauses_of_resident(session: Session, resident_id: int, day: date) -> list[StandingPause]:
    """The resident's pauses that still hold on ``day`` or later."""
    return list(session.scalars(select(StandingPause).where(
        StandingPause.resident_id == resident_id, StandingPause.end_date >= day)
        .order_by(StandingPause.start_date, StandingPause.id)))


def as_json(standing: StandingOrder) -> dict:
    """A standing order as the API shows it."""
    resident = standing.resident
    return {
        "id": standing.id, "cooperative": standing.organisation.slug,
        "reference": standing.reference, "kind": standing.kind,
        "recipient": resident.name, "address": resident.address, "buurt": resident.buurt,
        "phone": standing.phone,
        "weekdays": [WEEKDAYS[d] for d in standing.weekdays],
        "every_weeks": standing.every_weeks, "start_date": standing.start_date.isoformat(),
        "end_date": standing.end_date.isoformat() if standing.end_date else None,
        "windows": [{"start": s, "end": e} for s, e in standing.windows],
        "pickup": ({"name": standing.pickup_name, "address": standing.pickup_address}
                   if standing.pickup_address is not None else None),
        "ready_time": standing.ready_time, "praatje_minutes": standing.praatje_minutes,
        "size": standing.size, "priority": standing.priority, "hot_meal": standing.hot_meal,
        "in_person": standing.in_person, "note": standing.note,
    }


@dataclass
class Uploaded:
    saved: list[StandingOrder]
    errors: list[RowError]

    @property
    def failed_rows(self) -> int:
        return len({e.row for e in self.errors if e.row > 1})


def upload(session: Session, partner: Partner, data: bytes, area, today: date, _: Gettext,
           user_id: int | None = None, max_rows: int = 2000) -> Uploaded:
    """Standing orders from a CSV file (the order columns and :data:`FIELDS`): every valid row
    is stored, no broken one is, each problem is reported as (row, field, reason); a
    reference used before (stored, or higher up in the file) is an error. Commits once."""
    _columns, rows, errors = csvorders.read(data, _, max_rows, CSV_FIELDS, CSV_ALIASES)
    if any(e.row <= 1 for e in errors):  # an unreadable file or header: store nothing
        return Uploaded([], errors)
    saved: list[StandingOrder] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        payload, problems = from_text(row, _)
        draft, invalid = validate(payload, partner, area, today, _)
        problems = {**invalid, **problems}
        reference = draft.order.reference if draft is not None else None
        if not problems and reference in seen:
            problems["reference"] = _("is already used in row {row}", row=seen[reference])
        if not problems:
            made, problems = create(session, partner, draft, _, user_id)
            if made is not None:
                session.flush()  # the next row's reference check sees it
                saved.append(made)
                if reference:
                    seen[reference] = number
        errors += [RowError(number, field, reason) for field, reason in problems.items()]
    session.commit()
    return Uploaded(saved, errors)
