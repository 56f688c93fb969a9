"""Route sheets as a PDF download: the coordinator's "all rounds" and an assistant's own round.

The sheets are the HTML print sheets (``round_macros.sheet``) laid out by WeasyPrint on A4: one
round starts a page, a long stop table runs on with its header repeated, and every page says
whose round it is and its page number. Nothing is fetched from outside: the map is the inline
SVG of ``routing.mapsvg``, the fonts are the system's (DejaVu). The PDF carries health-related
personal data, so it is never cached and nothing about its content is logged.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask import Blueprint, Response, redirect, render_template, url_for
from markupsafe import Markup

from . import access, planning, rounds
from .areas import current_area
from .assistant import _day, _whose  # the HTML round page's rules: who may see which round
from .auth import current_user, role_required
from .db import db
from .i18n import gettext as _
from .i18n import long_date
from .store import Assistant, Plan

bp = Blueprint("pdf", __name__)


@bp.route("/coordinator/print.pdf")
@role_required("coordinator")
def all_rounds():
    """Every round of the day (``?date=``), as ``/coordinator/print`` shows them."""
    service_date = _day()
    plan = planning.current_plan(db(), service_date)
    found = rounds.rounds_of(db(), plan) if plan is not None else []
    return _download(service_date, plan, found, f"buurtroute-rondes-{service_date}.pdf",
                     _("No plan for this day yet."))


@bp.route("/assistant/round.pdf")
@bp.route("/assistant/<int:assistant_id>/round.pdf")
@role_required("assistant", "coordinator")
def one_round(assistant_id: int | None = None):
    """The assistant's own round; a coordinator names the assistant, like ``/assistant/<id>``."""
    service_date = _day()
    if assistant_id is None and current_user().role == "coordinator":
        return redirect(url_for("pdf.all_rounds", date=service_date.isoformat()))
    assistant = _whose(assistant_id)
    plan = planning.current_plan(db(), service_date)
    found = rounds.rounds_of(db(), plan, assistant.id) if plan is not None else []
    return _download(service_date, plan, found,
                     f"buurtroute-ronde-{_slug(assistant)}-{service_date}.pdf",
                     _("No stops planned for you on this day yet."))


def _download(day: date, plan: Plan | None, found: list[rounds.Round], filename: str,
              empty: str) -> Response:
    body = render_pdf(day, plan, [r for r in found if r.stops], empty)
    access.note_orders([o for r in found for s in r.stops for o in s.orders], "export", "round",
                       "pdf")
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def render_pdf(day: date, plan: Plan | None, found: list[rounds.Round], empty: str) -> bytes:
    """The sheets of ``found`` (rounds with stops) as PDF bytes; ``empty`` when there are none."""
    area = current_area()
    sheets = [(r, rounds.map_svg(area, [r], title=r.assistant.name, ident=f"map-{i}"),
               rounds.schedule(plan, r)) for i, r in enumerate(found, 1)]
    heading = _("Rounds of {date}", date=long_date(day))
    html = render_template("round_pdf.html", day=day, sheets=sheets, title=heading,
                           heading=heading, empty=empty, page_label=_page_label())
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    """A self-contained HTML page as PDF bytes (route sheets, a resident's export and access
    report)."""
    from weasyprint import HTML  # here: the app starts (and serves all else) without pango
    from weasyprint.urls import URLFetcher

    # No base URL and a fetcher that allows no scheme at all: the sheet is self-contained, and
    # nothing in it (a note, an address) can make the server fetch a URL.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def _page_label() -> Markup:
    """``Page 1 of 3`` as a CSS ``content`` value with the page counters in it."""
    text = _("Page {page} of {pages}", page="\0", pages="\1")
    parts = re.split(r"([\0\1])", text)
    out = []
    for part in parts:
        if part == "\0":
            out.append("counter(page)")
        elif part == "\1":
            out.append("counter(pages)")
        elif part:
            out.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return Markup(" ".join(out))


def _slug(assistant: Assistant) -> str:
    """A file-name-safe form of the assistant's name (ASCII letters and digits only)."""
    name = unicodedata.normalize("NFKD", assistant.name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or str(assistant.id)
