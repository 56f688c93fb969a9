"""The coordinator's logins: invite a partner's or an assistant's user, send a new password
link, switch a login off.

A new login gets a password nobody knows and an invitation link (``web.invitations``); the
person chooses their own password with it. A coordinator manages the logins of their own
cooperative and of partners that serve only their cooperative: a pharmacy chain serving
several cooperatives is not one coordinator's to take over. Switching a login off ends its
sessions at once (``auth.deactivate``).
"""

from __future__ import annotations

import secrets
from typing import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import invitations, organisations, tenancy
from .auth import create_user, current_user, deactivate, role_required
from .db import db
from .fields import Errors, Gettext
from .hygiene import clean
from .i18n import gettext as _
from .store import Assistant, Partner, User, get

bp = Blueprint("accounts", __name__, url_prefix="/coordinator/users")
USERNAME_LENGTH = 80
EMAIL_LENGTH = 200


def read_login(session: Session, form: Mapping[str, str], errors: Errors,
               _: Gettext) -> tuple[str, str | None]:
    """A new login's ``username`` (free on the whole service) and optional ``email``."""
    username = (form.get("username") or "").strip()
    if not username:
        errors["username"] = _("is required")
    elif (clean(username) != username or not username.isprintable() or len(username) >
          USERNAME_LENGTH or any(ch.isspace() for ch in username)):
        errors["username"] = _("plain printable text without spaces, at most 80 characters")
    else:
        with tenancy.system(session, "usernames are unique across the service"):
            if session.scalar(select(User.id).where(User.username == username)):
                errors["username"] = _("is already taken")
    email = (form.get("email") or "").strip() or None
    if email is not None and (len(email) > EMAIL_LENGTH or email.count("@") != 1
                              or not email.isprintable() or " " in email
                              or "." not in email.split("@")[1]):
        errors["email"] = _("is not an e-mail address")
    return username, email


def new_login(session: Session, username: str, email: str | None, role: str,
              partner: Partner | None = None, assistant: Assistant | None = None,
              org_id: int | None = None) -> User:
    """A login nobody can use until its invitation link sets a password (caller commits)."""
    user = create_user(session, username, secrets.token_urlsafe(24), role, partner=partner,
                       assistant=assistant, org_id=org_id)
    user.email = email
    session.flush()
    return user


def manageable(session: Session, user: User) -> bool:
    """Whether the session's coordinator may manage ``user`` (see the module's docstring)."""
    org = tenancy.org_id(session)
    if user.role in ("coordinator", "assistant", "privacy_officer"):
        return user.org_id == org
    return (user.role == "partner" and user.partner_id is not None
            and organisations.serves_only(session, user.partner_id, org))


def _own_user(user_id: int) -> User:
    user = get(db(), User, user_id)
    if user is None or not manageable(db(), user):
        abort(404)
    return user


def back_to(user: User) -> str:
    if user.partner_id is not None:
        return url_for("partner_admin.edit", partner_id=user.partner_id) + "#users"
    if user.assistant_id is not None:
        return url_for("assistant_admin.edit", assistant_id=user.assistant_id) + "#login"
    return url_for("coordinator.day")


def show_link(user: User, handover: invitations.Handover, purpose: str):
    """The page that shows a new link once (or says where it was mailed)."""
    return render_template("coordinator/account_link.html", account=user, handover=handover,
                           purpose=purpose, back=back_to(user)), 201


@bp.route("/<int:user_id>/link", methods=["POST"])
@role_required("coordinator")
def send_link(user_id: int):
    """A new password link (an invitation if the login never logged in)."""
    user = _own_user(user_id)
    if not user.active:
        flash(_("Switch the login on first."), "error")
        return redirect(back_to(user))
    purpose = "invite" if user.last_login_at is None else "reset"
    return show_link(user, invitations.hand_over(db(), user, purpose, current_user().id),
                     purpose)


@bp.route("/<int:user_id>/active", methods=["POST"])
@role_required("coordinator")
def set_active(user_id: int):
    """Switch a login off (its sessions end now) or on again."""
    user = _own_user(user_id)
    if user.id == current_user().id:
        flash(_("You cannot switch off your own login."), "error")
        return redirect(back_to(user))
    if request.form.get("active") == "1":
        user.active = True
        flash(_("Login {name} is switched on.", name=user.username), "success")
    else:
        deactivate(db(), user)
        flash(_("Login {name} is switched off; its sessions have ended.", name=user.username),
              "success")
    db().commit()
    return redirect(back_to(user))
