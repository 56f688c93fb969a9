"""Dates and times as people read them: in the cooperative's time zone, in the page's language.

The store keeps times in UTC (naive ``datetime``s from ``store.utcnow``) and service days as
dates; pages show them through the Jinja filters below ("zondag 29 november 2026", "09:48"),
never as ISO text or UTC. Names and formats are Babel's (``web.i18n.long_date``), so they
follow the page's language; the time zone is the cooperative's (``tenancy.zone``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Flask, current_app
from flask_babel import format_date

from . import today
from .i18n import long_date

A_MONDAY = date(2024, 1, 1)


def _zone():
    from .db import db
    from .tenancy import zone

    return zone(db())


def local_today() -> date:
    """Today in the request's cooperative."""
    return today(current_app, _zone())


def short_day(day: date) -> str:
    """"ma 30 nov." (Dutch) or "Mon 30 Nov": a column of the week."""
    return format_date(day, "EEE d MMM")


def weekday(number: int) -> str:
    """0 → "maandag"."""
    return format_date(A_MONDAY + timedelta(days=number), "EEEE")


def local(at: datetime) -> datetime:
    """A stored UTC time in the cooperative's time zone."""
    return at.replace(tzinfo=timezone.utc).astimezone(_zone())


def local_time(at: datetime | None) -> str:
    """A stored UTC time as "HH:MM" where the cooperative is."""
    return local(at).strftime("%H:%M") if at is not None else ""


def local_datetime(at: datetime | None) -> str:
    """A stored UTC time as "29 nov. 2026 09:29" where the cooperative is."""
    if at is None:
        return ""
    moment = local(at)
    return f"{format_date(moment.date(), 'd MMM y')} {moment:%H:%M}"


def local_timestamp(at: datetime | None) -> str:
    """A stored UTC time as "2026-11-29 09:29:13" where the cooperative is (the access log,
    where the second matters and rows are compared)."""
    return local(at).strftime("%Y-%m-%d %H:%M:%S") if at is not None else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(long_day=long_date, short_day=short_day, weekday=weekday,
                                 local_time=local_time, local_datetime=local_datetime,
                                 local_timestamp=local_timestamp)
