"""Invitations and password resets by one-time link.

Why links and not passwords: a coordinator who types a first password for a new assistant
knows it, and so does whoever reads it off the paper. A link lets the person choose their own.
The link holds a random token; only its SHA-256 is stored (a database copy opens nothing), it
expires (an invitation after a week, a reset after a day), the first use ends it and a newer
link for the same login ends the older ones. The coordinator hands the link over, or it is
e-mailed when the service has an SMTP server (``SMTP_HOST`` and friends) and the login an
address. Setting the password ends every session of the login (``auth.set_password``).
"""

from __future__ import annotations

import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from flask import (Blueprint, Flask, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import notify, sessions, tenancy
from .auth import set_password, token_hash
from .db import app_object, db
from .i18n import gettext as _
from .i18n import translate
from .store import OneTimeLink, User, utcnow

bp = Blueprint("invitations", __name__)
LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(days=1)}


@dataclass(frozen=True)
class Handover:
    """A link made for a login: its address, and to whom it was mailed (None: hand it over)."""

    url: str
    mailed_to: str | None = None
    mail_error: str = ""


def issue(session: Session, user: User, purpose: str, created_by: int | None = None) -> str:
    """A new link token for ``user``; older unused links of the login end (caller commits)."""
    if purpose not in LIFETIME:
        raise ValueError(f"unknown purpose {purpose!r}")
    session.execute(delete(OneTimeLink).where(OneTimeLink.user_id == user.id,
                                              OneTimeLink.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(OneTimeLink(user_id=user.id, purpose=purpose, token_hash=token_hash(token),
                            created_by=created_by, created_at=now,
                            expires_at=now + LIFETIME[purpose]))
    return token


def find(session: Session, token: str) -> OneTimeLink | None:
    """The live link of ``token``: known, not used, not expired, its login active."""
    row = session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    with tenancy.system(session, "whose link is this"):
        user = session.get(User, row.user_id)
    return row if user is not None and sessions.usable(user) else None


def redeem(session: Session, token: str, password: str) -> User:
    """Set the password through a live link and end the link; raises ValueError (the reason)
    for a dead link or a password that is too short. The caller commits."""
    row = find(session, token)
    if row is None:
        raise ValueError("link")
    with tenancy.system(session, "setting a password through a link"):
        user = session.get(User, row.user_id)
        set_password(session, user, password)
    row.used_at = utcnow()
    return user


def url_of(token: str, app: Flask | None = None) -> str:
    """The link's address: from the request, or ``PUBLIC_URL`` outside one (the CLI)."""
    from flask import has_request_context

    if has_request_context():
        return url_for("invitations.accept", token=token, _external=True)
    app = app or current_app
    base = (app.config.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    with app.test_request_context(base_url=base):
        return url_for("invitations.accept", token=token, _external=True)


def hand_over(session: Session, user: User, purpose: str, created_by: int | None = None,
              app: Flask | None = None) -> Handover:
    """Issue a link and mail it when SMTP is set up and the login has an address; otherwise
    (or when mailing fails) the link is for the coordinator to hand over. Commits."""
    app = app or app_object()
    token = issue(session, user, purpose, created_by)
    session.commit()
    url = url_of(token, app)
    if not (app.extensions["buurtroute.channels"].smtp and user.email):
        return Handover(url)
    try:
        send_mail(app, user.email, *_mail_text(user, purpose, url))
    except (OSError, smtplib.SMTPException) as exc:
        return Handover(url, None, type(exc).__name__)
    return Handover(url, user.email)


def _mail_text(user: User, purpose: str, url: str) -> tuple[str, str]:
    lang = user.language or "nl"
    if purpose == "invite":
        subject = translate("Your login for Buurtroute", lang)
        body = translate("You have a login for Buurtroute: {username}. Choose your password "
                         "with this link (valid for 7 days, once):", lang,
                         username=user.username)
    else:
        subject = translate("A new password for Buurtroute", lang)
        body = translate("Choose a new password for {username} with this link (valid for 24 "
                         "hours, once):", lang, username=user.username)
    return subject, f"{body}\n\n{url}\n"


def send_mail(app: Flask, to: str, subject: str, body: str) -> None:
    """One plain-text mail through the service's SMTP server (``web.notify``'s settings)."""
    smtp = app.extensions["buurtroute.channels"].smtp
    notify.SmtpNotifier(**smtp, recipients=(to,), timeout=20).send(notify.Message(subject, body))


@bp.route("/link/<token>", methods=["GET", "POST"])
def accept(token: str):
    """The page a link opens: choose a password (twice); then log in with it."""
    if len(token) > 100:
        abort(404)
    row = find(db(), token)
    if row is None:
        return render_template("account_link.html", dead=True), 404
    with tenancy.system(db(), "the login a link is for"):
        user = db().get(User, row.user_id)
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")[:1000]
        if password != request.form.get("password_again", ""):
            error = _("The two passwords differ.")
        elif len(password) < 10:
            error = _("A password needs at least 10 characters.")
        else:
            redeem(db(), token, password)
            db().commit()
            flash(_("Your password is set; log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("account_link.html", dead=False, username=user.username,
                           purpose=row.purpose, error=error), 422 if error else 200
