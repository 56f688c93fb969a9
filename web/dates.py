"""Dates and times as people read them: in the cooperative's time zone, in the page's language.

The store keeps times in UTC (naive ``datetime``s from ``store.utcnow``) and service days as
dates; pages show them through the Jinja filters below ("zondag 29 november 2026", "09:48"),
never as ISO text or UTC. A small helper on purpose: the names come from ``web.i18n`` like any
other text, so switching to Babel's date formatting later replaces this module only.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Flask, current_app

from . import today
from .i18n import gettext as _

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
MONTH_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")


def _zone():
    from .db import db
    from .tenancy import zone

    return zone(db())


def local_today() -> date:
    """Today in the request's cooperative."""
    return today(current_app, _zone())


def long_day(day: date) -> str:
    """"zondag 29 november 2026" (Dutch) or "Sunday 29 November 2026"."""
    return _("{weekday} {day} {month} {year}", weekday=_(WEEKDAY_NAMES[day.weekday()]),
             day=day.day, month=_(MONTH_NAMES[day.month - 1]), year=day.year)


def short_day(day: date) -> str:
    """"ma 30 nov" (Dutch) or "Mon 30 Nov": a column of the week."""
    return _("{weekday} {day} {month}", weekday=_(WEEKDAY_SHORT[day.weekday()]), day=day.day,
             month=_(MONTH_SHORT[day.month - 1]))


def weekday(number: int) -> str:
    """0 → "maandag"."""
    return _(WEEKDAY_NAMES[number])


def local(at: datetime) -> datetime:
    """A stored UTC time in the cooperative's time zone."""
    return at.replace(tzinfo=timezone.utc).astimezone(_zone())


def local_time(at: datetime | None) -> str:
    """A stored UTC time as "HH:MM" where the cooperative is."""
    return local(at).strftime("%H:%M") if at is not None else ""


def local_datetime(at: datetime | None) -> str:
    """A stored UTC time as "29 nov 2026 09:29" where the cooperative is."""
    if at is None:
        return ""
    moment = local(at)
    return _("{day} {month} {year} {time}", day=moment.day,
             month=_(MONTH_SHORT[moment.month - 1]), year=moment.year,
             time=moment.strftime("%H:%M"))


def local_timestamp(at: datetime | None) -> str:
    """A stored UTC time as "2026-11-29 09:29:13" where the cooperative is (the access log,
    where the second matters and rows are compared)."""
    return local(at).strftime("%Y-%m-%d %H:%M:%S") if at is not None else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(long_day=long_day, short_day=short_day, weekday=weekday,
                                 local_time=local_time, local_datetime=local_datetime,
                                 local_timestamp=local_timestamp)
