"""Pages every visitor shares: the start page, the language switch, errors, address checks."""

from __future__ import annotations

from flask import (Blueprint, Flask, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import BadRequest, Conflict, HTTPException

from routing.geocode import AddressNotFound

from .areas import current_area
from .auth import current_user, home_url, role_required, safe_next
from .db import db
from .hygiene import has_surrogate
from .i18n import LANGUAGES
from .i18n import gettext as _

bp = Blueprint("pages", __name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'",
}


@bp.route("/")
def index():
    user = current_user()
    if user is not None and home_url(user) != url_for("pages.index"):
        return redirect(home_url(user))
    return render_template("index.html")


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Switch the language; a logged-in user's choice is kept on the account too."""
    if code in LANGUAGES:
        session["lang"] = code
        user = current_user()
        if user is not None:
            user.language = code
            db().commit()
    return redirect(safe_next(request.form.get("next", "")) or url_for("pages.index"))


@bp.route("/address/check", methods=["POST"])
@role_required("partner", "coordinator")
def address_check():
    """Live validation for address fields: the normalised address and its buurt, or the
    closest known addresses. POST keeps addresses out of URLs and access logs."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    query = body.get("query", "") if isinstance(body, dict) else None
    if not isinstance(query, str) or len(query) > 200 or has_surrogate(query):
        return jsonify(ok=False, message=_("Something is wrong with the request.")), 400
    area = current_area()
    suggestions = area.geocoder.suggest(query, limit=8) if len(query.strip()) >= 3 else []
    try:
        point = area.geocoder.lookup(query)
    except AddressNotFound as exc:
        return jsonify(ok=False, message=address_problem(exc), candidates=exc.candidates,
                       suggestions=suggestions)
    if point.buurt is None:
        return jsonify(ok=False, message=_("lies outside the buurten of {area}",
                                           area=_(area.title)), suggestions=suggestions)
    return jsonify(ok=True, address=point.address, buurt=point.buurt, suggestions=suggestions,
                   message=_("Address found: {address} ({buurt})", address=point.address,
                             buurt=point.buurt))


def address_problem(exc: AddressNotFound) -> str:
    """Why the map data does not know an address, in the page's language: the core says it
    in English and keeps the sentence's template and values for this."""
    reason = _(exc.template, **exc.params) + "."
    if exc.candidates:
        reason += " " + _("Did you mean: {candidates}?", candidates="; ".join(exc.candidates))
    return reason


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={int(app.config['HSTS_SECONDS'])}; "
                                        "includeSubDomains")
        if request.path.startswith("/api/") or current_user() is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def area_context():
        try:
            area = current_area()
        except Exception:  # the area failing to load must not hide the error page itself
            area = None
        return {"area": area, "user": current_user()}

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template("error.html", title=_("Something is wrong with the request."),
                               message=_("The form has expired; please try again.")), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            from .api import error_response

            response = error_response(exc.code or 500, exc.description or exc.name)
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        titles = {403: _("No access"), 404: _("Page not found"),
                  413: _("The file is too large")}
        limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
        messages = {403: _("You do not have access to this page."),
                    413: _("At most {n} MB can be sent at once; split the file.",
                           n=f"{limit:g}")}
        return render_template("error.html", title=titles.get(exc.code, exc.name),
                               message=messages.get(exc.code, "")), exc.code

    @app.errorhandler(IntegrityError)
    @app.errorhandler(DataError)
    def database_refused(exc):
        """A write the database refused (a race on a unique key, a value it cannot store):
        nothing was stored; say so as a 409/400 instead of a 500."""
        db().rollback()
        return http_error(Conflict(_("Someone else changed this at the same time; please try again."))
                          if isinstance(exc, IntegrityError) else
                          BadRequest(_("The database refused a value in this request.")))
