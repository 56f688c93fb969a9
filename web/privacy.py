"""The privacy officer's pages: the access log per resident and per user, and a resident's
own access report (PDF and JSON) on request.

Who may read the log is a setting (``ACCESS_LOG_READERS``: the privacy officer, optionally the
coordinator). Every reading is itself written to the log, so the log also says who looked at
it. A resident number stays readable after the resident was erased: the log outlives them.
"""

from __future__ import annotations

import json

from flask import (Blueprint, Response, abort, current_app, redirect, render_template,
                   request, url_for)
from sqlalchemy import select

from . import access, tenancy
from .auth import role_required
from .db import db
from .hygiene import is_number
from .i18n import gettext as _
from .store import Partner, Resident, User, get, utcnow

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


#: The roles ``ACCESS_LOG_READERS`` names (with the second factor they need, as elsewhere).
readers_only = role_required(lambda: access.readers(current_app))


@bp.route("/")
@readers_only
def index():
    """Look up the log of a resident (by number) or of a user."""
    raw = request.args.get("resident", "").strip()
    if raw:
        if not is_number(raw) or not 0 < int(raw) <= 2**31 - 1:
            message = _("Resident number: must be a whole number of 1 or more.")
            return render_template("privacy/index.html", users=_users(), error=message,
                                   value=raw[:20]), 400
        return redirect(url_for("privacy.resident_log", resident_id=int(raw)))
    return render_template("privacy/index.html", users=_users(), error=None, value="")


def _users() -> list[User]:
    return list(db().scalars(select(User).order_by(User.role, User.username)))


def _organisations() -> dict[int, str]:
    return {p.id: p.name for p in db().scalars(select(Partner))}


def _known(resident_id: int) -> None:
    """404 unless the resident is this cooperative's, or was (the log outlives them)."""
    if get(db(), Resident, resident_id) is None and not access.entries(
            db(), resident_id=resident_id, limit=1):
        abort(404)


@bp.route("/residents/<int:resident_id>")
@readers_only
def resident_log(resident_id: int):
    _known(resident_id)
    entries = access.entries(db(), resident_id=resident_id)
    access.note([resident_id], "log_view", "access_log")
    return render_template("privacy/log.html", entries=entries, resident_id=resident_id,
                           exists=get(db(), Resident, resident_id) is not None, subject=None,
                           names=access.user_names(db(), entries),
                           organisations=_organisations())


@bp.route("/users/<int:user_id>")
@readers_only
def user_log(user_id: int):
    subject = get(db(), User, user_id) or abort(404)
    entries = access.entries(db(), user_id=user_id)
    access.note([None], "log_view", "access_log", subject_user_id=subject.id)
    return render_template("privacy/log.html", entries=entries, resident_id=None,
                           exists=False, subject=subject, names=access.user_names(db(), entries),
                           organisations=_organisations())


def access_report(resident_id: int) -> dict:
    """What a resident may know about who accessed their data: when, which role and
    organisation, what was done with which part, through which channel (no usernames of
    staff: the organisation answers for its people)."""
    _known(resident_id)
    organisations = _organisations()
    own = tenancy.organisation(db())
    entries = list(reversed(access.entries(db(), resident_id=resident_id, limit=100_000)))
    return {"resident": resident_id, "generated_at": utcnow().isoformat(timespec="seconds")
            + "Z", "accesses": [{
                "at": e.at.isoformat(timespec="seconds") + "Z", "role": e.role,
                "organisation": organisations.get(e.partner_id, "") if e.partner_id
                else own.name if own is not None else "", "action": e.action, "part": e.part,
                "channel": e.channel, "on_behalf": e.on_behalf} for e in entries]}


@bp.route("/residents/<int:resident_id>/report.json")
@readers_only
def report_json(resident_id: int):
    body = access_report(resident_id)
    access.note([resident_id], "export", "access_log", "json", on_behalf="resident's request")
    return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename="
                             f"toegangsverslag-{resident_id}.json",
                             "Cache-Control": "no-store"})


@bp.route("/residents/<int:resident_id>/report.pdf")
@readers_only
def report_pdf(resident_id: int):
    from .pdf import html_to_pdf

    body = access_report(resident_id)
    html = render_template("privacy/report_pdf.html", report=body)
    access.note([resident_id], "export", "access_log", "pdf", on_behalf="resident's request")
    return Response(html_to_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="toegangsverslag-{resident_id}.pdf"',
        "Cache-Control": "no-store"})
