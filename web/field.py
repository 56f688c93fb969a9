"""The assistant at the door: signals, and the outcome of a house call.

Both come from the round page, as a form (no script) or as JSON from the page's outbox
(``static/door.js``), which keeps them on the phone while there is no connection and sends
them once it is back; the id the page made for each is what makes a resend harmless.
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from sqlalchemy.exc import IntegrityError

from . import access, housecalls, signals
from .areas import current_area
from .assistant import _round
from .auth import current_user, role_required
from .dates import local_today
from .db import db
from .i18n import gettext as _

bp = Blueprint("field", __name__, url_prefix="/assistant")


def _round_residents() -> set[int]:
    _plan, rnd = _round(current_user().assistant, local_today())
    return {o.resident_id for s in rnd.stops for o in s.orders} if rnd is not None else set()


def _store_signal(body: dict):
    """Validate, store and commit a signal; (signal, replayed) or :class:`signals.Refused`."""
    user = current_user()
    draft = signals.validate(body, list(current_area().buurten))
    try:
        found = signals.record(db(), draft, user.assistant, user.id, local_today(),
                               _round_residents())
        db().commit()
    except IntegrityError:  # the same signal sent twice at once: the other one stored it
        db().rollback()
        found = signals.record(db(), draft, user.assistant, user.id, local_today(),
                               _round_residents())
    signal, replayed = found
    if not replayed:
        access.note([signal.resident_id] if signal.resident_id else [None], "create", "signal",
                    detail=f"signal {signal.id}")
    return signal, replayed


@bp.route("/signals", methods=["POST"])
@role_required("assistant")
def signal_form():
    """A signal from the round page's form (without script)."""
    try:
        _signal, replayed = _store_signal(request.form.to_dict())
    except signals.Refused as exc:
        db().rollback()
        flash(f"{_(exc.field)}: {_(exc.template, **exc.params)}", "error")
        return redirect(url_for("assistant.round") + "#signal")
    flash(_("Signal already recorded.") if replayed else _("Signal recorded. Thank you."),
          "success")
    return redirect(url_for("assistant.round"))


@bp.route("/signals.json", methods=["POST"])
@role_required("assistant")
def signal_api():
    """``{"event_id", "category", "urgency", "note", "resident_id"?, "buurt"?, "ago"?}``:
    201 stored, 200 stored before (the same event id), 4xx naming the field."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "body: must be a JSON object"}), 400
    try:
        signal, replayed = _store_signal(body)
    except signals.Refused as exc:
        db().rollback()
        return jsonify({"error": f"{exc.field}: {exc}", "field": exc.field}), exc.status
    return jsonify({"id": signal.id, "replayed": replayed}), 200 if replayed else 201


@bp.route("/housecalls", methods=["POST"])
@role_required("assistant")
def house_call():
    """The outcome of a house call: a form, or JSON ``{"event_id", "door_id", "outcome",
    "ago"?}`` from the outbox. 201 / 200 (sent before) / 4xx naming the field."""
    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(body, dict):
        return jsonify({"error": "body: must be a JSON object"}), 400
    try:
        call, replayed = housecalls.record(db(), body, current_user(), local_today())
        db().commit()
    except housecalls.Refused as exc:
        db().rollback()
        if not request.is_json:
            flash(f"{_(exc.field)}: {_(exc.template, **exc.params)}", "error")
            return redirect(url_for("assistant.round"))
        return jsonify({"error": f"{exc.field}: {exc}", "field": exc.field}), exc.status
    except IntegrityError:
        db().rollback()
        call, replayed = housecalls.record(db(), body, current_user(), local_today())
    if not request.is_json:
        flash(_("Marked: {status}.", status=_(call.outcome)), "success")
        return redirect(url_for("assistant.round"))
    return jsonify({"id": call.id, "replayed": replayed}), 200 if replayed else 201
