"""Server-side sessions and login throttling, both kept in the database.

Why: a session that lives only in a signed cookie cannot be ended by the server (a copied
cookie keeps working after logout for the cookie's whole lifetime), and a throttle in one
process's memory is lost on restart and not shared with a second server process. Here the
cookie carries a random session id; its SHA-256 names a ``user_sessions`` row that logout, a
password change or a deactivation ends for good. Failed logins are counted in
``login_throttle`` under keyed hashes (no usernames or addresses stored) and answered with a
growing delay, never a hard lock-out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from .store import LoginThrottle, Organisation, User, UserSession, affected, utcnow

#: Idle timeouts by role, in seconds (config ``IDLE_TIMEOUT_<ROLE>`` overrides).
IDLE_DEFAULTS = {"coordinator": 30 * 60, "assistant": 10 * 3600, "partner": 60 * 60}


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(session: Session, user: User) -> str:
    """A new session row for ``user``; answers the random id the cookie keeps."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(sid_hash=_sid_hash(sid), user_id=user.id, created_at=now,
                            last_seen_at=now))
    return sid


def end(session: Session, sid: str, reason: str) -> None:
    """End one session (logout)."""
    session.execute(update(UserSession).where(UserSession.sid_hash == _sid_hash(sid),
                                              UserSession.ended_at.is_(None))
                    .values(ended_at=utcnow(), end_reason=reason))


def end_all(session: Session, user_id: int, reason: str) -> int:
    """End every open session of a user (password change, deactivation); the caller commits."""
    return affected(session, update(UserSession).where(UserSession.user_id == user_id,
                                                        UserSession.ended_at.is_(None))
                    .values(ended_at=utcnow(), end_reason=reason))


@dataclass(frozen=True)
class Lifetimes:
    idle: dict[str, int]
    absolute: int

    @classmethod
    def from_config(cls, config) -> "Lifetimes":
        idle = {role: int(config.get(f"IDLE_TIMEOUT_{role.upper()}", seconds))
                for role, seconds in IDLE_DEFAULTS.items()}
        return cls(idle, int(config["SESSION_ABSOLUTE_LIFETIME"]))


def resume(session: Session, sid: str, lifetimes: Lifetimes) -> User | None:
    """The user of a live session, or None (and the session ended) when it is over: ended,
    idle too long, older than the absolute lifetime, or its user, partner or assistant
    deactivated."""
    from . import tenancy

    row = session.scalar(select(UserSession).where(UserSession.sid_hash == _sid_hash(sid)))
    if row is None or row.ended_at is not None:
        return None
    with tenancy.system(session, "whose session is this"):
        user = session.get(User, row.user_id)
    now = utcnow()
    reason = None
    idle = lifetimes.idle.get(user.role, 1800) if user is not None else 0
    if user is None or not usable(user):
        reason = "deactivated"
    elif now - row.created_at > timedelta(seconds=lifetimes.absolute):
        reason = "expired"
    elif now - row.last_seen_at > timedelta(seconds=idle):
        reason = "idle"
    if reason is not None:
        row.ended_at, row.end_reason = now, reason
        session.commit()
        return None
    # at most one write a half minute (sooner for very short idle timeouts)
    if (now - row.last_seen_at).total_seconds() > min(30.0, idle / 4):
        row.last_seen_at = now
        session.commit()
    return user


def usable(user: User) -> bool:
    """An active user of an active organisation, and for a partner's or assistant's user an
    active partner or assistant (someone who left the cooperative keeps no way in)."""
    from . import tenancy

    session = object_session(user)
    with tenancy.system(session, "is this login still usable"):
        organisation = session.get(Organisation, user.org_id) if user.org_id else None
        return (bool(user.active) and (organisation is None or bool(organisation.active))
                and (user.partner is None or bool(user.partner.active))
                and (user.assistant is None or bool(user.assistant.active)))


# --- throttling ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """After ``free`` failures within ``window`` seconds, each further failure doubles a wait
    (from one second) up to ``cap`` seconds."""

    free: int
    cap: int
    window: int = 900


class Throttle:
    """Failed-login counts per account, per account from one address, and per address.

    The per-account-and-address key carries the ordinary back-off, so an attacker elsewhere
    cannot make the coordinator wait long; the per-address key catches one address trying many
    accounts (password spraying); the per-account key, with a short cap, slows many addresses
    guessing one account without locking its owner out."""

    def __init__(self, secret: str, attempts: int = 5):
        self.secret = secret.encode()
        self.rules = {"pair": Rule(attempts, 900), "address": Rule(4 * attempts, 900),
                      "account": Rule(10 * attempts, 60)}

    def keys(self, username: str, address: str) -> dict[str, str]:
        name = username.casefold()
        raw = {"pair": f"pair\0{name}\0{address}", "address": f"address\0{address}",
               "account": f"account\0{name}"}
        return {kind: hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()
                for kind, text in raw.items()}

    def wait(self, session: Session, username: str, address: str) -> int:
        """Seconds until a login for ``username`` from ``address`` may be tried (0: now)."""
        keys = self.keys(username, address)
        rows = session.scalars(select(LoginThrottle).where(
            LoginThrottle.key_hash.in_(list(keys.values())))).all()
        now = utcnow()
        waits = [(r.blocked_until - now).total_seconds() for r in rows
                 if r.blocked_until is not None and r.blocked_until > now]
        return int(max(waits, default=0) + 0.999)

    def fail(self, session: Session, username: str, address: str) -> None:
        """Count a failure under every key; commits (also when the login itself fails)."""
        now = utcnow()
        for kind, key in self.keys(username, address).items():
            rule = self.rules[kind]
            for _attempt in range(2):  # a concurrent first insert: read it again
                row = session.get(LoginThrottle, key)
                if row is None:
                    row = LoginThrottle(key_hash=key, failures=0, last_failure_at=now)
                    session.add(row)
                elif now - row.last_failure_at > timedelta(seconds=rule.window):
                    row.failures, row.blocked_until = 0, None
                row.failures += 1
                row.last_failure_at = now
                over = row.failures - rule.free
                if over >= 0:
                    row.blocked_until = now + timedelta(seconds=min(2 ** over, rule.cap))
                try:
                    session.commit()
                    break
                except IntegrityError:
                    session.rollback()

    def succeed(self, session: Session, username: str, address: str) -> None:
        """A right password clears the account-and-address count (not the address's own),
        and counts nobody has added to for a day are dropped (they no longer slow anyone)."""
        key = self.keys(username, address)["pair"]
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
        stale = utcnow() - timedelta(days=1)
        session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < stale))

