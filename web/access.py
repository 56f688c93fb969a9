"""The access log (NEN 7513): who looked at or changed which resident's data, when, in which
role, for which organisation, through which channel.

A view says what it showed with :func:`note` (one line: the residents, the action, the part
of the data); the rows are written after the view answered (an ``after_request`` hook), in
one insert, so a page that lists seventy residents costs one statement, and an access that
ended in an error page (nothing shown) is not logged as one that happened. Outside a request
(the CLI) :func:`write` stores rows at once. The log holds ids only, never names or addresses,
and the app has no path that changes or deletes a row (the database refuses it as well, see
migration 0006).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from flask import Flask, g, request
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .store import ACCESS_ACTIONS, AccessLog, Order, Resident, User, utcnow

#: Roles that may read the access log, unless ``ACCESS_LOG_READERS`` says otherwise.
DEFAULT_READERS = ("privacy_officer",)


@dataclass(frozen=True)
class Who:
    """The one accessing: a user in a role, a partner's API token, or a CLI operator."""

    user_id: int | None
    role: str
    partner_id: int | None = None
    on_behalf: str = ""


def readers(app: Flask) -> tuple[str, ...]:
    """The roles that may read the log: ``ACCESS_LOG_READERS`` ("privacy_officer" by default;
    "privacy_officer,coordinator" lets the coordinator read it too, for a cooperative
    without a separate privacy officer)."""
    raw = app.config.get("ACCESS_LOG_READERS") or DEFAULT_READERS
    roles = tuple(r.strip() for r in (raw.split(",") if isinstance(raw, str) else raw)
                  if r.strip())
    unknown = set(roles) - {"privacy_officer", "coordinator"}
    if unknown:
        raise ValueError(f"ACCESS_LOG_READERS: only privacy_officer and coordinator may read "
                         f"the access log, not {', '.join(sorted(unknown))}")
    return roles


def who_now() -> Who:
    """Who is asking in this request: the logged-in user, else the API token's partner."""
    user = g.get("user")
    if user is not None:
        return Who(user.id, user.role, user.partner_id)
    partner = g.get("partner")
    if partner is not None:
        prefix = g.get("token_prefix", "")
        return Who(None, "api", partner.id, f"token {prefix}" if prefix else "")
    return Who(None, "anonymous")


def note(residents: Iterable[int | None], action: str, part: str, channel: str = "page",
         detail: str = "", subject_user_id: int | None = None,
         on_behalf: str | None = None) -> None:
    """Log, once this request has answered, that it did ``action`` on ``part`` of the data
    of each of ``residents`` (ids; duplicates are dropped). ``on_behalf`` replaces the
    requester's own (e.g. "resident's request" for a resident's copy of their data)."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"unknown access action {action!r}")
    pending = g.setdefault("access_pending", [])
    seen = set()
    for resident_id in residents:
        if resident_id in seen:
            continue
        seen.add(resident_id)
        pending.append({"resident_id": resident_id, "action": action, "part": part[:60],
                        "channel": channel, "detail": detail[:200],
                        "subject_user_id": subject_user_id,
                        **({"on_behalf": on_behalf[:80]} if on_behalf is not None else {})})


def note_orders(orders: Iterable[Order], action: str, part: str, channel: str = "page") -> None:
    """:func:`note` for the residents of ``orders``, naming the orders."""
    orders = list(orders)
    by_resident: dict[int, list[int]] = {}
    for order in orders:
        by_resident.setdefault(order.resident_id, []).append(order.id)
    for resident_id, ids in by_resident.items():
        note([resident_id], action, part, channel, detail=_orders_detail(ids))


def _orders_detail(ids: list[int]) -> str:
    text = "orders " + ",".join(str(i) for i in ids)
    return text if len(text) <= 200 else text[:190].rsplit(",", 1)[0] + ",..."


def write(session: Session, who: Who, rows: list[dict], endpoint: str) -> None:
    """Insert ``rows`` (as :func:`note` makes them) for ``who``; the caller commits."""
    if not rows:
        return
    now = utcnow()
    session.execute(insert(AccessLog), [
        {"at": now, "user_id": who.user_id, "role": who.role, "partner_id": who.partner_id,
         "on_behalf": who.on_behalf[:80], "endpoint": endpoint[:60],
         **row} for row in _with_org(session, rows)])


def _with_org(session: Session, rows: list[dict]) -> list[dict]:
    """Each row names the organisation whose data it is: the resident's (a partner serving
    several cooperatives reads residents of each), else the session's one organisation."""
    from . import tenancy

    scope = tenancy.scope_of(session)
    single = scope.single if scope is not None else None
    ids = {r["resident_id"] for r in rows if r.get("resident_id") and "org_id" not in r}
    orgs = dict(session.execute(select(Resident.id, Resident.org_id).where(
        Resident.id.in_(ids))).all()) if ids and single is None else {}
    return [{**r, "org_id": r.get("org_id", orgs.get(r.get("resident_id"), single))}
            for r in rows]



def row(resident_id: int | None, action: str, part: str, channel: str, detail: str = "",
        subject_user_id: int | None = None) -> dict:
    """One row for :func:`write` (the CLI, which has no request to note in)."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"unknown access action {action!r}")
    return {"resident_id": resident_id, "action": action, "part": part, "channel": channel,
            "detail": detail, "subject_user_id": subject_user_id}


def entries(session: Session, resident_id: int | None = None, user_id: int | None = None,
            limit: int = 500) -> list[AccessLog]:
    """The newest log rows about one resident, or by (and about) one user."""
    query = select(AccessLog).order_by(AccessLog.id.desc()).limit(limit)
    if resident_id is not None:
        query = query.where(AccessLog.resident_id == resident_id)
    if user_id is not None:
        query = query.where((AccessLog.user_id == user_id)
                            | (AccessLog.subject_user_id == user_id))
    return list(session.scalars(query))


def user_names(session: Session, log: list[AccessLog]) -> dict[int, str]:
    ids = {e.user_id for e in log if e.user_id} | {e.subject_user_id for e in log
                                                   if e.subject_user_id}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def init_app(app: Flask) -> None:
    readers(app)  # a wrong setting stops the app at start, not at the first log reading

    @app.after_request
    def _flush(response):
        pending = g.pop("access_pending", None)
        if not pending or response.status_code >= 500:
            return response
        from .db import db

        session = db()
        who = who_now()  # before the rollback, which would make the user or partner reload
        session.rollback()  # what the view left uncommitted is dropped, as at teardown
        write(session, who, pending, request.endpoint or "")
        session.commit()
        return response
