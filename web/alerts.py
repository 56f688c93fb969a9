"""The safety check at the door: a resident with a meal or medicine who does not open.

Public figures on meal rounds say it plainly: the meal stop doubles as a safety check, and a
resident who does not open is a signal. So a "niet thuis" on a meal or medicine raises an
alert on the coordinator's day screen at once (and through the notifiers, ``web.notify``).
A second "niet thuis" in a row for the same resident — the resident's previous visit, today
or on an earlier day, also found nobody — escalates, whatever the kind of that stop. Two
stops at one door in the same quarter of an hour are one visit: they raise one alert.

The coordinator closes an alert with what was done ("buurvrouw belde: in ziekenhuis") and may
pause the resident's standing orders from there (``web.standing.pause``).
"""

from __future__ import annotations

from babel.dates import format_date

import logging
from datetime import date

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.model import hhmm

from . import notify, tenancy
from .i18n import translate
from .store import Fact, Order, SafetyAlert, utcnow

log = logging.getLogger(__name__)
#: The kinds whose "niet thuis" is a safety signal on its own.
SAFETY_KINDS = ("meal", "medicine")
AT_DOOR = ("delivered", "not_home")
#: Stops at one door this close together are one visit.
SAME_VISIT_SECONDS = 15 * 60
OUTCOME_LENGTH = 300


def _when(fact: Fact) -> tuple[date, int]:
    return fact.service_date, fact.at_seconds


def _same_visit(a: tuple[date, int], b: tuple[date, int]) -> bool:
    return a[0] == b[0] and abs(a[1] - b[1]) <= SAME_VISIT_SECONDS


def previous_visit(session: Session, resident_id: int, fact: Fact) -> Fact | None:
    """The resident's visit before ``fact`` (a delivery or a "niet thuis" at their door, on
    any day, not part of the same visit), or None."""
    when = _when(fact)
    earlier = session.scalars(
        select(Fact).join(Order, Order.id == Fact.order_id)
        .where(Order.resident_id == resident_id, Fact.action.in_(AT_DOOR), Fact.id != fact.id,
               Fact.service_date <= fact.service_date)
        .order_by(Fact.service_date.desc(), Fact.at_seconds.desc(), Fact.id.desc()))
    for f in earlier:
        if _when(f) < when and not _same_visit(_when(f), when):
            return f
    return None


def raise_for(session: Session, new_facts: list[Fact]) -> list[SafetyAlert]:
    """Alerts for the "niet thuis" among ``new_facts`` (just recorded, not committed); the
    caller commits them with the facts, so a mark and its alert are one write."""
    session.flush()  # the facts' ids
    raised: list[SafetyAlert] = []
    for fact in new_facts:
        if fact.action != "not_home":
            continue
        order = session.get(Order, fact.order_id)
        before = previous_visit(session, order.resident_id, fact)
        escalated = before is not None and before.action == "not_home"
        if order.kind not in SAFETY_KINDS and not escalated:
            continue
        if _already_raised(session, order.resident_id, fact) or any(
                a.resident_id == order.resident_id for a in raised):
            continue
        previous = session.scalar(select(SafetyAlert.id).where(
            SafetyAlert.fact_id == before.id)) if escalated else None
        alert = SafetyAlert(resident_id=order.resident_id, order_id=order.id, fact_id=fact.id,
                            service_date=fact.service_date, kind=order.kind,
                            buurt=order.resident.buurt or "", assistant_id=fact.assistant_id,
                            at_seconds=fact.at_seconds,
                            level="escalated" if escalated else "alert", previous_id=previous,
                            outcome="", notified="")
        session.add(alert)
        raised.append(alert)
    session.flush()
    return raised


def _already_raised(session: Session, resident_id: int, fact: Fact) -> bool:
    """An alert of the same visit exists (another stop at the door, marked separately)."""
    return any(_same_visit((a.service_date, a.at_seconds), _when(fact)) for a in session.scalars(
        select(SafetyAlert).where(SafetyAlert.resident_id == resident_id,
                                  SafetyAlert.service_date == fact.service_date)))


def message(alert: SafetyAlert, url: str) -> notify.Message:
    """What goes out by e-mail or SMS: that a door stayed shut, the alert's number, buurt and
    time, and where to look; no name, address, phone or medicine (see ``web.notify``)."""
    nl = "nl"
    if alert.level == "escalated":
        subject = translate("Buurtroute: not home twice in a row", nl)
    else:
        subject = translate("Buurtroute: not home", nl)
    what = translate("meal", nl) if alert.kind == "meal" else translate("delivery", nl)
    body = translate("Safety alert #{id}: nobody opened for the {what} in {buurt} at {time} "
                     "on {date}. See the day screen: {url}", nl, id=alert.id, what=what,
                     buurt=alert.buurt or "—", time=hhmm(alert.at_seconds),
                     date=format_date(alert.service_date, "EEEE d MMMM", locale=nl), url=url)
    return notify.Message(subject, body)


def notify_all(app: Flask, session: Session, alerts: list[SafetyAlert], url: str) -> None:
    """Send each alert through the app's notifiers and note what happened on it (after the
    alert was committed: a mail server that is down never loses an alert)."""
    if not alerts:
        return
    org = tenancy.organisation(session)
    notifiers = notify.notifiers(app.extensions["buurtroute.channels"],
                                 org.alert_email if org else "", org.alert_sms if org else "")
    if not notifiers:
        return
    for alert in alerts:
        alert.notified = notify.deliver(notifiers, message(alert, url))
        log.info("alert %s: %s", alert.id, alert.notified)
    session.commit()


def open_alerts(session: Session) -> list[SafetyAlert]:
    """Alerts not closed yet, escalated first, then newest first."""
    rows = session.scalars(select(SafetyAlert).where(SafetyAlert.closed_at.is_(None))
                           .order_by(SafetyAlert.id.desc()))
    return sorted(rows, key=lambda a: a.level != "escalated")


def close(alert: SafetyAlert, user_id: int, outcome: str) -> None:
    alert.closed_at, alert.closed_by, alert.outcome = utcnow(), user_id, outcome
