"""The coordinator's report over a period (or a month): orders by kind and status and by buurt,
praatje minutes, and the pilot's evidence (``web.evidence``): per month, buurt and assistant,
with charts made on the server; as a page, a PDF and a CSV with formula-safe cells.

It reads the anonymous statistics plus what is still stored (``web.stats``), so a period keeps
its totals after the retention purge. Counts only: no resident's data, so nothing to log in
the access log.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request

from . import charts, csvsafe, evidence, stats
from .auth import role_required
from .dates import local_today
from .db import db
from .i18n import gettext as _

bp = Blueprint("reports", __name__, url_prefix="/coordinator/report")
MAX_DAYS = 3 * 366


def _period() -> tuple[dict, dict, dict]:
    """The period asked for: ``month=YYYY-MM``, or ``from`` and ``to``; errors by field."""
    end_default = local_today()
    values = {"from": request.args.get("from", "") or (end_default - timedelta(days=30))
              .isoformat(), "to": request.args.get("to", "") or end_default.isoformat(),
              "month": request.args.get("month", "")}
    errors, days = {}, {}
    if values["month"]:
        try:
            first = date.fromisoformat(values["month"][:7] + "-01")
        except ValueError:
            errors["month"] = _("must be a month like 2025-03")
        else:
            following = (first + timedelta(days=32)).replace(day=1)
            values["from"], values["to"] = first.isoformat(), (following - timedelta(days=1)
                                                               ).isoformat()
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(values[name][:10])
        except ValueError:
            errors.setdefault(name, _("must be a date like 2025-03-14"))
    if not errors and days["to"] < days["from"]:
        errors["to"] = _("must not be before the start")
    if not errors and (days["to"] - days["from"]).days > MAX_DAYS:
        errors["to"] = _("at most {n} days at once", n=MAX_DAYS)
    return values, errors, days


@bp.route("")
@role_required("coordinator")
def period():
    values, errors, days = _period()
    if errors:
        return render_template("coordinator/report.html", values=values, errors=errors,
                               report=None, evidence=None), 400
    result = stats.report(db(), days["from"], days["to"])
    found = evidence.build(db(), days["from"], days["to"])
    return render_template("coordinator/report.html", values=values, errors=errors,
                           report=result, evidence=found, charts=_charts(found),
                           sections=SECTIONS, labels=_labels())


#: What the tables per month, buurt and assistant show (measure → column heading).
SECTIONS = ("residents_reached", "contacts", "praatje_hours", "deliveries", "house_calls",
            "signals", "alerts", "continuity_percent")


def _labels() -> dict[str, str]:
    return {"residents_reached": _("Residents reached"), "contacts": _("Contacts"),
            "praatje_hours": _("Praatje hours"), "deliveries": _("Deliveries"),
            "house_calls": _("House calls"), "signals": _("Signals"),
            "alerts": _("Safety alerts"), "continuity_percent": _("Regular assistant (%)"),
            "unplanned_percent": _("Left out (%)"),
            "orders_planned_or_left": _("Orders given to the planner")}


def _charts(found: evidence.Evidence) -> list[str]:
    def total(prefix: str) -> list[tuple[str, float]]:
        return [(_(m.split(":", 1)[1]), found.get("total", evidence.TOTAL, m))
                for m in found.measures(prefix)]

    def per(dimension: str, measure: str) -> list[tuple[str, float]]:
        return [(g, found.get(dimension, g, measure)) for g in found.groups(dimension)
                if (dimension, g, measure) in found.values]

    return [charts.bars(_("Deliveries by kind"), total("deliveries:")),
            charts.bars(_("Contacts per month"), per("month", "contacts")),
            charts.bars(_("Contacts per buurt"), per("buurt", "contacts")),
            charts.bars(_("House calls by outcome"), total("house_calls:")),
            charts.bars(_("Signals by category"), total("signals:")),
            charts.bars(_("Safety alerts"), total("alerts:")),
            charts.bars(_("Regular assistant per assistant (%)"),
                        per("assistant", "continuity_percent"), unit=" %"),
            charts.bars(_("Orders left out, by reason"), total("unplanned:"))]


@bp.route("/evidence.csv")
@role_required("coordinator")
def csv_file():
    """Every figure as a row: dimension, group, measure, value (cells formula-safe)."""
    values, errors, days = _period()
    if errors:
        return Response("; ".join(f"{k}: {v}" for k, v in errors.items()), status=400,
                        mimetype="text/plain")
    found = evidence.build(db(), days["from"], days["to"])
    stream = io.StringIO()
    out = csvsafe.writer(stream)
    out.writerow(["van", "tot", "dimensie", "groep", "maat", "waarde"])
    for dimension, group, measure, value in found.rows():
        out.writerow([values["from"], values["to"], dimension, group, measure, value])
    return Response(stream.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="buurtroute-verantwoording-'
                               f'{values["from"]}-{values["to"]}.csv"'})


@bp.route("/evidence.pdf")
@role_required("coordinator")
def pdf_file():
    """The report on A4 (the charts are the same SVG as on screen)."""
    from .pdf import html_to_pdf

    values, errors, days = _period()
    if errors:
        return Response("; ".join(f"{k}: {v}" for k, v in errors.items()), status=400,
                        mimetype="text/plain")
    result = stats.report(db(), days["from"], days["to"])
    found = evidence.build(db(), days["from"], days["to"])
    html = render_template("coordinator/report_pdf.html", values=values, report=result,
                           evidence=found, charts=_charts(found), sections=SECTIONS,
                           labels=_labels())
    return Response(html_to_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="buurtroute-verantwoording-'
                               f'{values["from"]}-{values["to"]}.pdf"'})
