"""The coordinator's residents: who they are to the round, not more.

The list shows each resident's address, buurt, usual praatje, regular assistant and open
orders, fifty at a time by name (a cooperative has hundreds to thousands of residents), searched
in SQL by a piece of name, street or buurt so it runs the same on SQLite and PostgreSQL; the
edit form sets the three things only the coordinator knows: how long a praatje this
resident usually needs (some need a longer chat, that is the job), their regular assistant (the
planner prefers that trusted face) and, only if the assistant must call ahead, a phone number
that partners never see. The next plan uses the changes (``web.adapter.praatje_minutes``).
"""

from __future__ import annotations

from datetime import date, timedelta

import json

from flask import (Blueprint, Response, abort, flash, redirect, render_template,
                   request, url_for)
from sqlalchemy import func, or_, select

from routing.model import DEFAULT_PRAATJE

from . import access, continuity, fields, planning, rights
from .adapter import praatje_minutes
from .auth import role_required
from .dates import local_today
from .db import db
from .hygiene import foreign_digits, is_number, number_error
from .i18n import gettext as _
from .orders import PHONE
from .store import Assistant, Order, Resident, get

bp = Blueprint("residents", __name__, url_prefix="/coordinator/residents")
PRAATJE = (0, 120)  # minutes a resident's usual praatje may be
#: What the edit form changes (name and address come with the resident).
EDITED = ("praatje_minutes", "regular_assistant_id", "phone", "contact_name", "contact_phone",
          "contact_consent", "door_note")
#: The contact fields go together: a form that sends the name sets all three.
CONTACT = ("contact_name", "contact_phone", "contact_consent")
PHONE_LENGTH = 32


def _open_orders(since: date):
    return (select(Order.resident_id, func.count(Order.id))
            .where(Order.status.in_(planning.OPEN), Order.service_date >= since)
            .group_by(Order.resident_id))


PER_PAGE = 50
#: The residents list shows continuity over this many days back.
CONTINUITY_DAYS = 30
QUERY_LENGTH = 80


def _ordered():
    """Residents by name, then id: a stable order, so paging never skips or repeats anyone."""
    return select(Resident).order_by(Resident.name, Resident.id)


def _filtered(rows, buurt: str, query: str):
    """``rows`` in ``buurt`` (if given) whose name, address (street) or buurt holds ``query``.

    ``ilike`` is ``lower() LIKE lower()`` on SQLite and ``ILIKE`` on PostgreSQL; the query's
    own ``%`` and ``_`` are escaped so they match themselves."""
    if buurt:
        rows = rows.where(Resident.buurt == buurt)
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = rows.where(or_(*(column.ilike(like, escape="\\")
                                for column in (Resident.name, Resident.address, Resident.buurt))))
    return rows


def _page_number(raw: str | None) -> int | None:
    """``?page=``: absent is 1; None for anything but a whole number of 1 or more."""
    if raw is None or raw == "":
        return 1
    if not is_number(raw) or int(raw) < 1:
        return None
    return int(raw)


@bp.route("")
@role_required("coordinator")
def index():
    """Residents by name, a page at a time; filter by buurt and by a piece of name, street or
    buurt. A page past the end shows the last page."""
    buurt = request.args.get("buurt", "")
    query = request.args.get("q", "").strip()[:QUERY_LENGTH]
    asked = _page_number(request.args.get("page"))
    if asked is None:  # a hand-made link: say what is wrong rather than guess
        message = _("The page number must be a whole number of 1 or more.")
        return render_template("error.html", title=_("Something is wrong with the request."),
                               message=message), 400
    rows = _filtered(_ordered(), buurt, query)
    total = db().scalar(select(func.count()).select_from(rows.order_by(None).subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(asked, pages)
    residents = db().scalars(rows.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    ids = [r.id for r in residents]
    open_counts = dict(db().execute(_open_orders(local_today())
                                    .where(Order.resident_id.in_(ids))).all()) if ids else {}
    buurten = db().scalars(select(Resident.buurt).where(Resident.buurt.is_not(None))
                           .distinct().order_by(Resident.buurt)).all()
    first = (page - 1) * PER_PAGE + 1 if residents else 0
    access.note(ids, "view", "name,address,praatje")
    since = local_today() - timedelta(days=CONTINUITY_DAYS)
    shares = continuity.measure(continuity.visits_between(
        db(), since, local_today(), ids)).per_resident if ids else {}
    return render_template("coordinator/residents.html", residents=residents, buurt=buurt,
                           shares=shares, continuity_days=CONTINUITY_DAYS,
                           query=query, buurten=buurten, open_counts=open_counts, page=page,
                           pages=pages, total=total, first=first,
                           last=first + len(residents) - 1 if residents else 0)


def page_of(resident: Resident, buurt: str = "") -> int:
    """The page of the list (filtered by ``buurt``) that shows ``resident``: where Back goes."""
    before = _filtered(select(func.count(Resident.id)), buurt, "").where(or_(
        Resident.name < resident.name,
        (Resident.name == resident.name) & (Resident.id < resident.id)))
    return db().scalar(before) // PER_PAGE + 1


def validate(form, _=_) -> tuple[dict, dict[str, str]]:
    """The form's values as the store takes them, and ``{field: reason}`` for bad ones, in
    ``_``'s language. The contact person and the note for the door are free text; the note
    refuses medicine names and doses (the door needs no medical details). A contact person
    is kept only with the resident's consent (it is called when they do not open)."""
    values: dict = {}
    errors: dict[str, str] = {}
    values["contact_name"] = fields.text(form, "contact_name", errors, _, 80) or None
    values["contact_phone"] = fields.phone(form, "contact_phone", errors, _)
    values["door_note"] = fields.text(form, "door_note", errors, _, 300, medical_check=True)
    praatje = form.get("praatje_minutes", "").strip()
    if not praatje:
        values["praatje_minutes"] = None
    elif not is_number(praatje):
        errors["praatje_minutes"] = number_error(praatje, _)
    elif not PRAATJE[0] <= int(praatje) <= PRAATJE[1]:
        errors["praatje_minutes"] = _("must be between {low} and {high}", low=PRAATJE[0],
                                      high=PRAATJE[1])
    else:
        values["praatje_minutes"] = int(praatje)
    regular = form.get("regular_assistant_id", "").strip()
    if not regular:
        values["regular_assistant_id"] = None
    else:
        assistant = get(db(), Assistant, int(regular)) if is_number(regular) else None
        if foreign_digits(regular):
            errors["regular_assistant_id"] = _("use the digits 0 to 9")
        elif assistant is None or not assistant.active:
            errors["regular_assistant_id"] = _("is not one of the assistants")
        else:
            values["regular_assistant_id"] = assistant.id
    phone = form.get("phone", "").strip()
    if foreign_digits(phone):
        errors["phone"] = _("use the digits 0 to 9")
    elif len(phone) > PHONE_LENGTH:
        errors["phone"] = _("is too long (at most {n} characters)", n=PHONE_LENGTH)
    elif phone and not PHONE.match(phone):
        errors["phone"] = _("is not a phone number")
    else:
        values["phone"] = phone or None
    consent = form.get("contact_consent") == "1"
    if (values["contact_name"] or values["contact_phone"]) and not consent:
        errors["contact_consent"] = _("is needed to keep a contact person")
    values["contact_consent"] = consent
    return values, errors


def _sent(name: str) -> bool:
    """Whether the form sets ``name``: a field it sent, or the consent box (absent when not
    ticked) of a form that sent the contact person."""
    return name in request.form or (name in CONTACT and "contact_name" in request.form)


@bp.route("/<int:resident_id>", methods=["GET", "POST"])
@role_required("coordinator")
def edit(resident_id: int):
    """One resident's praatje, regular assistant and phone; errors keep what was typed."""
    resident = get(db(), Resident, resident_id) or abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = validate(request.form)
        if not errors:
            for name, value in values.items():
                if _sent(name):  # else it stays as it was
                    setattr(resident, name, value)
            db().commit()
            access.note([resident.id], "change", "resident",
                        detail=",".join(sorted(k for k in values if _sent(k))))
            flash(_("{name} saved; the next plan uses it.", name=resident.name), "success")
            return redirect(url_for("residents.edit", resident_id=resident.id))
        shown = {k: request.form.get(k, "") for k in EDITED}
    else:
        shown = {k: getattr(resident, k) for k in EDITED}
    orders = db().scalars(select(Order).where(Order.resident_id == resident.id,
                                              Order.status.in_(planning.OPEN),
                                              Order.service_date >= local_today())
                          .order_by(Order.service_date, Order.id)).all()
    planned = {}
    for day in {o.service_date for o in orders}:
        plan = planning.current_plan(db(), day)
        if plan is not None:
            planned.update(plan.payload.get("praatje", {}))
    upcoming = [(o, _next_praatje(o), planned.get(str(o.id))) for o in orders]
    access.note([resident.id], "view", "resident,orders")
    assistants = db().scalars(select(Assistant).where(or_(
        Assistant.active, Assistant.id == resident.regular_assistant_id))
        .order_by(Assistant.name)).all()
    return render_template("coordinator/resident.html", resident=resident, values=shown,
                           back_page=page_of(resident, resident.buurt or ""),
                           errors=errors, assistants=assistants, upcoming=upcoming,
                           defaults=", ".join(f"{_(k)} {v // 60} min"
                                             for k, v in DEFAULT_PRAATJE.items()),
                           low=PRAATJE[0], high=PRAATJE[1]), 422 if errors else 200


def _next_praatje(order: Order) -> int:
    """Minutes of praatje the next plan gives ``order`` (what the planner will be told)."""
    minutes = praatje_minutes(order)
    return DEFAULT_PRAATJE[order.kind] // 60 if minutes is None else minutes


# --- the resident's rights: a copy of their data (AVG art. 15) and erasure (art. 17) -------

@bp.route("/<int:resident_id>/export.json")
@role_required("coordinator")
def export_json(resident_id: int):
    """Everything stored about the resident, as JSON (logged as an export)."""
    resident = get(db(), Resident, resident_id) or abort(404)
    body = rights.export(db(), resident)
    access.note([resident.id], "export", "all", "json")
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename="
                             f"bewoner-{resident.id}.json", "Cache-Control": "no-store"})


@bp.route("/<int:resident_id>/export.pdf")
@role_required("coordinator")
def export_pdf(resident_id: int):
    """The same as a PDF to hand or send to the resident."""
    from .pdf import html_to_pdf

    resident = get(db(), Resident, resident_id) or abort(404)
    html = render_template("privacy/export_pdf.html", data=rights.export(db(), resident))
    access.note([resident.id], "export", "all", "pdf")
    return Response(html_to_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="bewoner-{resident.id}.pdf"',
        "Cache-Control": "no-store"})


@bp.route("/<int:resident_id>/erase", methods=["POST"])
@role_required("coordinator")
def erase(resident_id: int):
    """Erase the resident: only anonymous counts (and the access log by number) remain. The
    form asks for the resident's number again, so a slip of the mouse erases nobody."""
    resident = get(db(), Resident, resident_id) or abort(404)
    back = redirect(url_for("residents.edit", resident_id=resident.id) + "#privacy")
    if request.form.get("confirm", "").strip() != str(resident.id):
        flash(_("Confirm: type the resident number {id} to erase.", id=resident.id), "error")
        return back
    db().rollback()  # erase() starts its own transaction with the lock
    try:
        rights.erase(db(), resident_id, local_today())
    except rights.Refused as exc:
        db().rollback()
        flash(_("Erasure refused: {reason}", reason=_(exc.template, **exc.params)), "error")
        return back
    db().commit()
    access.note([resident_id], "erase", "all")
    flash(_("Resident {id} has been erased; only anonymous counts remain.", id=resident_id),
          "success")
    return redirect(url_for("residents.index"))


# adding, merging and switching residents off: more pages of this blueprint
from . import admin_residents  # noqa: E402,F401
