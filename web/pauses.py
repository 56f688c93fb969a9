"""Pausing a resident's standing orders: from a safety alert ("in ziekenhuis") or by hand.

A pause is a row (``resident_pauses``), never a change to the standing orders themselves, so
lifting it brings everything back as it was. Whatever makes orders from standing orders asks
:func:`paused` for each resident and day before it makes one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .store import ResidentPause

REASON_LENGTH = 200


def pause(session: Session, resident_id: int, start: date, until: date | None, reason: str,
          user_id: int | None = None, alert_id: int | None = None) -> ResidentPause:
    """Pause the resident's standing orders from ``start`` through ``until`` (None: until
    lifted); the caller commits."""
    if until is not None and until < start:
        raise ValueError("until: must not be before the start")
    row = ResidentPause(resident_id=resident_id, start=start, until=until,
                        reason=reason[:REASON_LENGTH], created_by=user_id, alert_id=alert_id)
    session.add(row)
    return row


def paused(session: Session, resident_id: int, day: date) -> bool:
    """Whether the resident's standing orders are paused on ``day``."""
    return session.scalar(select(ResidentPause.id).where(
        ResidentPause.resident_id == resident_id, ResidentPause.lifted_at.is_(None),
        ResidentPause.start <= day,
        ResidentPause.until.is_(None) | (ResidentPause.until >= day)).limit(1)) is not None


def current(session: Session, resident_id: int, day: date) -> list[ResidentPause]:
    """The resident's pauses in force on ``day`` or later (for the resident's page)."""
    return list(session.scalars(select(ResidentPause).where(
        ResidentPause.resident_id == resident_id, ResidentPause.lifted_at.is_(None),
        ResidentPause.until.is_(None) | (ResidentPause.until >= day))
        .order_by(ResidentPause.start)))
