"""The service admin's pages: the cooperatives on the service and their first coordinator.

The service admin runs the hosted service. It adds an organisation (a cooperative with its
area and time zone) with the coordinator who then onboards everyone else, switches an
organisation off, and lets a partner that already serves one cooperative serve another (a
pharmacy chain). Its requests have an empty scope (``web.tenancy``): it never sees a
resident, an order or a plan, only names and counts of organisations and partners. The first
coordinator gets an invitation link (``web.invitations``), mailed or handed over, and chooses
their own password: a password the admin chose or saw would open the cooperative's residents.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from routing.area import AREAS_DIR, extract_available

from . import invitations, organisations, tenancy
from .admin_accounts import new_login, read_login
from .auth import current_user, role_required
from .db import db
from .i18n import gettext as _
from .store import Organisation, Partner, PartnerLink, User, get

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _areas() -> list[str]:
    return sorted(p.stem for p in AREAS_DIR.glob("*.toml") if extract_available(p.stem))


@dataclass(frozen=True)
class Overview:
    """What the service admin's page lists: names and counts, never a resident."""

    orgs: list[Organisation]
    people: dict[int, int]  # organisation id → active logins
    waiting: set[int]  # organisations with a coordinator who has not logged in yet
    partners: list[Partner]
    served: dict[int, set[int]]  # partner id → ids of the organisations it serves


@dataclass(frozen=True)
class Invitation:
    """A coordinator's invitation link, shown once on the page (or where it was mailed)."""

    org: str
    username: str
    handover: invitations.Handover


def _overview() -> Overview:
    with tenancy.system(db(), "the service admin's list of organisations (no residents)"):
        orgs = list(db().scalars(select(Organisation).order_by(Organisation.name)))
        people = dict(db().execute(select(User.org_id, func.count(User.id)).where(
            User.org_id.is_not(None), User.active.is_(True)).group_by(User.org_id)).all())
        waiting = set(db().scalars(select(User.org_id).where(
            User.role == "coordinator", User.active.is_(True), User.last_login_at.is_(None))))
        partners = list(db().scalars(select(Partner).where(Partner.kind != "cooperative")
                                     .order_by(Partner.name)))
        served: dict[int, set[int]] = {p.id: set() for p in partners}
        for org_id, partner_id in db().execute(
                select(PartnerLink.org_id, PartnerLink.partner_id).where(
                    PartnerLink.active.is_(True), PartnerLink.partner_id.in_(served))):
            served[partner_id].add(org_id)
    return Overview(orgs, people, waiting, partners, served)


@bp.route("/", methods=["GET", "POST"])
@role_required("service_admin")
def index():
    """Organisations, and the form for a new one with its first coordinator's invitation."""
    if request.method == "GET":
        return _page({"time_zone": "Europe/Amsterdam"})
    values = {k: request.form.get(k, "").strip() for k in
              ("slug", "name", "area", "time_zone", "coordinator", "email")}
    errors = organisations.problems(db(), values["slug"], values["name"], values["time_zone"],
                                    _)
    if values["area"] and values["area"] not in _areas():
        errors["area"] = _("not an area of this service")
    login: dict[str, str] = {}
    username, email = read_login(db(), {"username": values["coordinator"],
                                        "email": values["email"]}, login, _)
    errors.update({"coordinator" if k == "username" else k: v for k, v in login.items()})
    if errors:
        return _page(values, errors)
    try:
        with tenancy.system(db(), "the service admin adds an organisation"):
            org = organisations.create(db(), values["slug"], values["name"],
                                       values["area"] or None, values["time_zone"])
            user = new_login(db(), username, email, "coordinator", org_id=org.id)
            db().commit()
    except ValueError:  # a username create_user refuses (look-alike characters)
        db().rollback()
        errors["coordinator"] = _("plain printable text without spaces, at most 80 characters")
        return _page(values, errors)
    flash(_("{name} is added.", name=org.name), "success")
    return _page({"time_zone": "Europe/Amsterdam"}, invited=_invite(org, user))


@bp.route("/organisations/<int:org_id>/invitation", methods=["POST"])
@role_required("service_admin")
def invite_again(org_id: int):
    """A new invitation for a coordinator who has not logged in yet (the first link expired
    or got lost). Coordinators who have logged in send each other new links: the service
    admin never chooses or learns a password that opens a cooperative's residents."""
    with tenancy.system(db(), "the service admin invites a coordinator again"):
        org = get(db(), Organisation, org_id)
        if org is None or not org.active:  # switched off: a link would not work
            abort(404)
        user = db().scalar(select(User).where(
            User.org_id == org.id, User.role == "coordinator", User.active.is_(True),
            User.last_login_at.is_(None)).order_by(User.id).limit(1))
    if user is None:
        flash(_("Every coordinator of {name} has logged in: they send each other new links.",
                name=org.name), "error")
        return redirect(url_for("admin.index"))
    return _page({"time_zone": "Europe/Amsterdam"}, invited=_invite(org, user))


def _invite(org: Organisation, user: User) -> Invitation:
    with tenancy.system(db(), "the service admin invites a cooperative's coordinator"):
        handover = invitations.hand_over(db(), user, "invite", current_user().id)
    return Invitation(org.name, user.username, handover)


def _page(values: dict[str, str], errors: dict[str, str] | None = None,
          invited: Invitation | None = None):
    status = 422 if errors else 201 if invited else 200
    return render_template("admin/index.html", overview=_overview(), values=values,
                           errors=errors or {}, invited=invited, areas=_areas()), status


@bp.route("/organisations/<int:org_id>/active", methods=["POST"])
@role_required("service_admin")
def set_active(org_id: int):
    """Switch an organisation off (its people can no longer log in) or on again."""
    with tenancy.system(db(), "the service admin switches an organisation"):
        org = get(db(), Organisation, org_id)
        if org is None:
            abort(404)
        org.active = request.form.get("active") == "1"
        db().commit()
    flash(_("{name} is switched on.", name=org.name) if org.active else
          _("{name} is switched off.", name=org.name), "success")
    return redirect(url_for("admin.index"))


@bp.route("/links", methods=["POST"])
@role_required("service_admin")
def link_partner():
    """Let a partner serve one more organisation (or stop serving it)."""
    raw_org, raw_partner = request.form.get("org", ""), request.form.get("partner", "")
    if not raw_org.isdigit() or not raw_partner.isdigit():
        abort(404)
    with tenancy.system(db(), "the service admin links a partner"):
        org, partner = get(db(), Organisation, int(raw_org)), get(db(), Partner,
                                                                  int(raw_partner))
        if org is None or partner is None or partner.kind == "cooperative":
            abort(404)
        active = request.form.get("active", "1") == "1"
        if active:
            organisations.link(db(), org, partner)
        else:
            link = db().scalar(select(PartnerLink).where(
                PartnerLink.org_id == org.id, PartnerLink.partner_id == partner.id,
                PartnerLink.active.is_(True)))
            if link is None:
                abort(404)  # it does not serve that cooperative: nothing to stop
            if organisations.serves_only(db(), partner.id, org.id):
                flash(_("{partner} serves only {org}: its coordinator switches it off there.",
                        partner=partner.name, org=org.name), "error")
                return redirect(url_for("admin.index"))
            link.active = False
        db().commit()
    flash(_("{partner} serves {org}.", partner=partner.name, org=org.name) if active else
          _("{partner} no longer serves {org}.", partner=partner.name, org=org.name), "success")
    return redirect(url_for("admin.index"))
