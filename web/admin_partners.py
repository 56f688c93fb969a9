"""The coordinator's partners: pharmacies, meal kitchens, parcel points and the cooperative
itself, with their pickup place, opening hours, handling time, logins and API tokens.

A partner the coordinator adds serves their cooperative (``organisations.link``). The pickup
place is geocoded with the area's geocoder, as orders' addresses are. Opening hours become the
time window of the pickup in planning (``web.adapter``) and an order for a day the place is
closed is refused (``web.orders``); the handling minutes are the pickup's service time.
Switching a partner off stops it serving this cooperative; when it serves no cooperative any
more its tokens are revoked and its users' sessions end. ``save`` and ``switch_off`` are used by
the pages and the CLI alike.
"""

from __future__ import annotations

from typing import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import fields, organisations, sessions, tenancy
from .admin_accounts import new_login, read_login, show_link
from .areas import current_area
from .auth import current_user, new_token, role_required
from .db import db
from .fields import WEEKDAYS, Errors, Gettext
from .i18n import N_
from .i18n import gettext as _
from .store import PARTNER_KINDS, ApiToken, Partner, PartnerLink, User, get, utcnow

bp = Blueprint("partner_admin", __name__, url_prefix="/coordinator/partners")
HANDLING = (0, 60)
LABELS = {"name": N_("Name"), "kind": N_("Kind"), "pickup_name": N_("Pickup place name"),
          "pickup_address": N_("Pickup address"), "handling_minutes": N_("Handling (minutes)"),
          "username": N_("Username"), "email": N_("E-mail"), "label": N_("Label"),
          **{f"hours_{d}": n for d, n in fields.WEEK}}


def read(form: Mapping[str, str], area, _: Gettext) -> tuple[dict, Errors]:
    """A partner form's values as the store takes them, and reasons per field."""
    errors: Errors = {}
    values: dict = {"name": fields.text(form, "name", errors, _, 120, required=True),
                    "kind": fields.choice(form, "kind", PARTNER_KINDS, errors, _),
                    "pickup_name": fields.text(form, "pickup_name", errors, _, 120),
                    "handling_minutes": fields.number(form, "handling_minutes", errors, _,
                                                      *HANDLING)}
    point = fields.place(form, "pickup_address", area, errors, _)
    values["pickup_address"] = point.address if point else ""
    values["pickup_lat"], values["pickup_lon"] = (point.lat, point.lon) if point else (None,
                                                                                          None)
    week = {str(i): fields.hours(form.get(f"hours_{d}") or "", f"hours_{d}", errors, _)
            for i, d in enumerate(WEEKDAYS)}
    given = any((form.get(f"hours_{d}") or "").strip() for d in WEEKDAYS)
    values["opening_hours"] = {k: v for k, v in week.items() if v} if given else None
    if values["kind"] in ("pharmacy", "meal_kitchen", "parcel_point") and point is None \
            and "pickup_address" not in errors:
        errors["pickup_address"] = _("needs a pickup place")
    if not values["pickup_name"] and point is not None:
        values["pickup_name"] = values["name"]
    return values, errors


def form_values(partner: Partner | None) -> dict:
    """What the form shows for ``partner`` (or a new one)."""
    if partner is None:
        return {"kind": "meal_kitchen"}
    values = {k: getattr(partner, k) for k in ("name", "kind", "pickup_name", "pickup_address",
                                               "handling_minutes")}
    for i, d in enumerate(WEEKDAYS):
        values[f"hours_{d}"] = fields.hours_text((partner.opening_hours or {}).get(str(i)))
    return values


def save(session: Session, partner: Partner | None, values: dict) -> Partner:
    """Add (linked to the session's cooperative) or change a partner; the caller commits."""
    if partner is None:
        partner = Partner()
        for name, value in values.items():
            setattr(partner, name, value)
        organisations.link(session, tenancy.organisation(session), partner)
        return partner
    for name, value in values.items():
        setattr(partner, name, value)
    return partner


def switch_off(session: Session, partner: Partner) -> bool:
    """Stop ``partner`` serving the session's cooperative; when it serves none any more it is
    switched off: tokens revoked, its users' sessions ended. Answers whether it was."""
    org = tenancy.org_id(session)
    with tenancy.system(session, "the links of a partner being switched off"):
        session.execute(update(PartnerLink).where(PartnerLink.partner_id == partner.id,
                                                  PartnerLink.org_id == org)
                        .values(active=False))
        still = session.scalar(select(PartnerLink.id).where(
            PartnerLink.partner_id == partner.id, PartnerLink.active.is_(True)).limit(1))
        if still is not None:
            return False
        partner.active = False
        session.execute(update(ApiToken).where(ApiToken.partner_id == partner.id,
                                               ApiToken.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))
        for user_id in session.scalars(select(User.id).where(User.partner_id == partner.id)):
            sessions.end_all(session, user_id, "deactivated")
    return True


def switch_on(session: Session, partner: Partner) -> None:
    organisations.link(session, tenancy.organisation(session), partner)
    partner.active = True


def serves_here(session: Session, partner: Partner) -> bool:
    return session.scalar(select(PartnerLink.active).where(
        PartnerLink.partner_id == partner.id)) is True


# --- pages ------------------------------------------------------------------------------------

def _partner(partner_id: int, own: bool = False) -> Partner:
    """The partner serving this cooperative; ``own``: and only this one (else 404)."""
    partner = get(db(), Partner, partner_id)
    if partner is None or (own and not _own(partner)):
        abort(404)
    return partner


@bp.route("")
@role_required("coordinator")
def index():
    partners = db().scalars(select(Partner).order_by(Partner.name)).all()
    active = {p.id: serves_here(db(), p) and p.active for p in partners}
    return render_template("coordinator/partners.html", partners=partners, active=active)


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def new():
    return _form(None)


@bp.route("/<int:partner_id>", methods=["GET", "POST"])
@role_required("coordinator")
def edit(partner_id: int):
    return _form(_partner(partner_id))


def _own(partner: Partner) -> bool:
    """Whether the partner serves only this cooperative (its logins and tokens are ours)."""
    return organisations.serves_only(db(), partner.id, tenancy.org_id(db()))


def _page(partner: Partner | None, values: dict, errors: Errors, new_token: str | None = None,
          status: int = 200):
    users = db().scalars(select(User).where(User.partner_id == partner.id)
                         .order_by(User.username)).all() if partner else []
    tokens = db().scalars(select(ApiToken).where(ApiToken.partner_id == partner.id)
                          .order_by(ApiToken.id.desc())).all() if partner else []
    return render_template("coordinator/partner.html", partner=partner, values=values,
                           errors=errors, labels=LABELS, kinds=PARTNER_KINDS,
                           weekdays=fields.WEEK, users=users,
                           tokens=tokens, own=partner is None or _own(partner),
                           new_token=new_token,
                           active=partner is None or (partner.active and
                                                      serves_here(db(), partner))), status


def _form(partner: Partner | None):
    values, errors = form_values(partner), Errors()
    if request.method == "POST":
        values = request.form.to_dict()
        typed, errors = read(request.form, current_area(), _)
        if partner is not None and partner.kind == "cooperative" and typed["kind"] != \
                "cooperative" and "kind" not in errors:
            errors["kind"] = _("the cooperative's own partner stays a cooperative")
        if partner is not None and not _own(partner):
            errors["name"] = _("also serves other cooperatives; the service admin changes it")
        if not errors:
            partner = save(db(), partner, typed)
            db().commit()
            flash(_("{name} saved.", name=partner.name), "success")
            return redirect(url_for("partner_admin.edit", partner_id=partner.id))
    return _page(partner, values, errors, status=422 if errors else 200)


@bp.route("/<int:partner_id>/active", methods=["POST"])
@role_required("coordinator")
def set_active(partner_id: int):
    partner = _partner(partner_id)
    if partner.kind == "cooperative" and partner.id == organisations.own_partner(db()).id:
        flash(_("The cooperative's own partner cannot be switched off."), "error")
    elif request.form.get("active") == "1":
        switch_on(db(), partner)
        flash(_("{name} is switched on.", name=partner.name), "success")
    else:
        switch_off(db(), partner)
        flash(_("{name} is switched off: its tokens are revoked and its users logged out.",
                name=partner.name), "success")
    db().commit()
    return redirect(url_for("partner_admin.edit", partner_id=partner.id))


@bp.route("/<int:partner_id>/users", methods=["POST"])
@role_required("coordinator")
def add_user(partner_id: int):
    """A login for the partner, with its invitation link."""
    partner = _partner(partner_id, own=True)
    errors: Errors = {}
    username, email = read_login(db(), request.form, errors, _)
    if not partner.active:
        errors["username"] = _("the partner is switched off")
    if errors:
        for line in fields.report(errors, LABELS, _):
            flash(line, "error")
        return redirect(url_for("partner_admin.edit", partner_id=partner.id) + "#users")
    user = new_login(db(), username, email, "partner", partner=partner)
    from . import invitations

    return show_link(user, invitations.hand_over(db(), user, "invite", current_user().id),
                     "invite")


@bp.route("/<int:partner_id>/tokens", methods=["POST"])
@role_required("coordinator")
def add_token(partner_id: int):
    """An API token for the partner's software, shown once on the page that answers."""
    partner = _partner(partner_id, own=True)
    errors: Errors = {}
    label = fields.text(request.form, "label", errors, _, 80)
    if not partner.active:
        errors["label"] = _("the partner is switched off")
    if errors:
        for line in fields.report(errors, LABELS, _):
            flash(line, "error")
        return redirect(url_for("partner_admin.edit", partner_id=partner.id) + "#tokens")
    token = new_token(db(), partner, label)
    db().commit()
    return _page(partner, form_values(partner), {}, new_token=token, status=201)


@bp.route("/<int:partner_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required("coordinator")
def revoke_token(partner_id: int, token_id: int):
    partner = _partner(partner_id, own=True)
    row = get(db(), ApiToken, token_id)
    if row is None or row.partner_id != partner.id:
        abort(404)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db().commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("partner_admin.edit", partner_id=partner.id) + "#tokens")
