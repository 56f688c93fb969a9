"""The coordinator adds residents, merges duplicates and switches residents off (moved, died).

Residents used to appear only when a partner's order named them; a cooperative that starts
adds the ones it already visits. Two rows for one person ("J. de Vries", "Jan de Vries" at the
same door) are merged: the orders of the duplicate move to the one kept, what the kept one
lacks (phone, praatje, regular assistant, contact, door note) is taken over, and the
duplicate goes. A resident who moved away or died is switched off: no partner can order for
them any more (``orders.inactive_resident``), standing orders stop, and open orders from today
on are cancelled. Every change is written to the access log. ``create``, ``merge`` and
``switch_off`` serve the pages and the CLI alike.
"""

from __future__ import annotations

from datetime import date
from typing import Mapping, cast

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from . import access, fields, planning
from .areas import current_area
from .auth import current_user, role_required
from .dates import local_today
from .db import app_object, db
from .fields import Errors, Gettext
from .hygiene import foreign_digits
from .i18n import N_
from .i18n import gettext as _
from .residents import bp, validate
from .store import (Assistant, Order, Resident, SafetyAlert, Signal, StandingOrder, StandingPause,
                    StopLock, get)

#: What the kept resident takes over from a duplicate when it has none of its own.
TAKEN_OVER = ("phone", "praatje_minutes", "regular_assistant_id", "contact_name",
              "contact_phone", "contact_consent", "door_note")
LABELS = {"name": N_("Name"), "address": N_("Address"),
          "praatje_minutes": N_("Usual praatje (minutes)"),
          "regular_assistant_id": N_("Regular assistant"), "phone": N_("Phone"),
          "contact_name": N_("Contact person"), "contact_phone": N_("Contact person's phone"),
          "contact_consent": N_("Consent"), "door_note": N_("Note for the door"),
          "duplicate": N_("Resident number of the duplicate")}


def read_new(session: Session, form: Mapping[str, str], area,
             _: Gettext) -> tuple[dict, Errors]:
    """A new resident's name and address (geocoded in the area's buurten) and the fields the
    edit form also has; the name and address together must be new."""
    errors: Errors = {}
    name = fields.text(form, "name", errors, _, 80, required=True, medical_check=True)
    point = fields.place(form, "address", area, errors, _, required=True)
    values, more = validate(form, _)
    errors.update(more)
    if point is not None and "name" not in errors and session.scalar(select(Resident.id).where(
            Resident.name == name, Resident.address == point.address)):
        errors["name"] = _("a resident of this name already lives at this address")
    if point is not None:
        values.update(name=name, address=point.address, lat=point.lat, lon=point.lon,
                      buurt=point.buurt)
    return values, errors


def merge(session: Session, kept: Resident, duplicate: Resident) -> int:
    """Move the duplicate's orders, standing orders, pauses, alerts and signals to ``kept``,
    take over what ``kept`` lacks, remove the duplicate; answers how many orders moved (the
    caller commits and logs)."""
    if kept.id == duplicate.id:
        raise ValueError("a resident cannot be merged with itself")
    result = session.execute(update(Order).where(Order.resident_id == duplicate.id)
                             .values(resident_id=kept.id))
    moved = cast(CursorResult, result).rowcount or 0
    # their standing orders go on for ``kept``; alerts and signals are about ``kept``
    for table in (StandingOrder, StandingPause, SafetyAlert, Signal):
        session.execute(update(table).where(table.resident_id == duplicate.id)
                        .values(resident_id=kept.id))
    for name in TAKEN_OVER:
        if not getattr(kept, name) and getattr(duplicate, name):
            setattr(kept, name, getattr(duplicate, name))
    kept.last_order_date = max(filter(None, (kept.last_order_date, duplicate.last_order_date)),
                               default=None)
    session.delete(duplicate)
    session.flush()
    session.expire_all()
    return moved


def switch_off(session: Session, resident: Resident, day: date,
               user_id: int | None = None) -> list[Order]:
    """No new orders for ``resident``; their open orders from ``day`` on are cancelled (and
    answered, so the plans of their days can be repaired). The caller commits."""
    resident.active = False
    cancelled = []
    for order in session.scalars(select(Order).where(
            Order.resident_id == resident.id, Order.service_date >= day,
            Order.status.in_(("submitted", "planned")))):
        order.set_status("cancelled", user_id, "resident switched off")
        for lock in session.scalars(select(StopLock).where(StopLock.order_id == order.id)):
            session.delete(lock)
        cancelled.append(order)
    return cancelled


# --- pages (on the residents blueprint) -------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def create():
    values, errors = {}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        typed, errors = read_new(db(), request.form, current_area(), _)
        if not errors:
            resident = Resident(**typed)
            db().add(resident)
            db().commit()
            access.note([resident.id], "create", "resident")
            flash(_("{name} added.", name=resident.name), "success")
            return redirect(url_for("residents.edit", resident_id=resident.id))
    assistants = db().scalars(select(Assistant).where(Assistant.active.is_(True))
                              .order_by(Assistant.name)).all()
    return render_template("coordinator/resident_new.html", values=values, errors=errors,
                           labels=LABELS, assistants=assistants), 422 if errors else 200


@bp.route("/<int:resident_id>/merge", methods=["POST"])
@role_required("coordinator")
def merge_duplicate(resident_id: int):
    """Merge the resident numbered in the form into this one."""
    kept = get(db(), Resident, resident_id) or abort(404)
    raw = request.form.get("duplicate", "").strip()
    duplicate = get(db(), Resident, int(raw)) if raw.isdigit() else None
    back = redirect(url_for("residents.edit", resident_id=kept.id) + "#merge")
    if duplicate is None or duplicate.id == kept.id:
        reason = (_("is this resident itself") if duplicate is not None else
                  _("use the digits 0 to 9") if foreign_digits(raw) else
                  _("is not one of the residents"))
        flash(f"{_(LABELS['duplicate'])}: {reason}", "error")
        return back
    gone = duplicate.id
    moved = merge(db(), kept, duplicate)
    db().commit()
    access.note([kept.id, gone], "change", "resident,orders", detail=f"merged {gone} into "
                f"{kept.id}")
    flash(_("Resident {gone} merged into {name}: {n} orders moved.", gone=gone,
            name=kept.name, n=moved), "success")
    return back


@bp.route("/<int:resident_id>/active", methods=["POST"])
@role_required("coordinator")
def set_active(resident_id: int):
    """Switch a resident off (moved, died) or on again."""
    resident = get(db(), Resident, resident_id) or abort(404)
    app = app_object()
    if request.form.get("active") == "1":
        resident.active = True
        db().commit()
        flash(_("{name} is switched on.", name=resident.name), "success")
    else:
        cancelled = switch_off(db(), resident, local_today(), current_user().id)
        db().commit()
        access.note_orders(cancelled, "change", "status")
        planning.orders_cancelled(app, db(), cancelled, current_user().id)
        flash(_("{name} is switched off: no new orders; {n} open orders cancelled.",
                name=resident.name, n=len(cancelled)), "success")
    access.note([resident.id], "change", "resident", detail="active")
    return redirect(url_for("residents.edit", resident_id=resident.id))
