"""Buurtroute's web app: ``create_app(config)`` builds it; blueprints per kind of user.

Configuration is data: defaults below, then environment variables (``DATABASE_URL``,
``BUURTROUTE_SECRET_KEY``, ``BUURTROUTE_AREA``, any ``BUURTROUTE_*``), then the ``config``
mapping handed in (tests). The secret key never lives in code: from the environment, or generated
once into the instance folder.
"""

from __future__ import annotations

import os
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

DEFAULTS: dict[str, Any] = {
    "AREA": None,  # None: Utrecht Oost when downloaded, else the offline demo area
    "DEFAULT_LANGUAGE": "nl",
    "AUTO_MIGRATE": True,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "CSV_MAX_ROWS": 2000,
    # Orders one partner may have for one service day (form, CSV and API together).
    "PARTNER_DAILY_ORDER_CAP": 500,
    # Free failed logins (per account from one address) before each further one doubles a wait.
    "LOGIN_ATTEMPTS": 5,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Sessions end after this many idle seconds (per role) and, however busy, after the
    # absolute lifetime; logout, a password change and deactivation end them at once.
    "IDLE_TIMEOUT_COORDINATOR": 30 * 60,
    "IDLE_TIMEOUT_ASSISTANT": 10 * 3600,  # a working day
    "IDLE_TIMEOUT_PARTNER": 60 * 60,
    "SESSION_ABSOLUTE_LIFETIME": 12 * 3600,
    # Served over HTTPS (directly or behind a proxy): Secure cookies and HSTS.
    "HTTPS": False,
    "HSTS_SECONDS": 365 * 24 * 3600,
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    "PROXY_HOPS": 0,
    # One line per request (method, route template, status, duration, user id); JSON if set.
    "REQUEST_LOG": True,
    "LOG_JSON": False,
    # Coordinators' second factor (TOTP): "optional" (each may switch it on) or "required".
    "COORDINATOR_TOTP": "optional",
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "TODAY": None,  # a date to pin "today" (tests, demos); None means the real date
    # The service's time zone: "today" for work that spans cooperatives (each cooperative's
    # own is ``Organisation.time_zone``).
    "TIME_ZONE": "Europe/Amsterdam",
    "NOW": None,  # "HH:MM" to pin the clock of a re-plan during the day (tests, demos)
    # The optimiser stops after PLAN_WORK_LIMIT search steps (a few seconds; the same plan for
    # the same day on any machine, however busy: no clock is consulted). PLAN_TIME_LIMIT then
    # only sets the default hard limit below; without a work limit (None) it ends the search.
    "PLAN_WORK_LIMIT": 300_000,
    "PLAN_TIME_LIMIT": 30.0,
    "PLAN_SEED": 0,
    # What a stop given to another than the resident's regular assistant costs the planner
    # (seconds of travel it is worth): higher keeps the trusted face more often, 0 ignores it.
    # Continuity shows on the residents page and in the report (web/continuity.py).
    "CONTINUITY_WEIGHT": 600,
    # A solve is killed after PLAN_HARD_LIMIT seconds whatever it is doing (default: the time
    # limit + 15 s); the run fails and the previous plan stays.
    "PLAN_HARD_LIMIT": None,
    # A run of another process is taken for dead after this many seconds (on the same host,
    # as soon as its process is gone); default: twice the hard limit + 60 s.
    "PLAN_STALE_AFTER": None,
    # Solves at once on one machine, whatever the number of workers (web/slots.py); default:
    # the cores this process may use.
    "PLAN_SOLVES_PER_MACHINE": None,
    # The queue engine for planning jobs: "sqlite" (embedded, a file in the instance folder),
    # "redis" (REDIS_URL; several machines) or "immediate" (run inside the request: tests).
    # Seconds an assistant's tap waits on the phone before it is sent (the "undo" time).
    "MARK_UNDO_SECONDS": 5,
    "QUEUE": "sqlite",
    "REDIS_URL": None,
    # Who reads the access log: "privacy_officer", or "privacy_officer,coordinator".
    "ACCESS_LOG_READERS": "privacy_officer",
    # Retention in days (web/retention.py; the README says why): orders and all that hangs on
    # them after the service day, residents without orders, idempotency keys, superseded and
    # failed plans, ended sessions, failed-login counts.
    "RETAIN_ORDER_DAYS": 90,
    "RETAIN_IDLE_RESIDENT_DAYS": 365,
    "RETAIN_IDEMPOTENCY_DAYS": 7,
    "RETAIN_PLAN_DAYS": 30,
    "RETAIN_SESSION_DAYS": 30,
    "RETAIN_THROTTLE_DAYS": 1,
    # Where the service is reached, for links made outside a request (the CLI's invitation
    # links); in a request the link follows the address the coordinator used.
    "PUBLIC_URL": None,
    # Signals and safety alerts, kept this many days after they were closed (open ones stay).
    "RETAIN_SIGNAL_DAYS": 365,
    # The service's SMTP server (web/notify.py): invitation and password links go to the
    # login's address (without it the coordinator hands them over), and safety alerts to the
    # addresses (comma-separated) of a cooperative that set none of its own on its alerts page.
    "ALERT_EMAIL_TO": "",
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_FROM": "",
    "SMTP_STARTTLS": False,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    # ... and by SMS: numbers, and the gateway class ("package.module:Class", made with the
    # app's config, with a method send_sms(number, text)).
    "ALERT_SMS_TO": "",
    "ALERT_SMS_GATEWAY": "",
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    instance = (config or {}).get("INSTANCE_PATH") or os.environ.get("BUURTROUTE_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("BUURTROUTE")
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("DATABASE_URL",
                          f"sqlite:///{Path(app.instance_path) / 'buurtroute.sqlite'}")
    if not app.config.get("SECRET_KEY"):
        if app.config["QUEUE"] == "redis":
            raise ValueError("SECRET_KEY: with QUEUE=redis (processes on several machines) set "
                             "BUURTROUTE_SECRET_KEY, the same for every process: a key made "
                             "per machine would end every session that reaches another one")
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    app.config["PERMANENT_SESSION_LIFETIME"] = int(app.config["SESSION_ABSOLUTE_LIFETIME"])
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    if int(app.config["PROXY_HOPS"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_HOPS"])
        # Flask's documented way to wrap the WSGI app; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from . import (access, admin, admin_accounts, admin_assistants, admin_partners, api,
                   assistant, auth, campaigns, coordinator, dates, db, door, field, files, i18n,
                   invitations, jobs, notify, pages, partners, pdf, privacy, reports, reqlog,
                   residents, retention, rounds, standing_pages, totp, week)

    retention.Periods.from_config(app.config)  # a bad RETAIN_* setting stops the start, named
    app.extensions["buurtroute.channels"] = notify.from_config(app.config)

    files.protect_database(app.config["DATABASE_URL"])
    i18n.init_app(app)
    db.init_app(app)
    jobs.init_app(app)
    reqlog.init_app(app)
    access.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    pages.init_app(app)
    dates.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(partners.bp)
    app.register_blueprint(api.bp)
    totp.init_app(app)
    csrf.exempt(api.bp)  # token-authenticated, no cookies: CSRF does not apply
    for blueprint in (coordinator.bp, assistant.bp, residents.bp, pdf.bp, privacy.bp,
                      reports.bp, admin.bp, admin_partners.bp, admin_assistants.bp,
                      admin_accounts.bp, invitations.bp, standing_pages.partner_bp,
                      standing_pages.coordinator_bp, week.bp, door.bp, field.bp, campaigns.bp):
        app.register_blueprint(blueprint)
    app.jinja_env.globals.update(initials=rounds.initials,
                                 new_event_id=lambda: secrets.token_urlsafe(16),
                                 note_flag=rounds.note_flag,
                                 log_readers=lambda: access.readers(app),
                                 cooperative_name=_cooperative_name)
    return app


def _cooperative_name() -> str:
    """The name of the request's cooperative (pages of one cooperative's people)."""
    from .db import db
    from .tenancy import organisation

    org = organisation(db())
    return org.name if org is not None else ""


def today(app: Flask, zone: ZoneInfo | None = None) -> date:
    """The service day the app treats as today: the date in ``zone``, the cooperative's time
    zone (``tenancy.zone(session)``; default ``TIME_ZONE``), never the server's own date, so
    a server running on UTC does not start Amsterdam's day at 01:00. ``TODAY`` may pin it
    (tests, demos; e.g. "2025-03-14")."""
    pinned = app.config["TODAY"]
    if isinstance(pinned, str):
        return date.fromisoformat(pinned)
    if pinned:
        return pinned
    return datetime.now(zone or ZoneInfo(app.config["TIME_ZONE"])).date()


def _instance_secret(folder: Path) -> str:
    """The generated secret key, created readable by its owner only (never 0644 first)."""
    from .files import write_private

    path = folder / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_hex(32))
    path.chmod(0o600)
    return path.read_text().strip()
