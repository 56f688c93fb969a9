"""Checks shared by the coordinator's administration forms and the same CLI commands.

Each check reads one field of a form (a mapping of strings), answers the typed value and, when
the value is wrong, puts the reason under the field's name in ``errors`` in ``_``'s language,
so the web shows it in Dutch beside the field and the CLI prints ``field: reason``. No Flask.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Mapping

from routing.geocode import GeoPoint

from .i18n import N_
from .hygiene import clean, foreign_digits, has_surrogate, is_number
from .orders import CONTROL, MEDICINE_HINT, PHONE, WINDOW, _geocode, hhmm, iso_date, minutes

Gettext = Callable[..., str]
Errors = dict[str, str]
#: Weekday numbers (Monday is 0) as forms and the CLI name them.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
                 N_("Saturday"), N_("Sunday"))
#: (form name, English name) of each weekday, Monday first.
WEEK = tuple(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True))


def text(form: Mapping[str, str], name: str, errors: Errors, _: Gettext, limit: int,
         required: bool = False, medical_check: bool = False) -> str:
    """Plain text of at most ``limit`` characters (NFC, no invisible characters)."""
    value = form.get(name) or ""
    if CONTROL.search(value) or has_surrogate(value):
        errors[name] = _("must be text")
        return ""
    value = " ".join(clean(value).split())
    if required and not value:
        errors[name] = _("is required")
    elif len(value) > limit:
        errors[name] = _("is too long (at most {n} characters)", n=limit)
    elif medical_check and MEDICINE_HINT.search(value):
        errors[name] = _("looks like a medicine name or dose; never put medicines in notes")
    return value


def number(form: Mapping[str, str], name: str, errors: Errors, _: Gettext, low: int,
           high: int) -> int | None:
    """A whole number from ``low`` to ``high``; empty is None."""
    value = (form.get(name) or "").strip()
    if not value:
        return None
    if not is_number(value):
        errors[name] = _("use the digits 0 to 9") if foreign_digits(value) else _(
            "must be a whole number")
        return None
    if not low <= int(value) <= high:
        errors[name] = _("must be between {low} and {high}", low=low, high=high)
        return None
    return int(value)


def phone(form: Mapping[str, str], name: str, errors: Errors, _: Gettext) -> str | None:
    value = (form.get(name) or "").strip()
    if foreign_digits(value):
        errors[name] = _("use the digits 0 to 9")
    elif len(value) > 32:
        errors[name] = _("is too long (at most {n} characters)", n=32)
    elif value and not PHONE.match(value):
        errors[name] = _("is not a phone number")
    else:
        return value or None
    return None


def time_of_day(form: Mapping[str, str], name: str, errors: Errors, _: Gettext,
                required: bool = False) -> str | None:
    """"9:30" or "09.30" → "09:30"; empty is None (or "is required")."""
    value = (form.get(name) or "").strip()
    if not value:
        if required:
            errors[name] = _("is required")
        return None
    if foreign_digits(value):
        errors[name] = _("use the digits 0 to 9")
        return None
    found = hhmm(value)
    if found is None:
        errors[name] = _("must be a time like 09:30")
    return found


def choice(form: Mapping[str, str], name: str, options, errors: Errors, _: Gettext) -> str:
    value = (form.get(name) or "").strip()
    if value not in options:
        errors[name] = _("must be one of: {options}", options=", ".join(options))
    return value


def place(form: Mapping[str, str], name: str, area, errors: Errors, _: Gettext,
          required: bool = False) -> GeoPoint | None:
    """A named place of the area (the buurthuis) or an address in its buurten, found with the
    area's geocoder as orders' addresses are; empty is None."""
    query = text(form, name, errors, _, 200, required=required)
    if not query or name in errors:
        return None
    if foreign_digits(query):
        errors[name] = _("use the digits 0 to 9")
        return None
    for known in area.places:
        if known.name.casefold() == query.casefold():
            return GeoPoint(known.lat, known.lon, known.address or known.name, known.buurt)
    return _geocode(query, name, area, errors, _)


def hours(value: str, name: str, errors: Errors, _: Gettext) -> list[list[str]]:
    """Opening hours of one day, "09:00-12:00, 13:00-17:30" → [["09:00", "12:00"], ...];
    empty is closed (an empty list)."""
    if foreign_digits(value):
        errors[name] = _("use the digits 0 to 9")
        return []
    out = []
    for part in filter(None, (p.strip() for p in value.replace(";", ",").split(","))):
        match = WINDOW.match(part)
        start, end = (hhmm(match[1]), hhmm(match[2])) if match else (None, None)
        if start is None or end is None:
            errors[name] = _("must be a time window like 11:30-12:30")
            return []
        if minutes(end) <= minutes(start):
            errors[name] = _("the window must end after it starts")
            return []
        out.append([start, end])
    out.sort()
    if any(minutes(b[0]) < minutes(a[1]) for a, b in zip(out, out[1:], strict=False)):
        errors[name] = _("time windows overlap")
        return []
    return out


def hours_text(windows: list[list[str]] | None) -> str:
    return ", ".join(f"{s}-{e}" for s, e in windows or ())


def day(form: Mapping[str, str], name: str, errors: Errors, _: Gettext,
        required: bool = False) -> date | None:
    """An ISO date ("2025-03-14"); empty is None (or "is required")."""
    value = (form.get(name) or "").strip()
    if not value:
        if required:
            errors[name] = _("is required")
        return None
    day = iso_date(value)
    if day is not None:
        return day
    errors[name] = _("use the digits 0 to 9") if foreign_digits(value) else _(
        "must be a date like 2025-03-14")
    return None


def report(errors: Errors, labels: Mapping[str, str], _: Gettext) -> list[str]:
    """``Label: reason`` lines for a flash message or the CLI."""
    return [f"{_(labels.get(name, name))}: {reason}" for name, reason in errors.items()]
