"""Standing orders in the browser, for a partner (its own, under /partner) and for the
coordinator (every partner's, under /coordinator): the list, the form, a CSV upload (the
order columns plus weekdays, every_weeks, start_date, end_date), one standing order with its
coming days, and pausing, calling off one day or ending it. A resident's pause (in hospital)
is the coordinator's: it pauses all of the resident's standing orders.

Both sides share the views; ``Side`` says whose standing orders a request may see. Orders a
pause or an ending cancels go to the planner as any cancel does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import access, partners, planning, standing
from .areas import current_area
from .auth import current_user, role_required
from .dates import local_today
from .db import app_object, db
from .i18n import gettext as _
from .i18n import long_date, ngettext
from .store import Order, Partner, Resident, StandingOrder, get

partner_bp = Blueprint("partner_standing", __name__, url_prefix="/partner/standing-orders")
partner_bp.before_request(partners.one_cooperative)
coordinator_bp = Blueprint("coordinator_standing", __name__,
                           url_prefix="/coordinator/standing-orders")
#: The order form's fields a standing order has (its start date replaces the service date).
ORDER_FIELDS = tuple(f for f in standing.orders.FIELDS if f != "service_date")
PLACE_KINDS = {"pharmacy": ("pharmacy",), "meal_kitchen": ("meal_kitchen", "community_centre"),
               "parcel_point": ("parcel_point",)}


@dataclass(frozen=True)
class Side:
    """Partner or coordinator: the blueprint, the page layout and whose rows it sees."""

    name: str
    layout: str
    role: str

    def query(self):
        rows = select(StandingOrder).options(selectinload(StandingOrder.resident),
                                             selectinload(StandingOrder.partner))
        if self.role == "partner":
            rows = rows.where(StandingOrder.partner_id == current_user().partner_id)
        return rows

    def own(self, standing_id: int) -> StandingOrder:
        """The standing order, or 404 (also another partner's: existence is not told)."""
        row = get(db(), StandingOrder, standing_id)
        if row is None or (self.role == "partner"
                           and row.partner_id != current_user().partner_id):
            abort(404)
        return row

    def partners(self) -> list[Partner]:
        """Whom a new standing order may be for: the partner itself, or (the coordinator)
        any active partner of the cooperative."""
        if self.role == "partner":
            return [current_user().partner]
        return list(db().scalars(select(Partner).where(Partner.active.is_(True))
                                 .order_by(Partner.name)))


PARTNER = Side("partner_standing", "partner/base.html", "partner")
COORDINATOR = Side("coordinator_standing", "coordinator/base.html", "coordinator")


def _render(side: Side, template: str, status: int = 200, **values):
    return render_template(f"standing/{template}", side=side.name, layout=side.layout,
                           coordinator=side.role == "coordinator", **values), status


# --- the list, the form ----------------------------------------------------------------------

def _index(side: Side):
    resident_id = request.args.get("resident", "")
    rows = side.query().order_by(StandingOrder.id)
    resident = None
    if resident_id.isdigit():
        resident = get(db(), Resident, int(resident_id)) or abort(404)
        rows = rows.where(StandingOrder.resident_id == resident.id)
    found = list(db().scalars(rows))
    access.note([s.resident_id for s in found], "view", "standing_orders")
    return _render(side, "list.html", rows=found, resident=resident, today=local_today())


def _form_row(form) -> dict[str, str]:
    """The form's fields as a CSV row would have them (window pairs, checkboxes)."""
    row = {name: form.get(name, "") for name in ORDER_FIELDS + standing.FIELDS
           if name not in ("windows", "weekdays")}
    pairs = [(form.get(f"window{i}_start", "").strip(), form.get(f"window{i}_end", "").strip())
             for i in (1, 2)]
    row["windows"] = " ".join(f"{s}-{e}" if s and e else f"{s}{e}" for s, e in pairs
                              if s or e)
    row["weekdays"] = " ".join(form.getlist("weekdays"))
    for flag in ("hot_meal", "in_person"):
        row[flag] = "yes" if form.get(flag) else "no"
    return row


def _form(side: Side):
    choices = side.partners()
    errors: dict[str, str] = {}
    partner = choices[0] if choices else None
    # a partner's own form starts as its order form does: a kitchen's meal is hot, a
    # pharmacy's package goes into the resident's hands
    own = partner if side.role == "partner" and partner is not None else None
    values: dict = {"start_date": local_today().isoformat(), "every_weeks": "1", "size": "1",
                    "weekdays": [], "hot_meal": own is not None and own.kind == "meal_kitchen",
                    "in_person": own is not None and own.kind == "pharmacy"}
    if request.method == "POST":
        values = {**request.form.to_dict(), "weekdays": request.form.getlist("weekdays")}
        if side.role == "coordinator":
            wanted = request.form.get("partner_id", "")
            partner = next((p for p in choices if str(p.id) == wanted), None)
            if partner is None:
                errors["partner_id"] = _("is not one of the partners")
        payload, errors_text = standing.from_text(_form_row(request.form), _)
        errors.update(errors_text)
        if partner is not None:
            draft, problems = standing.validate(payload, partner, current_area(),
                                                local_today(), _)
            errors = {**problems, **errors}
            if not errors:
                row, problems = standing.create(db(), partner, draft, _, current_user().id)
                errors.update(problems)
        if not errors:
            db().commit()
            access.note([row.resident_id], "create", "standing_order")
            flash(_("Standing order {id} saved.", id=row.id), "success")
            return redirect(url_for(f"{side.name}.detail", standing_id=row.id))
        db().rollback()
        flash(_("Please correct the marked fields."), "error")
    kinds = sorted({k for p in choices for k in p.order_kinds})
    places = [p for p in current_area().places
              if p.kind in {k for c in choices for k in PLACE_KINDS.get(c.kind, ())}]
    return _render(side, "form.html", 422 if errors else 200, values=values, errors=errors,
                   choices=choices, kinds=kinds, places=places[:200],
                   weekdays=standing.WEEKDAYS)


# --- one standing order ------------------------------------------------------------------------

def _detail(side: Side, standing_id: int):
    row = side.own(standing_id)
    today = local_today()
    access.note([row.resident_id], "view", "standing_order")
    return _render(side, "detail.html", row=row, today=today,
                   coming=standing.upcoming(db(), row, today),
                   pauses=standing.pauses_of(db(), row))


def _replan(cancelled: list[Order]) -> None:
    """Repair the plans of days whose orders a pause or an ending cancelled."""
    access.note_orders(cancelled, "change", "status")
    planning.orders_cancelled(app_object(), db(), cancelled, current_user().id)


def _flash_errors(errors: dict[str, str]) -> None:
    labels = {"start_date": _("From"), "end_date": _("Until"), "reason": _("Reason"),
              "date": _("Date")}
    for name, reason in errors.items():
        flash(f"{labels.get(name, name)}: {reason}", "error")


def _pause(side: Side, standing_id: int):
    row = side.own(standing_id)
    return _pause_from_form(row.resident, row, redirect(
        url_for(f"{side.name}.detail", standing_id=row.id) + "#pauses"))


def _pause_from_form(resident: Resident, row: StandingOrder | None, back):
    """Pause one standing order (or, without ``row``, all of the resident's) as the form
    asks; the orders already made for those days are cancelled and their plans repaired."""
    fields = {k: request.form.get(k, "").strip() for k in ("start_date", "end_date", "reason")}
    parsed, errors = standing.parse_pause({k: v for k, v in fields.items() if v},
                                          local_today(), _)
    if errors:
        _flash_errors(errors)
        return back
    start, end, reason = parsed
    cancelled = standing.pause(db(), resident, row, start, end, reason, current_user().id)
    db().commit()
    access.note([resident.id], "change", "standing_order")
    _replan(cancelled)
    flash(ngettext("Paused from {start} to {end}; {n} order cancelled.",
                   "Paused from {start} to {end}; {n} orders cancelled.", len(cancelled),
                   start=long_date(start), end=long_date(end)), "success")
    return back


def _cancel_day(side: Side, standing_id: int):
    row = side.own(standing_id)
    back = redirect(url_for(f"{side.name}.detail", standing_id=row.id) + "#coming")
    parsed, errors = standing.parse_pause({"start_date": request.form.get("date", "").strip()},
                                          local_today(), _)
    if not errors:
        cancelled, refusal = standing.cancel_occurrence(db(), row, parsed[0], _,
                                                        current_user().id)
        if refusal is not None:
            errors = {"date": refusal}
    if errors:
        _flash_errors({"date" if k == "start_date" else k: v for k, v in errors.items()})
        return back
    db().commit()
    access.note([row.resident_id], "change", "standing_order")
    _replan(cancelled)
    flash(_("{date}: called off.", date=long_date(parsed[0])), "success")
    return back


def _end(side: Side, standing_id: int):
    row = side.own(standing_id)
    today = local_today()
    cancelled = standing.end(db(), row, today - timedelta(days=1)
                             if request.form.get("when") == "now" else today,
                             current_user().id)
    db().commit()
    access.note([row.resident_id], "change", "standing_order")
    _replan(cancelled)
    flash(_("Standing order {id} ended.", id=row.id), "success")
    return redirect(url_for(f"{side.name}.detail", standing_id=row.id))


def _upload(side: Side):
    result = None
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            flash(_("Choose a CSV file."), "error")
            return _render(side, "upload.html", 422, result=None, columns=standing.CSV_FIELDS)
        result = standing.upload(db(), current_user().partner, file.read(), current_area(),
                                 local_today(), _, current_user().id,
                                 current_app.config["CSV_MAX_ROWS"])
        access.note([s.resident_id for s in result.saved], "create", "standing_order", "csv")
    status = 422 if result is not None and result.errors and not result.saved else 200
    return _render(side, "upload.html", status, result=result, columns=standing.CSV_FIELDS)


# --- the routes -------------------------------------------------------------------------------

def _routes(bp: Blueprint, side: Side) -> None:
    guard = role_required(side.role)
    bp.add_url_rule("", "index", guard(lambda: _index(side)))
    bp.add_url_rule("/new", "new", guard(lambda: _form(side)), methods=["GET", "POST"])
    bp.add_url_rule("/<int:standing_id>", "detail",
                    guard(lambda standing_id: _detail(side, standing_id)))
    bp.add_url_rule("/<int:standing_id>/pause", "pause",
                    guard(lambda standing_id: _pause(side, standing_id)), methods=["POST"])
    bp.add_url_rule("/<int:standing_id>/cancel-day", "cancel_day",
                    guard(lambda standing_id: _cancel_day(side, standing_id)),
                    methods=["POST"])
    bp.add_url_rule("/<int:standing_id>/end", "end",
                    guard(lambda standing_id: _end(side, standing_id)), methods=["POST"])


_routes(partner_bp, PARTNER)
_routes(coordinator_bp, COORDINATOR)
partner_bp.add_url_rule("/upload", "upload", role_required("partner")(lambda: _upload(PARTNER)),
                        methods=["GET", "POST"])


@coordinator_bp.route("/residents/<int:resident_id>/pause", methods=["POST"])
@role_required("coordinator")
def resident_pause(resident_id: int):
    """Pause every standing order of a resident (in hospital from ... to ...)."""
    resident = get(db(), Resident, resident_id) or abort(404)
    return _pause_from_form(resident, None, redirect(url_for(
        "coordinator_standing.index", resident=resident.id)))
