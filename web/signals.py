"""Signals: what an assistant notices at a door or in the buurt, and its follow-up.

The buurtassistent's first role is signalling: a trusted face who notices loneliness and early
signs of trouble. A signal is a category, an urgency, a short note of what was seen or heard
(an observation, never a diagnosis: the form says so) and, optionally, the resident it is
about. It is recorded in a few taps, also without a connection: the phone keeps it in an
outbox with an id it made itself, so a signal sent twice is stored once (as marks are,
``web.facts``).

Signals are health-related personal data: only the coordinator reads them (access logged),
partners never do, an assistant may link only residents of her own rounds, and they are
removed a while after they were closed (``RETAIN_SIGNAL_DAYS``, ``web.retention``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .facts import CLIENT_ID
from .refused import Refused
from .hygiene import clean, has_surrogate
from .store import (SIGNAL_CATEGORIES, SIGNAL_URGENCIES, Assistant, Fact, Order, Resident,
                    Signal, SignalNote, get, utcnow)

NOTE_LENGTH = 500
#: How far back a signal sent late from the phone may say it was noticed.
MAX_AGO = 7 * 24 * 3600
#: An assistant may link a resident she visited (or has in a round) within this many days.
RECENT_DAYS = 14


@dataclass(frozen=True)
class Draft:
    client_id: str
    category: str
    urgency: str
    note: str
    resident_id: int | None
    buurt: str
    ago: int


def _text(value, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Refused(name, "must be text")
    if has_surrogate(value):
        raise Refused(name, "contains characters that are not text")
    value = clean(value).strip()
    if len(value) > limit:
        raise Refused(name, "is too long (at most {n} characters)", n=limit)
    return value


def validate(body: dict, buurten: list[str]) -> Draft:
    """A signal's fields from a form or JSON body; the first bad field is refused, named."""
    client_id = body.get("event_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise Refused("event_id", "must be 8 to 40 letters, digits, '-' or '_'")
    category = body.get("category")
    if category not in SIGNAL_CATEGORIES:
        raise Refused("category", "must be one of {options}",
                      options=", ".join(SIGNAL_CATEGORIES))
    urgency = body.get("urgency")
    if urgency not in SIGNAL_URGENCIES:
        raise Refused("urgency", "must be one of {options}", options=", ".join(SIGNAL_URGENCIES))
    note = _text(body.get("note"), "note", NOTE_LENGTH)
    if not note:
        raise Refused("note", "is required: what did you see or hear?")
    resident = body.get("resident_id")
    if resident in (None, ""):
        resident_id = None
    elif isinstance(resident, int) and not isinstance(resident, bool):
        resident_id = resident
    elif isinstance(resident, str) and resident.isascii() and resident.isdigit():
        resident_id = int(resident)
    else:
        raise Refused("resident_id", "must be a resident number")
    buurt = _text(body.get("buurt"), "buurt", 80)
    if buurt and buurt not in buurten:
        raise Refused("buurt", "is not a buurt of the area")
    ago = body.get("ago", 0)
    if isinstance(ago, str) and ago.isascii() and ago.isdigit():
        ago = int(ago)
    if not isinstance(ago, int) or isinstance(ago, bool) or not 0 <= ago <= MAX_AGO:
        raise Refused("ago", "must be the whole seconds since the tap (0 to {most})",
                      most=MAX_AGO)
    return Draft(client_id, category, urgency, note, resident_id, buurt, ago)


def visits(session: Session, assistant: Assistant, resident_id: int, today: date,
           round_residents: set[int]) -> bool:
    """Whether the assistant may link this resident: in her round today, or at their door
    (or carrying their goods) in the last ``RECENT_DAYS`` days."""
    if resident_id in round_residents:
        return True
    since = today - timedelta(days=RECENT_DAYS)
    return session.scalar(select(Fact.id).join(Order, Order.id == Fact.order_id).where(
        Order.resident_id == resident_id, Fact.assistant_id == assistant.id,
        Fact.service_date >= since).limit(1)) is not None


def record(session: Session, draft: Draft, assistant: Assistant, user_id: int, today: date,
           round_residents: set[int]) -> tuple[Signal, bool]:
    """Store the signal (the caller commits); a replay of its id answers the stored one.
    Returns (signal, replayed)."""
    stored = session.scalar(select(Signal).where(Signal.client_id == draft.client_id))
    if stored is not None:
        if stored.assistant_id != assistant.id or stored.note != draft.note:
            raise Refused("event_id", "was used for another signal", 409)
        return stored, True
    resident = None
    if draft.resident_id is not None:
        resident = get(session, Resident, draft.resident_id)
        if resident is None or not visits(session, assistant, resident.id, today,
                                          round_residents):
            raise Refused("resident_id", "is not a resident of your rounds", 404)
    noticed = utcnow() - timedelta(seconds=draft.ago)
    signal = Signal(client_id=draft.client_id, category=draft.category,
                    urgency=draft.urgency, note=draft.note,
                    resident_id=resident.id if resident else None,
                    buurt=draft.buurt or (resident.buurt if resident else "") or "",
                    assistant_id=assistant.id, user_id=user_id, noticed_at=noticed,
                    status="open")
    session.add(signal)
    session.flush()
    return signal, False


def assign(signal: Signal, user_id: int, due: date) -> None:
    signal.follow_up_user_id, signal.follow_up_due = user_id, due
    if signal.assigned_at is None:
        signal.assigned_at = utcnow()
    if signal.status == "open":
        signal.status = "assigned"


def add_note(session: Session, signal: Signal, user_id: int, text: str) -> SignalNote:
    note = SignalNote(signal_id=signal.id, user_id=user_id, text=text)
    session.add(note)
    signal.notes.append(note)
    return note


def close(signal: Signal, user_id: int) -> None:
    signal.status, signal.closed_at, signal.closed_by = "closed", utcnow(), user_id

