"""The resident's rights: a copy of everything held about them (AVG art. 15) and erasure
(art. 17), for the coordinator's page and the CLI.

The export is built from the store, not from a page: the resident row, every order with its
history and facts, the planned visits of current plans, which partners received or sent
their data, and who accessed it (the access log, by role and organisation). Erasure counts
the resident's orders into the anonymous statistics, then removes the orders with all that
hangs on them, takes their stops (and the address labels and door coordinates they carry) out
of every stored plan, and deletes the resident. Only the access log keeps the resident's
*id*, which after erasure points at nobody.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from routing.model import hhmm

from . import planning, stats
from .adapter import return_id, store_id
from .i18n import N_
from .refused import Refused
from .retention import delete_door, delete_orders, serialise
from .store import (AccessLog, Fact, Order, Partner, Plan, Resident, SafetyAlert, Signal,
                    StandingOrder, StandingPause, affected)

ERASED = "—"
ALREADY_ERASED = N_("there is no resident {id} (any more)")
OPEN_ORDERS = N_("{n} open order(s) from today on ({ids}); they must be delivered or "
                 "cancelled first")


def _iso(at) -> str | None:
    return at.isoformat(timespec="seconds") + "Z" if at is not None else None


def export(session: Session, resident: Resident) -> dict[str, Any]:
    """Everything stored about ``resident``, as JSON-ready data."""
    orders = list(session.scalars(select(Order).where(Order.resident_id == resident.id)
                                  .options(selectinload(Order.events),
                                           selectinload(Order.partner))
                                  .order_by(Order.service_date, Order.id)))
    ids = {o.id for o in orders}
    facts: dict[int, list[Fact]] = {}
    if ids:
        for fact in session.scalars(select(Fact).where(Fact.order_id.in_(ids))
                                    .order_by(Fact.id)):
            facts.setdefault(fact.order_id, []).append(fact)
    visits = _planned_visits(session, orders)
    partners = {p.id: p.name for p in session.scalars(select(Partner))}
    log = session.scalars(select(AccessLog).where(AccessLog.resident_id == resident.id)
                          .order_by(AccessLog.id)).all()
    return {
        "resident": {
            "id": resident.id, "name": resident.name, "address": resident.address,
            "buurt": resident.buurt, "lat": resident.lat, "lon": resident.lon,
            "phone": resident.phone, "usual_praatje_minutes": resident.praatje_minutes,
            "regular_assistant": (resident.regular_assistant.name
                                  if resident.regular_assistant is not None else None),
            "contact_person": resident.contact_name, "contact_phone": resident.contact_phone,
            "contact_consent": resident.contact_consent,
            "note_for_the_door": resident.door_note, "served": resident.active,
        },
        "orders": [{
            "id": o.id, "partner": o.partner.name, "kind": o.kind, "label": o.label,
            "service_date": o.service_date.isoformat(), "status": o.status, "phone": o.phone,
            "windows": [{"start": s, "end": e} for s, e in o.windows],
            "pickup": ({"name": o.pickup_name, "address": o.pickup_address}
                       if o.pickup_address is not None else None),
            "ready_time": o.ready_time, "praatje_minutes": o.praatje_minutes, "size": o.size,
            "priority": o.priority, "hot_meal": o.hot_meal, "in_person": o.in_person,
            "note": o.note, "reference": o.reference, "created_at": _iso(o.created_at),
            "updated_at": _iso(o.updated_at),
            "history": [{"status": e.status, "at": _iso(e.at), "note": e.note}
                        for e in o.events],
            "marks": [{"action": f.action, "at": hhmm(f.at_seconds),
                       "recorded_at": _iso(f.recorded_at)} for f in facts.get(o.id, ())],
            "planned_visits": visits.get(o.id, []),
        } for o in orders],
        "standing_orders": [{
            "id": s.id, "partner": partners.get(s.partner_id, ""), "kind": s.kind,
            "weekdays": list(s.weekdays), "every_weeks": s.every_weeks,
            "start_date": s.start_date.isoformat(),
            "end_date": s.end_date.isoformat() if s.end_date else None,
            "windows": [{"start": a, "end": b} for a, b in s.windows], "phone": s.phone,
            "praatje_minutes": s.praatje_minutes, "note": s.note, "reference": s.reference,
            "created_at": _iso(s.created_at),
        } for s in session.scalars(select(StandingOrder).where(
            StandingOrder.resident_id == resident.id).order_by(StandingOrder.id))],
        "pauses": [{
            "standing_order": p.standing_order_id, "from": p.start_date.isoformat(),
            "until": p.end_date.isoformat(), "reason": p.reason,
        } for p in session.scalars(select(StandingPause).where(
            StandingPause.resident_id == resident.id).order_by(StandingPause.id))],
        "safety_alerts": [{
            "date": a.service_date.isoformat(), "at": hhmm(a.at_seconds), "level": a.level,
            "what": a.kind, "closed_at": _iso(a.closed_at), "what_was_done": a.outcome,
        } for a in session.scalars(select(SafetyAlert).where(
            SafetyAlert.resident_id == resident.id).order_by(SafetyAlert.id))],
        "signals": [{
            "noticed_at": _iso(s.noticed_at), "category": s.category, "urgency": s.urgency,
            "note": s.note, "status": s.status, "notes": [n.text for n in s.notes],
        } for s in session.scalars(select(Signal).where(Signal.resident_id == resident.id)
                                   .order_by(Signal.id))],
        "recipients": sorted({o.partner.name for o in orders}),
        "access_log": [{
            "at": _iso(e.at), "role": e.role,
            "organisation": partners.get(e.partner_id, "") if e.partner_id else "",
            "action": e.action, "part": e.part, "channel": e.channel,
        } for e in log],
        "kept_after_erasure": "anonymous counts per day, buurt, kind and status, and the "
                              "access log by resident number",
    }


def _planned_visits(session: Session, orders: list[Order]) -> dict[int, list[dict]]:
    """Per order, its stops in the current plan of its day (arrival times)."""
    out: dict[int, list[dict]] = {}
    ids = {o.id for o in orders}
    for day in sorted({o.service_date for o in orders}):
        plan = planning.current_plan(session, day)
        if plan is None:
            continue
        for route in plan.payload.get("routes", ()):
            for visit in route.get("visits", ()):
                oid, returning = store_id(visit["order_id"])
                if oid in ids:
                    out.setdefault(oid, []).append({
                        "plan": plan.id, "date": day.isoformat(), "action": visit["action"],
                        "returning": returning, "arrival": hhmm(visit["arrival"])})
    return out


def erase(session: Session, resident: Resident | int, today: date) -> dict[str, int]:
    """Erase ``resident`` (or the resident with this id; the caller commits). Refused while
    they have open orders from ``today`` on: goods may be on their way, and the partner must
    cancel those first. One erasure or purge at a time (``retention.serialise``): the same
    orders are never counted twice."""
    resident_id = resident if isinstance(resident, int) else resident.id
    serialise(session)
    resident = session.get(Resident, resident_id, populate_existing=True)
    if resident is None:
        raise Refused("resident", ALREADY_ERASED, id=resident_id)
    orders = list(session.scalars(select(Order).where(Order.resident_id == resident.id)
                                  .options(selectinload(Order.resident))))
    open_now = [o for o in orders if o.status in planning.OPEN and o.service_date >= today]
    if open_now:
        raise Refused("orders", OPEN_ORDERS, n=len(open_now),
                      ids=", ".join("#" + str(o.id) for o in open_now[:10]))
    counts = {"counted_in_stats": stats.roll_up(session, orders)}
    counts["plans_scrubbed"] = scrub_plans(session, resident, orders)
    session.flush()
    ids = [o.id for o in orders]
    for order in orders:  # bulk deletes follow: the session must not hold these any more
        session.expunge(order)
    session.expunge(resident)
    counts.update(delete_orders(session, ids))
    counts.update(delete_door(session, list(session.scalars(select(SafetyAlert).where(
        SafetyAlert.resident_id == resident_id))), list(session.scalars(select(Signal).where(
            Signal.resident_id == resident_id)))))
    counts["standing_pauses"] = affected(session, delete(StandingPause).where(
        StandingPause.resident_id == resident_id))
    counts["standing_orders"] = affected(session, delete(StandingOrder).where(
        StandingOrder.resident_id == resident_id))
    counts["residents"] = affected(session, delete(Resident).where(Resident.id == resident_id))
    return counts


def scrub_plans(session: Session, resident: Resident, orders: list[Order]) -> int:
    """Take ``orders``' stops out of every stored plan of their days: visits (whose labels
    are addresses), reasons, praatje, locks, done marks and changes; the door's coordinates
    where no other stop uses them; and any text still holding the address or name."""
    days = {o.service_date for o in orders}
    if not days:
        return 0
    core = {str(o.id) for o in orders} | {return_id(o.id) for o in orders}
    secrets = [s for s in (resident.address, resident.name) if s and len(s) >= 3]
    door = (resident.lat, resident.lon)
    changed = 0
    for plan in session.scalars(select(Plan).where(Plan.service_date.in_(days))):
        payload = _strip(copy.deepcopy(plan.payload or {}), core, secrets)
        if isinstance(payload.get("praatje"), dict):
            payload["praatje"] = {k: v for k, v in payload["praatje"].items() if k not in core}
        used = {v["location"] for r in payload.get("routes", ()) for v in r.get("visits", ())}
        points = payload.get("points")
        if isinstance(points, list):
            payload["points"] = [
                [None, None] if i not in used and p and tuple(p) == door else p
                for i, p in enumerate(points)]
        violations = _strip(list(plan.violations or []), core, secrets)
        error = _strip(plan.error or "", core, secrets)
        if payload != plan.payload or violations != plan.violations or error != plan.error:
            plan.payload, plan.violations, plan.error = payload, violations, error
            changed += 1
    return changed


def _strip(value: Any, core: set[str], secrets: list[str]) -> Any:
    if isinstance(value, list):
        return [_strip(v, core, secrets) for v in value
                if not (isinstance(v, dict) and str(v.get("order_id")) in core)]
    if isinstance(value, dict):
        return {k: _strip(v, core, secrets) for k, v in value.items()}
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, ERASED)
        return value
    return value
