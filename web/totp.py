"""A second factor for coordinators and the privacy officer: a six-digit code from an
authenticator app (TOTP), or one of ten recovery codes when the phone is lost.

Why: the coordinator sees every resident of the cooperative, and a password alone is guessed,
phished or reused. After the right password a coordinator with TOTP switched on is only
*half* logged in (the cookie remembers who, for five minutes, and opens nothing) until a valid
code follows. Codes are checked one step either side of now, each step only once; wrong codes
are throttled like passwords. ``COORDINATOR_TOTP = "required"`` sends a coordinator without a
second factor to set one up before any other page.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import datetime

import pyotp
from flask import (Blueprint, Flask, current_app, flash, redirect, render_template, request,
                   session, url_for)
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import sessions, tenancy
from .auth import check_password, client_address, current_user, finish_login, role_required
from .db import db
from .i18n import gettext as _
from .store import User, UserTotp, utcnow

bp = Blueprint("totp", __name__)
PENDING_SECONDS = 300
ISSUER = "Buurtroute"


def enabled(session_: Session, user: User) -> UserTotp | None:
    row = session_.scalar(select(UserTotp).where(UserTotp.user_id == user.id))
    return row if row is not None and row.enabled_at is not None else None


def check_code(row: UserTotp, code: str, now: float | None = None) -> bool:
    """Whether ``code`` is valid now (one step of 30 s either side) and not used before."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    otp = pyotp.TOTP(row.secret)
    step = otp.timecode(datetime.fromtimestamp(now if now is not None else time.time()))
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(otp.generate_otp(candidate), code):
            if row.last_step is not None and candidate <= row.last_step:
                return False  # this code (or a later one) was used already
            row.last_step = candidate
            return True
    return False


#: Who may switch a second factor on (everyone); ``REQUIRED_ROLES`` are those who see every
#: resident's data, for whom ``COORDINATOR_TOTP = "required"`` makes it compulsory.
ROLES = ("coordinator", "privacy_officer", "assistant", "partner", "service_admin")
REQUIRED_ROLES = ("coordinator", "privacy_officer", "service_admin")
RECOVERY_CODES = 10
RECOVERY = re.compile(r"^[a-z2-9]{5}-[a-z2-9]{5}$")
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_recovery_codes(row: UserTotp) -> list[str]:
    """Ten codes for when the phone is lost, each good for one login; only their hashes are
    kept, so they are shown once."""
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODES)]
    row.recovery = [_digest(c) for c in codes]
    return codes


def use_recovery_code(row: UserTotp, code: str) -> bool:
    """Whether ``code`` is an unused recovery code (it is used up by this)."""
    code = "".join(code.split()).lower()
    if not RECOVERY.match(code):
        return False
    digest = _digest(code)
    for kept in list(row.recovery or ()):
        if hmac.compare_digest(kept, digest):
            row.recovery = [k for k in row.recovery if k != kept]
            return True
    return False


def begin(user: User, next_url: str | None) -> None:
    """Remember a half-finished login (right password, code still to come)."""
    lang = session.get("lang")
    session.clear()
    session["totp_pending"] = {"user": user.id, "at": int(time.time()), "next": next_url}
    if lang:
        session["lang"] = lang


@bp.route("/login/code", methods=["GET", "POST"])
def code():
    """Step two of a coordinator's login: the code from the authenticator app."""
    pending = session.get("totp_pending")
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop("totp_pending", None)
        flash(_("Please log in to continue."), "info")
        return redirect(url_for("auth.login"))
    with tenancy.system(db(), "the login waiting for its second step"):
        user = db().get(User, pending["user"])
    row = enabled(db(), user) if user is not None else None
    if user is None or row is None or not sessions.usable(user):
        session.pop("totp_pending", None)
        return redirect(url_for("auth.login"))
    error = None
    if request.method == "POST":
        throttle: sessions.Throttle = current_app.extensions["buurtroute.throttle"]
        name = "totp\0" + user.username
        wait = throttle.wait(db(), name, client_address())
        if wait:
            error = _("Too many failed attempts; try again in {seconds} seconds.", seconds=wait)
            return render_template("login_code.html", error=error), 429
        given = request.form.get("code", "")
        if check_code(row, given) or use_recovery_code(row, given):
            throttle.succeed(db(), name, client_address())
            return finish_login(user, pending.get("next"))
        db().rollback()
        throttle.fail(db(), name, client_address())
        error = _("That code is not right; use the newest code of your app.")
    return render_template("login_code.html", error=error), 401 if error else 200


@bp.route("/account/two-factor", methods=["GET", "POST"])
@role_required(*ROLES)
def setup():
    """Switch the second factor on (scan or type the key, confirm one code) or off."""
    user = current_user()
    row = db().scalar(select(UserTotp).where(UserTotp.user_id == user.id))
    error, status = None, 200
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "start" and (row is None or row.enabled_at is None):
            if row is None:
                row = UserTotp(user_id=user.id, secret=pyotp.random_base32())
                db().add(row)
            else:
                row.secret = pyotp.random_base32()
            db().commit()
        elif action == "confirm" and row is not None and row.enabled_at is None:
            if check_code(row, request.form.get("code", "")):
                row.enabled_at = utcnow()
                db().commit()
                flash(_("Two-step login is on."), "success")
                return redirect(url_for("totp.setup"))
            db().rollback()
            error, status = _("That code is not right; use the newest code of your app."), 422
        elif action == "recovery" and row is not None and row.enabled_at is not None:
            codes = new_recovery_codes(row)
            db().commit()
            return render_template("totp_setup.html", row=row, uri=None, error=None,
                                   required=required() and user.role in REQUIRED_ROLES,
                                   codes=codes)
        elif action == "disable" and row is not None and row.enabled_at is not None:
            if required() and user.role in REQUIRED_ROLES:
                error, status = _("Two-step login is required for coordinators."), 422
            elif check_password(user, request.form.get("password", "")) and check_code(
                    row, request.form.get("code", "")):
                db().delete(row)
                db().commit()
                flash(_("Two-step login is off."), "success")
                return redirect(url_for("totp.setup"))
            else:
                db().rollback()
                error, status = _("Password or code is not right."), 422
        else:
            error, status = _("Something is wrong with the request."), 400
    uri = (pyotp.TOTP(row.secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
           if row is not None and row.enabled_at is None else None)
    return render_template("totp_setup.html", row=row, uri=uri, error=error,
                           required=required() and user.role in REQUIRED_ROLES), status


def required() -> bool:
    return current_app.config["COORDINATOR_TOTP"] == "required"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
