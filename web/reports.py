"""The coordinator's report over a period: orders by kind and status and by buurt, and
praatje minutes. It reads the anonymous statistics plus the orders still stored
(``web.stats``), so a period keeps its totals after the retention purge. Counts only: no
resident's data, so nothing to log in the access log."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request

from . import stats
from .auth import role_required
from .dates import local_today
from .db import db
from .i18n import gettext as _

bp = Blueprint("reports", __name__, url_prefix="/coordinator/report")
MAX_DAYS = 3 * 366


@bp.route("")
@role_required("coordinator")
def period():
    end_default = local_today()
    values = {"from": request.args.get("from", "") or (end_default - timedelta(days=30))
              .isoformat(), "to": request.args.get("to", "") or end_default.isoformat()}
    errors, days = {}, {}
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(values[name][:10])
        except ValueError:
            errors[name] = _("must be a date like 2025-03-14")
    if not errors and days["to"] < days["from"]:
        errors["to"] = _("must not be before the start")
    if not errors and (days["to"] - days["from"]).days > MAX_DAYS:
        errors["to"] = _("at most {n} days at once", n=MAX_DAYS)
    result = None if errors else stats.report(db(), days["from"], days["to"])
    return render_template("coordinator/report.html", values=values, errors=errors,
                           report=result), 400 if errors else 200
