"""The coordinator at the door's side: safety alerts and signals.

Open alerts stand at the top of the day screen, which asks every few seconds whether they
changed (``alerts/panel``, answered 204 when nothing did, so an idle screen logs no access)
and shows new ones without a reload. An alert is closed with what was done, and the
resident's standing orders can be paused from there (``web.standing.pause``). Signals are listed open
first; the coordinator assigns a follow-up (who, by when), adds notes and closes them.

Every page that shows a resident's name notes it in the access log (``web.access``).
"""

from __future__ import annotations

import hashlib
from datetime import date

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import access, alerts, notify, planning, signals, standing, tenancy
from .auth import current_user, role_required
from .dates import local_today
from .db import app_object, db
from .hygiene import clean, has_surrogate
from .i18n import gettext as _
from .store import SIGNAL_STATUSES, SafetyAlert, Signal, User, get

bp = Blueprint("door", __name__, url_prefix="/coordinator")
TEXT_LENGTH = 300


def _version(rows: list[SafetyAlert]) -> str:
    key = ",".join(f"{a.id}{a.level[0]}" for a in rows)
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def panel_context() -> dict:
    """What the alerts panel shows (the day screen includes it), logged as seen."""
    rows = alerts.open_alerts(db())
    access.note([a.resident_id for a in rows], "view", "alert,contact")
    return {"open_alerts": rows, "alerts_version": _version(rows)}


@bp.route("/alerts", methods=["GET", "POST"])
@role_required("coordinator")
def alerts_page():
    """Open and recently closed alerts, and where this cooperative's alerts are sent."""
    org = tenancy.organisation(db())
    values = {"alert_email": org.alert_email, "alert_sms": org.alert_sms}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in values}
        errors = _recipient_errors(values)
        if not errors:
            org.alert_email, org.alert_sms = values["alert_email"], values["alert_sms"]
            db().commit()
            flash(_("Saved: alerts go to these recipients."), "success")
            return redirect(url_for("door.alerts_page"))
    closed = db().scalars(select(SafetyAlert).where(SafetyAlert.closed_at.is_not(None))
                          .order_by(SafetyAlert.closed_at.desc()).limit(50)).all()
    access.note([a.resident_id for a in closed], "view", "alert")
    channels = current_app.extensions["buurtroute.channels"]
    return render_template("coordinator/alerts.html", closed=closed, values=values,
                           errors=errors, has_mail=channels.smtp is not None,
                           has_sms=channels.gateway is not None, **panel_context()
                           ), 422 if errors else 200


def _recipient_errors(values: dict) -> dict[str, str]:
    errors = {}
    for name, limit, pattern, reason in (
            ("alert_email", 300, notify.EMAIL, _("is not a list of e-mail addresses")),
            ("alert_sms", 200, notify.NUMBER, _("is not a list of phone numbers"))):
        value = values[name]
        if has_surrogate(value) or len(value) > limit:
            errors[name] = _("is too long (at most {n} characters)", n=limit)
        elif not all(pattern.match(v) for v in notify.listed(value)):
            errors[name] = reason
    return errors


@bp.route("/alerts/panel")
@role_required("coordinator")
def alerts_panel():
    """The panel as an HTML fragment; 204 when it is what the page already shows."""
    rows = alerts.open_alerts(db())
    if request.args.get("seen") == _version(rows):
        return Response(status=204)
    return render_template("coordinator/alerts_panel.html", **panel_context())


@bp.route("/alerts/<int:alert_id>", methods=["GET", "POST"])
@role_required("coordinator")
def alert(alert_id: int):
    """One alert: the resident, their contact (with consent), and the form that closes it."""
    row = get(db(), SafetyAlert, alert_id) or abort(404)
    errors: dict[str, str] = {}
    values = {"outcome": "", "pause": "", "pause_until": ""}
    if request.method == "POST" and row.closed_at is None:
        values = {k: request.form.get(k, "") for k in values}
        outcome, until, errors = _close_form(values)
        if not errors:
            alerts.close(row, current_user().id, outcome)
            cancelled = standing.pause(
                db(), row.resident, None, local_today(), until,
                _("After safety alert #{id}: {outcome}", id=row.id, outcome=outcome),
                current_user().id) if values["pause"] and until is not None else []
            db().commit()
            access.note_orders(cancelled, "change", "status")
            planning.orders_cancelled(app_object(), db(), cancelled, current_user().id)
            access.note([row.resident_id], "change", "alert" + (",pause" if values["pause"]
                                                                 else ""))
            flash(_("Alert #{id} closed.", id=row.id), "success")
            return redirect(url_for("coordinator.day", date=row.service_date.isoformat()))
    access.note([row.resident_id], "view", "alert,contact")
    return render_template("coordinator/alert.html", alert=row, values=values, errors=errors,
                           pauses=standing.pauses_of_resident(db(), row.resident_id,
                                                              local_today())
                           ), 422 if errors else 200


def _close_form(values: dict) -> tuple[str, date | None, dict[str, str]]:
    errors = {}
    outcome = values["outcome"]
    if has_surrogate(outcome):
        errors["outcome"] = _("contains characters that are not text")
    else:
        outcome = clean(outcome).strip()
        if not outcome:
            errors["outcome"] = _("is required: what was done?")
        elif len(outcome) > TEXT_LENGTH:
            errors["outcome"] = _("is too long (at most {n} characters)", n=TEXT_LENGTH)
    until = None
    if values["pause"] and not values["pause_until"]:
        errors["pause_until"] = _("give the last day of the pause")
    elif values["pause"]:
        try:
            until = date.fromisoformat(values["pause_until"])
        except ValueError:
            errors["pause_until"] = _("must be a date like 2025-03-14")
        else:
            if until < local_today():
                errors["pause_until"] = _("must not be before today")
    return outcome, until, errors


# --- signals ----------------------------------------------------------------------------------

@bp.route("/signals")
@role_required("coordinator")
def signals_page():
    status = request.args.get("status", "")
    if status and status not in SIGNAL_STATUSES:
        status = ""
    query = select(Signal).options(selectinload(Signal.resident), selectinload(Signal.assistant))
    if status:
        query = query.where(Signal.status == status)
    rows = sorted(db().scalars(query.order_by(Signal.id.desc()).limit(200)),
                  key=lambda s: (s.status == "closed", s.urgency != "today"))
    access.note([s.resident_id for s in rows if s.resident_id], "view", "signal")
    return render_template("coordinator/signals.html", signals=rows, status=status,
                           statuses=SIGNAL_STATUSES, names=_user_names())


def _user_names() -> dict[int, str]:
    return {u.id: u.username for u in db().scalars(select(User).where(
        User.role.in_(("coordinator", "assistant")), User.active))}


@bp.route("/signals/<int:signal_id>", methods=["GET", "POST"])
@role_required("coordinator")
def signal(signal_id: int):
    """One signal: assign a follow-up (who, by when), add a note, or close it."""
    row = get(db(), Signal, signal_id) or abort(404)
    errors: dict[str, str] = {}
    values = {"follow_up_user_id": str(row.follow_up_user_id or ""),
              "follow_up_due": row.follow_up_due.isoformat() if row.follow_up_due else "",
              "text": ""}
    people = _user_names()
    if request.method == "POST" and row.status != "closed":
        action = request.form.get("action", "")
        values.update({k: request.form.get(k, "") for k in values})
        if action == "assign":
            who, due = values["follow_up_user_id"], values["follow_up_due"]
            if not (who.isascii() and who.isdigit()) or int(who) not in people:
                errors["follow_up_user_id"] = _("is not one of the cooperative's people")
            try:
                due_date = date.fromisoformat(due)
            except ValueError:
                errors["follow_up_due"] = _("must be a date like 2025-03-14")
            if not errors:
                signals.assign(row, int(who), due_date)
        elif action in ("note", "close"):
            text = values["text"]
            if has_surrogate(text):
                errors["text"] = _("contains characters that are not text")
            else:
                text = clean(text).strip()
                if len(text) > TEXT_LENGTH:
                    errors["text"] = _("is too long (at most {n} characters)", n=TEXT_LENGTH)
                elif action == "note" and not text:
                    errors["text"] = _("is required")
            if not errors:
                if text:
                    signals.add_note(db(), row, current_user().id, text)
                if action == "close":
                    signals.close(row, current_user().id)
        else:
            errors["action"] = _("is not one of assign, note, close")
        if not errors:
            db().commit()
            access.note([row.resident_id] if row.resident_id else [None], "change", "signal",
                        detail=f"signal {row.id} {action}")
            flash(_("Signal #{id} saved.", id=row.id), "success")
            return redirect(url_for("door.signal", signal_id=row.id))
        db().rollback()
    access.note([row.resident_id] if row.resident_id else [None], "view", "signal",
                detail=f"signal {row.id}")
    return render_template("coordinator/signal.html", signal=row, values=values,
                           errors=errors, people=people), 422 if errors else 200
