"""The coordinator's assistants: how they travel and carry, their home buurt, where their day
starts and ends, their regular residents, their usual week and absences, their login; and one
day's shift changed by hand.

Start and end places are a named place of the area (the buurthuis) or an address, geocoded as
orders' addresses are; they go into the shifts the week makes (``web.availability``), which
the planner turns into the assistant's start and end (``web.adapter``). ``read`` and ``save``
serve the pages and the CLI alike.
"""

from __future__ import annotations

from datetime import date
from typing import Mapping

from flask import (Blueprint, abort, flash, redirect, render_template, request,
                   url_for)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import availability, fields
from .adapter import CAPACITY
from .admin_accounts import new_login, read_login, show_link
from .areas import current_area
from .auth import current_user, role_required
from .dates import local_today
from .db import db
from .fields import WEEKDAYS, Errors, Gettext
from .i18n import N_
from .i18n import gettext as _
from .sessions import end_all
from .store import ABSENCE_KINDS, MODES, Absence, Assistant, Fact, Resident, Shift, User, get

bp = Blueprint("assistant_admin", __name__, url_prefix="/coordinator/assistants")
CAPACITY_RANGE = (0, 40)
LABELS = {"name": N_("Name"), "mode": N_("Travels by"), "capacity": N_("Crate capacity"),
          "home_buurt": N_("Home buurt"), "start_place": N_("Start of the day"),
          "end_place": N_("End of the day"), "regulars": N_("Regular residents"),
          "username": N_("Username"), "email": N_("E-mail"), "kind": N_("Reason"),
          "first_day": N_("From"), "last_day": N_("Until"), "start": N_("Start"), "end": N_("End"),
          "break_minutes": N_("Break (minutes)"), "break_from": N_("Break from"),
          "break_until": N_("Break until")}
DAY_PARTS = ("start", "end", "break_minutes", "break_from", "break_until")


def labels(_: Gettext) -> dict[str, str]:
    """The fields' names in ``_``'s language, the week's as "Monday Break from"."""
    out = {name: _(label) for name, label in LABELS.items()}
    for day, weekday in fields.WEEK:
        for part in DAY_PARTS:
            out[f"{day}_{part}"] = f"{_(weekday)} {_(LABELS[part])}"
    return out


def read(session: Session, form: Mapping[str, str], area, _: Gettext,
         regulars: list[str] | None = None) -> tuple[dict, list, Errors]:
    """The assistant's values, the week (a list of ``availability.Day``) and reasons."""
    errors: Errors = {}
    values: dict = {"name": fields.text(form, "name", errors, _, 80, required=True),
                    "mode": fields.choice(form, "mode", MODES, errors, _),
                    "capacity": fields.number(form, "capacity", errors, _, *CAPACITY_RANGE)}
    buurt = (form.get("home_buurt") or "").strip()
    if buurt and buurt not in area.buurten:
        errors["home_buurt"] = _("is not a buurt of {area}", area=_(area.title))
    values["home_buurt"] = buurt or None
    for end in ("start", "end"):
        point = fields.place(form, f"{end}_place", area, errors, _)
        values[f"{end}_address"] = point.address if point else ""
        values[f"{end}_lat"], values[f"{end}_lon"] = (point.lat, point.lon) if point else (
            None, None)
    week = [day for day in (availability.read_day(form, i, errors, _) for i in range(7)) if day]
    ids = []
    for raw in regulars or ():
        resident = get(session, Resident, int(raw)) if raw.isdigit() else None
        if resident is None:
            errors["regulars"] = _("is not one of the residents")
            break
        ids.append(resident.id)
    values["regulars"] = ids
    return values, week, errors


def save(session: Session, assistant: Assistant | None, values: dict, week: list) -> Assistant:
    """Add or change an assistant, its week and regular residents (the caller commits)."""
    regulars = values.pop("regulars")
    if assistant is None:
        assistant = Assistant()
        session.add(assistant)
    for name, value in values.items():
        setattr(assistant, name, value)
    session.flush()
    session.execute(update(Resident).where(Resident.regular_assistant_id == assistant.id,
                                           Resident.id.not_in(regulars))
                    .values(regular_assistant_id=None))
    if regulars:
        session.execute(update(Resident).where(Resident.id.in_(regulars))
                        .values(regular_assistant_id=assistant.id))
    availability.set_week(session, assistant, week)
    return assistant


def switch_off(session: Session, assistant: Assistant, day: date) -> None:
    """An assistant who left: their shifts from ``day`` on go (but one they already worked
    in), and their login's sessions end (the caller commits)."""
    assistant.active = False
    for user_id in session.scalars(select(User.id).where(User.assistant_id == assistant.id)):
        end_all(session, user_id, "deactivated")
    worked = set(session.scalars(select(Fact.service_date).where(
        Fact.assistant_id == assistant.id, Fact.service_date >= day)))
    for shift in session.scalars(select(Shift).where(Shift.assistant_id == assistant.id,
                                                     Shift.service_date >= day)):
        if shift.service_date not in worked:
            session.delete(shift)


def form_values(session: Session, assistant: Assistant | None) -> dict:
    if assistant is None:
        return {"mode": "bike"}
    values = {"name": assistant.name, "mode": assistant.mode, "capacity": assistant.capacity,
              "home_buurt": assistant.home_buurt, "start_place": assistant.start_address,
              "end_place": assistant.end_address}
    for weekday, row in availability.week(session, assistant.id).items():
        key = WEEKDAYS[weekday]
        for part in DAY_PARTS:
            values[f"{key}_{part}"] = getattr(row, part)
    return values


# --- pages ------------------------------------------------------------------------------------

def _assistant(assistant_id: int) -> Assistant:
    return get(db(), Assistant, assistant_id) or abort(404)


@bp.route("")
@role_required("coordinator")
def index():
    assistants = db().scalars(select(Assistant).order_by(Assistant.active.desc(),
                                                         Assistant.name)).all()
    weeks = {a.id: availability.week(db(), a.id) for a in assistants}
    return render_template("coordinator/assistants.html", assistants=assistants, weeks=weeks,
                           weekdays=fields.WEEKDAY_NAMES)


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def new():
    return _form(None)


@bp.route("/<int:assistant_id>", methods=["GET", "POST"])
@role_required("coordinator")
def edit(assistant_id: int):
    return _form(_assistant(assistant_id))


def _form(assistant: Assistant | None):
    values = form_values(db(), assistant)
    errors: Errors = {}
    regulars = [r.id for r in db().scalars(select(Resident).where(
        Resident.regular_assistant_id == assistant.id))] if assistant else []
    if request.method == "POST":
        values = request.form.to_dict()
        chosen = request.form.getlist("regulars")
        typed, week, errors = read(db(), request.form, current_area(), _, chosen)
        regulars = typed["regulars"]
        if not errors:
            assistant = save(db(), assistant, typed, week)
            availability.make_shifts(db(), local_today(), local_today())
            db().commit()
            flash(_("{name} saved.", name=assistant.name), "success")
            return redirect(url_for("assistant_admin.edit", assistant_id=assistant.id))
    return _page(assistant, values, errors, regulars, 422 if errors else 200)


def _page(assistant: Assistant | None, values: dict, errors: Errors, regulars: list[int],
          status: int = 200):
    area = current_area()
    users = db().scalars(select(User).where(User.assistant_id == assistant.id)).all() \
        if assistant else []
    absences = db().scalars(select(Absence).where(
        Absence.assistant_id == assistant.id, Absence.last_day >= local_today())
        .order_by(Absence.first_day)).all() if assistant else []
    residents = db().scalars(select(Resident).where(Resident.active.is_(True))
                             .order_by(Resident.name).limit(500)).all()
    return render_template(
        "coordinator/assistant.html", assistant=assistant, values=values, errors=errors,
        labels=labels(_), modes=MODES, capacity=CAPACITY, buurten=sorted(area.buurten),
        places=[p.name for p in area.places if p.kind == "community_centre"][:50],
        weekdays=fields.WEEK, users=users, absences=absences,
        kinds=ABSENCE_KINDS, residents=residents, regulars=set(regulars)), status


@bp.route("/<int:assistant_id>/active", methods=["POST"])
@role_required("coordinator")
def set_active(assistant_id: int):
    """Switch an assistant off (left the cooperative: no shifts, their logins' sessions end)
    or on again."""
    assistant = _assistant(assistant_id)
    if request.form.get("active") == "1":
        assistant.active = True
        availability.make_shifts(db(), local_today(), local_today())
    else:
        switch_off(db(), assistant, local_today())
    db().commit()
    flash(_("{name} is switched on.", name=assistant.name) if assistant.active else
          _("{name} is switched off.", name=assistant.name), "success")
    return redirect(url_for("assistant_admin.edit", assistant_id=assistant.id))


@bp.route("/<int:assistant_id>/login", methods=["POST"])
@role_required("coordinator")
def add_login(assistant_id: int):
    """The assistant's login, with its invitation link."""
    assistant = _assistant(assistant_id)
    errors: Errors = {}
    username, email = read_login(db(), request.form, errors, _)
    if not assistant.active:
        errors["username"] = _("the assistant is switched off")
    if errors:
        for line in fields.report(errors, labels(_), _):
            flash(line, "error")
        return redirect(url_for("assistant_admin.edit", assistant_id=assistant.id) + "#login")
    user = new_login(db(), username, email, "assistant", assistant=assistant,
                     org_id=assistant.org_id)
    from . import invitations

    return show_link(user, invitations.hand_over(db(), user, "invite", current_user().id),
                     "invite")


@bp.route("/<int:assistant_id>/absences", methods=["POST"])
@role_required("coordinator")
def add_absence(assistant_id: int):
    assistant = _assistant(assistant_id)
    absence, errors = availability.add_absence(db(), assistant, request.form, _)
    if errors:
        for line in fields.report(errors, labels(_), _):
            flash(line, "error")
    else:
        availability.remake(db(), absence.first_day, absence.last_day, local_today())
        db().commit()
        flash(_("Absence saved; the shifts of those days follow it."), "success")
    return redirect(url_for("assistant_admin.edit", assistant_id=assistant.id) + "#absences")


@bp.route("/absences/<int:absence_id>/delete", methods=["POST"])
@role_required("coordinator")
def delete_absence(absence_id: int):
    absence = get(db(), Absence, absence_id) or abort(404)
    first, last, assistant_id = absence.first_day, absence.last_day, absence.assistant_id
    db().delete(absence)
    db().flush()
    availability.remake(db(), first, last, local_today())
    db().commit()
    flash(_("Absence removed."), "success")
    return redirect(url_for("assistant_admin.edit", assistant_id=assistant_id) + "#absences")


@bp.route("/shifts/<int:shift_id>", methods=["GET", "POST"])
@role_required("coordinator")
def shift(shift_id: int):
    """One day's shift, changed by hand: it is kept as it is when the week changes."""
    row = get(db(), Shift, shift_id) or abort(404)
    errors: Errors = {}
    values = {k: getattr(row, k) for k in ("start", "end", "break_minutes", "break_from",
                                            "break_until")}
    if request.method == "POST" and request.form.get("action") == "remove":
        day, name = row.service_date, row.assistant.name
        if availability.week(db(), row.assistant_id).get(day.weekday()) is not None:
            db().add(Absence(assistant_id=row.assistant_id, kind="day_off", first_day=day,
                             last_day=day))  # else the week would make it again
        db().delete(row)
        db().commit()
        flash(_("The shift of {name} on {date} is removed.", name=name, date=day.isoformat()),
              "success")
        return redirect(url_for("coordinator.day", date=day.isoformat()))
    if request.method == "POST":
        values = request.form.to_dict()
        day = _read_shift(request.form, errors)
        if not errors:
            for k in ("start", "end", "break_minutes", "break_from", "break_until"):
                setattr(row, k, getattr(day, k))
            row.source = "hand"
            db().commit()
            flash(_("Shift saved; it stays as it is when the week changes."), "success")
            return redirect(url_for("coordinator.day", date=row.service_date.isoformat()))
    return render_template("coordinator/shift.html", shift=row, values=values, errors=errors,
                           labels=labels(_)), 422 if errors else 200


def _read_shift(form: Mapping[str, str], errors: Errors):
    """A shift form's fields (``start``, ``end``, ``break_*``) read as one template day."""
    renamed = {f"mon_{k}": v for k, v in form.items()}
    found: Errors = {}
    day = availability.read_day(renamed, 0, found, _)
    if day is None and not found:
        found["start"] = _("is required")
    errors.update({k.removeprefix("mon_"): v for k, v in found.items()})
    return day
