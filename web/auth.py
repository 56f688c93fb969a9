"""Who is asking: session logins with roles, and partners' API tokens.

Passwords are hashed with Argon2 (argon2-cffi); an unknown username is checked against a dummy
hash so it takes as long to refuse. A login is a server-side session (``web.sessions``): the
cookie only names it, so logout, a password change or a deactivation ends it everywhere. Failed
logins are throttled in the database. API tokens are long random strings; only their SHA-256 is
stored (a fast hash is right for high-entropy secrets), so a leaked database does not leak
working tokens. Access by role is one decorator, ``role_required``.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache, wraps
from typing import Callable
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (Blueprint, Flask, abort, current_app, flash, g, redirect, render_template,
                   request, session, url_for)
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import sessions, tenancy
from .db import db
from .hygiene import clean
from .i18n import LANGUAGES
from .i18n import gettext as _
from .store import ORG_ROLES, ROLES, ApiToken, Partner, User, utcnow

bp = Blueprint("auth", __name__)
hasher = PasswordHasher()
TOKEN_PREFIX = "brt_"
HOME = {"coordinator": "coordinator.day", "assistant": "assistant.round",
        "partner": "partners.orders", "privacy_officer": "privacy.index",
        "service_admin": "admin.index"}


def hash_password(password: str) -> str:
    return hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_hex(16))


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s. For no user a dummy hash is verified all the same,
    so an unknown username takes as long to refuse as a wrong password."""
    if user is None:
        try:
            hasher.verify(_dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def create_user(session: Session, username: str, password: str, role: str,
                partner: Partner | None = None, assistant=None,
                org_id: int | None = None) -> User:
    """Add a login; the caller commits. Partners' and assistants' users name their owner;
    coordinators, assistants and privacy officers their organisation."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role in ORG_ROLES:
        org_id = org_id or (assistant.org_id if assistant is not None else None)
        if org_id is None:
            raise ValueError(f"a {role} belongs to an organisation")
    else:
        org_id = None
    if (role == "partner") != (partner is not None):
        raise ValueError("a partner user belongs to exactly one partner")
    if (role == "assistant") != (assistant is not None):
        raise ValueError("an assistant user belongs to exactly one assistant")
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    if not username or clean(username) != username or not username.isprintable() or any(
            ch.isspace() for ch in username):  # no look-alike "coordinator\u200b"
        raise ValueError("a username must be plain printable text without spaces")
    with tenancy.system(session, "usernames are unique across the service"):
        if session.scalar(select(User).where(User.username == username)):
            raise ValueError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role,
                partner=partner, assistant=assistant, org_id=org_id)
    session.add(user)
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password; every session of the user ends (a thief's copy too)."""
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    user.password_hash = hash_password(password)
    sessions.end_all(session, user.id, "password")


def deactivate(session: Session, user: User) -> None:
    """Switch a login off; its sessions end now, not when their cookies expire."""
    user.active = False
    sessions.end_all(session, user.id, "deactivated")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(session: Session, partner: Partner, label: str = "") -> str:
    """Make an API token for ``partner``; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(partner=partner, token_hash=token_hash(token), prefix=token[:10],
                         label=label))
    return token


def partner_for_token(session: Session, token: str) -> Partner | None:
    """The partner of a live token; the session is scoped to the cooperatives it serves."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    tenancy.use(session, tenancy.for_partner(session, row.partner_id))
    if not row.partner or not row.partner.active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now  # at most one write a minute per token
    return row.partner


def current_user() -> User | None:
    return g.get("user")


def role_required(*roles: str | Callable[[], tuple[str, ...]]):
    """Let in logged-in users with one of ``roles`` (or of the roles a callable answers at
    request time, for a setting such as ``ACCESS_LOG_READERS``); others go to the login page
    or get 403. Roles that need a second factor are sent to set it up first."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                flash(_("Please log in to continue."), "info")
                return redirect(url_for("auth.login", next=request.full_path))
            allowed = [r for role in roles for r in (role() if callable(role) else (role,))]
            if user.role not in allowed:
                abort(403)
            from . import totp

            if (user.role in totp.REQUIRED_ROLES
                    and request.endpoint != "totp.setup"
                    and current_app.config["COORDINATOR_TOTP"] == "required"):
                if totp.enabled(db(), user) is None:
                    flash(_("Set up two-step login first."), "info")
                    return redirect(url_for("totp.setup"))
            return view(*args, **kwargs)
        return wrapper
    return decorate


def home_url(user: User) -> str:
    return url_for(HOME[user.role])


def client_address() -> str:
    """The client's address as the WSGI server (after ProxyFix, if configured) reports it."""
    return request.remote_addr or ""


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:200]
        password = request.form.get("password", "")[:1000]
        throttle: sessions.Throttle = current_app.extensions["buurtroute.throttle"]
        wait = throttle.wait(db(), username, client_address())
        if wait:
            error = _("Too many failed attempts; try again in {seconds} seconds.", seconds=wait)
            response = current_app.make_response((render_template("login.html", error=error),
                                                  429))
            response.headers["Retry-After"] = str(wait)
            return response
        with tenancy.system(db(), "logging in"):
            user = db().scalar(select(User).where(User.username == username))
        if not check_password(user, password):
            db().rollback()
            throttle.fail(db(), username, client_address())
            error = _("Wrong username or password.")
        elif not sessions.usable(user):
            db().rollback()
            error = _("This account has been deactivated.")
            return render_template("login.html", error=error), 403
        else:
            throttle.succeed(db(), username, client_address())
            from . import totp

            if user.role in totp.ROLES and totp.enabled(db(), user) is not None:
                db().commit()
                totp.begin(user, safe_next(request.args.get("next")))
                return redirect(url_for("totp.code"))
            return finish_login(user, request.args.get("next"))
    return render_template("login.html", error=error), 401 if error else 200


def finish_login(user: User, next_url: str | None):
    """Start the user's server-side session (a new id: no fixation) and go on. A language
    chosen before logging in (on the login page) wins and is kept on the account; else the
    account's own."""
    chosen = session.get("lang")
    lang = chosen if chosen in LANGUAGES else user.language
    user.language = lang
    session.clear()
    session["sid"] = sessions.start(db(), user)
    session["lang"] = lang
    session.permanent = True
    user.last_login_at = utcnow()
    db().commit()
    return redirect(safe_next(next_url) or home_url(user))


@bp.route("/logout", methods=["POST"])
def logout():
    lang = session.get("lang")
    if session.get("sid"):
        sessions.end(db(), session["sid"], "logout")
        db().commit()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have been logged out."), "info")
    return redirect(url_for("pages.index"))


def safe_next(target: str | None) -> str | None:
    """Only local paths: a login link must not send people to another site."""
    if not target:
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or not target.isprintable()):  # browsers read "/\\x" as "//x"
        return None
    return target


def init_app(app: Flask) -> None:
    app.extensions["buurtroute.throttle"] = sessions.Throttle(app.config["SECRET_KEY"],
                                                              app.config["LOGIN_ATTEMPTS"])
    lifetimes = sessions.Lifetimes.from_config(app.config)

    @app.before_request
    def load_user():
        sid = session.get("sid")
        g.user = sessions.resume(db(), sid, lifetimes) if isinstance(sid, str) else None
        tenancy.use(db(), tenancy.for_user(db(), g.user))
        if g.user is None and ("sid" in session or "user_id" in session):
            lang = session.get("lang")  # an ended or pre-upgrade session: forget it
            session.clear()
            if lang:
                session["lang"] = lang
