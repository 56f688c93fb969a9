"""An assistant's usual week and absences, and the shifts they make for a date.

The coordinator sets each assistant's week once (Mon–Thu 09:00–17:00, a 30-minute break
between 12:00 and 13:30) and records absences (sick, holiday, a day off); the shifts of a date
then follow from that. Making them is idempotent and may run whenever a day is looked at or
planned: a shift the template made (``source`` "template") is made again to match the
template, or removed when the assistant is away; a shift the coordinator set by hand for that
day (``source`` "hand") is kept as it is. Days in the past and a day on which the assistant has
already done stops are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import fields
from .fields import WEEKDAYS, Errors, Gettext
from .orders import minutes
from .store import ABSENCE_KINDS, Absence, Assistant, Availability, Fact, Shift

MAX_BREAK = 120


@dataclass(frozen=True)
class Day:
    """One weekday of the template, validated."""

    weekday: int
    start: str
    end: str
    break_minutes: int = 0
    break_from: str | None = None
    break_until: str | None = None


def read_day(form: Mapping[str, str], weekday: int, errors: Errors, _: Gettext) -> Day | None:
    """The weekday's fields (``{prefix}{day}_start`` etc.; empty start and end: not working
    that day) as a :class:`Day`, or None; reasons go under the field names."""
    key = WEEKDAYS[weekday]
    names = {part: f"{key}_{part}" for part in ("start", "end", "break_minutes",
                                                  "break_from", "break_until")}
    if not (form.get(names["start"]) or "").strip() and not (form.get(names["end"]) or
                                                               "").strip():
        return None
    before = len(errors)
    start = fields.time_of_day(form, names["start"], errors, _, required=True)
    end = fields.time_of_day(form, names["end"], errors, _, required=True)
    pause = fields.number(form, names["break_minutes"], errors, _, 0, MAX_BREAK) or 0
    break_from = fields.time_of_day(form, names["break_from"], errors, _)
    break_until = fields.time_of_day(form, names["break_until"], errors, _)
    if len(errors) > before:
        return None
    if minutes(end) <= minutes(start):
        errors[names["end"]] = _("the window must end after it starts")
        return None
    if pause and pause >= minutes(end) - minutes(start):
        errors[names["break_minutes"]] = _("is longer than the shift")
        return None
    if break_from and not minutes(start) <= minutes(break_from) < minutes(end):
        errors[names["break_from"]] = _("lies outside the shift")
        return None
    if break_until and (break_from is None or minutes(break_until) <= minutes(break_from)
                        or minutes(break_until) > minutes(end)):
        errors[names["break_until"]] = _("must lie after the break's start, in the shift")
        return None
    if (break_from or break_until) and not pause:
        errors[names["break_minutes"]] = _("is required")
        return None
    return Day(weekday, start, end, pause, break_from if pause else None,
               break_until if pause else None)


def set_week(session: Session, assistant: Assistant, days: list[Day]) -> None:
    """Replace the assistant's template by ``days`` (the caller commits)."""
    for row in session.scalars(select(Availability).where(
            Availability.assistant_id == assistant.id)):
        session.delete(row)
    session.flush()
    for day in days:
        session.add(Availability(assistant_id=assistant.id, weekday=day.weekday,
                                 start=day.start, end=day.end, break_minutes=day.break_minutes,
                                 break_from=day.break_from, break_until=day.break_until))


def week(session: Session, assistant_id: int) -> dict[int, Availability]:
    return {row.weekday: row for row in session.scalars(select(Availability).where(
        Availability.assistant_id == assistant_id))}


def absent(session: Session, assistant_id: int, day: date) -> Absence | None:
    return session.scalar(select(Absence).where(
        Absence.assistant_id == assistant_id, Absence.first_day <= day,
        Absence.last_day >= day).limit(1))


def _template_values(assistant: Assistant, row: Availability) -> dict:
    return {"start": row.start, "end": row.end, "break_minutes": row.break_minutes,
            "break_from": row.break_from, "break_until": row.break_until,
            "start_address": assistant.start_address, "start_lat": assistant.start_lat,
            "start_lon": assistant.start_lon, "end_address": assistant.end_address,
            "end_lat": assistant.end_lat, "end_lon": assistant.end_lon}


def make_shifts(session: Session, day: date, today: date) -> int:
    """Bring the template shifts of ``day`` in line with the templates and absences of the
    session's cooperative; answers how many shifts were added, changed or removed (the caller
    commits). Hand-set shifts, past days and days with done stops stay as they are."""
    if day < today:
        return 0
    shifts: dict[int, list[Shift]] = {}
    for shift in session.scalars(select(Shift).where(Shift.service_date == day)):
        shifts.setdefault(shift.assistant_id, []).append(shift)
    templates = {row.assistant_id: row for row in session.scalars(
        select(Availability).where(Availability.weekday == day.weekday()))}
    worked = set(session.scalars(select(Fact.assistant_id).where(Fact.service_date == day)))
    changes = 0
    for assistant in session.scalars(select(Assistant).order_by(Assistant.id)):
        own = shifts.get(assistant.id, [])
        if any(s.source == "hand" for s in own) or assistant.id in worked:
            continue
        row = templates.get(assistant.id)
        wanted = None if (row is None or not assistant.active
                          or absent(session, assistant.id, day)) else row
        if wanted is None:
            for shift in own:
                session.delete(shift)
                changes += 1
            continue
        values = _template_values(assistant, wanted)
        if not own:
            session.add(Shift(assistant_id=assistant.id, service_date=day, source="template",
                              **values))
            changes += 1
            continue
        shift = own[0]
        if any(getattr(shift, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(shift, k, v)
            changes += 1
    if changes:
        session.flush()
    return changes


def remake(session: Session, first: date, last: date, today: date) -> None:
    """Make the shifts of ``first``..``last`` (from today on, at most two weeks: later days
    are made when they are looked at) follow the weeks and absences again."""
    start = max(first, today)
    for n in range(min((last - start).days + 1, 15)):
        make_shifts(session, start + timedelta(days=n), today)


def add_absence(session: Session, assistant: Assistant, form: Mapping[str, str],
                _: Gettext) -> tuple[Absence | None, Errors]:
    """An absence from the form's ``kind``, ``first_day`` and ``last_day`` (ISO dates)."""
    errors: Errors = {}
    kind = fields.choice(form, "kind", ABSENCE_KINDS, errors, _)
    first = fields.day(form, "first_day", errors, _, required=True)
    last = fields.day(form, "last_day", errors, _) or first
    if first and last and last < first:
        errors["last_day"] = _("lies before the first day")
    if first and last and (last - first).days > 366:
        errors["last_day"] = _("lies more than a year after the first day")
    if errors:
        return None, errors
    absence = Absence(assistant_id=assistant.id, kind=kind, first_day=first, last_day=last)
    session.add(absence)
    return absence, {}

