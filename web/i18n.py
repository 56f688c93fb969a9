"""Dutch by default, English on request: gettext catalogues through Flask-Babel.

Templates and messages are written in English (the source language) with named
``{placeholders}`` and wrapped in ``_()`` (or ``ngettext()`` where a count decides the words);
``web/translations/<language>/LC_MESSAGES/messages.po`` holds the translations. The ``.po``
files are the only source: at start the app compiles them into its instance folder (a fresh
checkout needs no build step, and an edited ``.po`` is picked up by the next start).
``make messages`` extracts new texts into both catalogues; a test fails on any text without a
Dutch translation.

The language is the visitor's choice (``/lang/en``, ``/lang/nl``), kept in the session and, for
a logged-in user, on the account, so it survives logging in and out; else ``DEFAULT_LANGUAGE``.
Numbers and dates follow the language too (Babel): "19,5 werkuren", "vrijdag 14 maart 2025".
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_request_context, session
from flask_babel import Babel, force_locale, format_date, format_decimal, get_translations

LANGUAGES = {"nl": "Nederlands", "en": "English"}
CATALOGUES = Path(__file__).resolve().parent / "translations"


def N_(text: str) -> str:
    """Marks a text for the catalogue where it is defined as data and translated later."""
    return text


#: Words the store keeps as data and pages show translated: kinds, statuses, modes, roles,
#: the coordinator's kinds of change, access-log actions, the fields a refusal names.
DATA_WORDS = (
    N_("medicine"), N_("meal"), N_("parcel"), N_("visit"), N_("klusje"),
    N_("submitted"), N_("planned"), N_("picked_up"), N_("delivered"), N_("not_home"),
    N_("returned"), N_("cancelled"), N_("walk"), N_("bike"), N_("cargo_bike"),
    N_("normal"), N_("high"), N_("urgent"),
    N_("coordinator"), N_("assistant"), N_("partner"), N_("privacy_officer"), N_("api"),
    N_("service_admin"),
    N_("pharmacy"), N_("meal_kitchen"), N_("parcel_point"), N_("cooperative"),
    N_("sick"), N_("holiday"), N_("day_off"),
    # at the door: alerts, signals (category, urgency, status), house calls' outcomes, the
    # fields a refusal names and the report's measures
    N_("alert"), N_("escalated"), N_("loneliness"), N_("health"), N_("housing"), N_("help"),
    N_("other"), N_("later"), N_("this week"), N_("today"), N_("open"), N_("assigned"),
    N_("closed"), N_("category"), N_("urgency"), N_("note"), N_("resident_id"), N_("buurt"),
    N_("door_id"), N_("outcome"), N_("ago"), N_("deliveries"), N_("house_calls"),
    N_("signals"), N_("alerts"), N_("unplanned"), N_("signal_hours_to_follow_up"),
    N_("signal_hours_to_close"), N_("no_shift"), N_("window_unreachable"), N_("capacity"),
    N_("ride_time"), N_("over_full"), N_("time_limit"), N_("rung"), N_("opened"),
    N_("talked"), N_("not_interested"), N_("come_back"),
    N_("cli"),
    N_("move"), N_("lock"), N_("unlock"), N_("full"),
    N_("view"), N_("create"), N_("change"), N_("export"), N_("print"), N_("erase"),
    N_("log_view"),
    N_("event_id"), N_("order_ids"), N_("order"), N_("status"), N_("resident"), N_("orders"),
    N_("Demo: central Helsinki (real OpenStreetMap data, offline) — not Utrecht"),
)


def language() -> str:
    """The language of this request: the session's choice, else the configured default."""
    if not has_request_context():
        return current_app.config["DEFAULT_LANGUAGE"]
    if "language" not in g:
        chosen = session.get("lang")
        g.language = chosen if chosen in LANGUAGES else current_app.config["DEFAULT_LANGUAGE"]
    return g.language


def _catalogue():
    """The request's catalogue, looked up once per request (a page asks thousands of times)."""
    if not has_request_context():
        return get_translations()
    if "catalogue" not in g:
        g.catalogue = get_translations()
    return g.catalogue


def gettext(text: str, **params) -> str:
    """``_()`` in templates and views: ``text`` in the request's language."""
    translated = _catalogue().gettext(text) if text else text
    return translated.format(**params) if params else translated


def translate(text: str, lang: str, **params) -> str:
    """``text`` in ``lang`` whatever the request speaks: a mail to a user in their language."""
    with force_locale(lang):
        translated = get_translations().gettext(text)
    return translated.format(**params) if params else translated


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the request's language ("1 regel",
    "2 regels"); ``{n}`` is the count, formatted as the language writes numbers."""
    return _catalogue().ngettext(singular, plural, n).format(n=number(n), **params)


def english(text: str, **params) -> str:
    """The API speaks English whatever the browser session says."""
    return text.format(**params) if params else text


def number(value: float, decimals: int = 0) -> str:
    """A number as the page's language writes it: "19,5" in Dutch, "19.5" in English."""
    return format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""))


def long_date(day: date) -> str:
    """A date with its weekday, in the page's language: "vrijdag 14 maart 2025"."""
    return format_date(day, format="EEEE d MMMM y")


def compile_catalogues(target: Path) -> None:
    """Compile every ``.po`` into ``target/<lang>/LC_MESSAGES/messages.mo`` when missing or
    older than its ``.po`` (written beside and renamed: a second process never reads half)."""
    for po in CATALOGUES.glob("*/LC_MESSAGES/messages.po"):
        mo = target / po.relative_to(CATALOGUES).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parts[-3])
        handle, temporary = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalogue)
        os.replace(temporary, mo)


def init_app(app: Flask) -> None:
    compiled = Path(app.instance_path) / "translations"
    compile_catalogues(compiled)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LANGUAGE"]
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE",
                          app.config.get("TIMEZONE") or "Europe/Amsterdam")
    Babel(app, locale_selector=language)
    app.jinja_env.globals.update(_=gettext, ngettext=ngettext, number=number,
                                 long_date=long_date, languages=LANGUAGES,
                                 current_language=language)

    @app.context_processor
    def bound_gettext():
        """``_`` bound to this request's catalogue for a template: a page calls it thousands
        of times (the global above serves templates rendered outside a request)."""
        lookup = _catalogue().gettext

        def _(text: str, **params) -> str:
            translated = lookup(text) if text else text
            return translated.format(**params) if params else translated

        return {"_": _}
