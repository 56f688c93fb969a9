"""The coordinator's house-call campaigns (huisbezoeken): define one, see its progress.

A campaign names buurten (or streets), a period, how often a door may be rung at most once
someone opened (e.g. not twice within six weeks) and how long a call takes; its doors are all
addresses of those buurten or streets in the area's own address data. The planner fills the
rounds' slack with its doors (``web.housecalls``). Progress is per buurt and street: doors,
reached, talked to; the coverage map colours streets, never doors, so it names nobody.
"""

from __future__ import annotations

from datetime import date

from flask import (Blueprint, abort, flash, redirect, render_template, request,
                   url_for)
from sqlalchemy import func, select

from routing.mapsvg import coverage_svg

from . import housecalls
from .areas import current_area
from .auth import current_user, role_required
from .dates import local_today
from .db import db
from .hygiene import clean, has_surrogate, is_number
from .i18n import gettext as _
from .store import Campaign, CampaignDoor, get

bp = Blueprint("campaigns", __name__, url_prefix="/coordinator/campaigns")
INTERVAL = (1, 365)
MINUTES = (2, 60)
MAX_DAYS = 366


@bp.route("", methods=["GET", "POST"])
@role_required("coordinator")
def index():
    """The campaigns, and the form for a new one (errors by field, nothing stored half)."""
    area = current_area()
    buurten = sorted(area.buurten)
    errors: dict[str, str] = {}
    start = local_today()
    values = {"name": "", "buurten": [], "streets": "", "start": start.isoformat(),
              "end": date.fromordinal(start.toordinal() + 41).isoformat(),
              "min_interval_days": "42", "call_minutes": "10"}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        values["buurten"] = [b for b in request.form.getlist("buurten") if b]
        draft, errors = validate(values, buurten)
        if not errors:
            campaign = housecalls.create(db(), area, user_id=current_user().id, **draft)
            doors = db().scalar(select(func.count(CampaignDoor.id)).where(
                CampaignDoor.campaign_id == campaign.id))
            if not doors:
                db().rollback()
                errors["streets"] = _("no address of the area lies in these buurten or streets")
            else:
                db().commit()
                flash(_("Campaign {name} made with {n} doors.", name=campaign.name, n=doors),
                      "success")
                return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    rows = db().scalars(select(Campaign).order_by(Campaign.start.desc(), Campaign.id)).all()
    counts = dict(db().execute(select(CampaignDoor.campaign_id, func.count(CampaignDoor.id))
                               .group_by(CampaignDoor.campaign_id)).all())
    return render_template("coordinator/campaigns.html", campaigns=rows, counts=counts,
                           values=values, errors=errors, buurten=buurten
                           ), 422 if errors else 200


def validate(values: dict, buurten: list[str]) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    draft: dict = {}
    name = values["name"]
    if has_surrogate(name) or not clean(name).strip():
        errors["name"] = _("is required")
    elif len(clean(name).strip()) > 120:
        errors["name"] = _("is too long (at most {n} characters)", n=120)
    else:
        draft["name"] = clean(name).strip()
    chosen = values["buurten"]
    if any(b not in buurten for b in chosen):
        errors["buurten"] = _("is not a buurt of the area")
    draft["buurten"] = list(chosen)
    streets = [] if has_surrogate(values["streets"]) else [
        clean(s).strip() for s in values["streets"].split(",") if clean(s).strip()]
    if has_surrogate(values["streets"]) or any(len(s) > 120 for s in streets):
        errors["streets"] = _("is too long (at most {n} characters)", n=120)
    draft["streets"] = streets
    if not chosen and not streets and "buurten" not in errors:
        errors["buurten"] = _("choose at least one buurt or street")
    for name_ in ("start", "end"):
        try:
            draft[name_] = date.fromisoformat(values[name_])
        except ValueError:
            errors[name_] = _("must be a date like 2025-03-14")
    if "start" in draft and "end" in draft:
        if draft["end"] < draft["start"]:
            errors["end"] = _("must not be before the start")
        elif (draft["end"] - draft["start"]).days > MAX_DAYS:
            errors["end"] = _("at most {n} days at once", n=MAX_DAYS)
    for name_, (low, high) in (("min_interval_days", INTERVAL), ("call_minutes", MINUTES)):
        raw = values[name_].strip()
        if not is_number(raw) or not low <= int(raw) <= high:
            errors[name_] = _("must be between {low} and {high}", low=low, high=high)
        else:
            draft[name_] = int(raw)
    return draft, errors


@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@role_required("coordinator")
def show(campaign_id: int):
    """Progress per buurt and street, the coverage map; stop or restart the campaign."""
    campaign = get(db(), Campaign, campaign_id) or abort(404)
    if request.method == "POST":
        campaign.active = request.form.get("action") == "restart"
        db().commit()
        flash(_("Campaign {name} saved.", name=campaign.name), "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    progress = housecalls.progress(db(), campaign)
    streets = housecalls.street_coverage(db(), campaign)
    svg = coverage_svg(current_area(), streets, title=_("Coverage of {name}",
                                                          name=campaign.name))
    return render_template("coordinator/campaign.html", campaign=campaign, progress=progress,
                           svg=svg)
