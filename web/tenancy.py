"""One scoped layer every query passes through: a cooperative sees only its own rows.

Every database session carries a :class:`Scope`: the organisations whose rows it may read and
write. A session event adds ``org_id IN (scope)`` to every ORM SELECT, UPDATE and DELETE that
touches a :class:`~web.store.Tenant` table (also ``session.get``, joins, subqueries and lazy
loads), partners are visible through their links to those organisations, and the access log
through its ``org_id``. So a view that forgets a filter shows nothing of another cooperative,
and a guessed id of another cooperative's order is simply not found (404).

Forgetting the scope itself fails loudly: a session without one that queries a tenant table
raises :class:`Unscoped`, and so does a flush that would write a row of an organisation
outside the scope. Work that spans organisations (the reaper, the nightly purge, logging in)
says so with :func:`system`, which is easy to find in a review.

Logins (``users``) are scoped too: a cooperative's own people and the users of the partners
that serve it; finding a login by name or session is system work (``web.auth``,
``web.sessions``).

A request's scope comes from who asks (:func:`for_user`): a coordinator, assistant or privacy
officer their organisation; a partner's user or token the organisations the partner serves;
a service admin none at all (it manages organisations, never residents).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from .store import AccessLog, Organisation, Partner, PartnerLink, Tenant, User


class Unscoped(RuntimeError):
    """A tenant table was read or written without a scope that allows it (a bug, never a
    user's mistake: it is meant to fail the test that finds it)."""


@dataclass(frozen=True)
class Scope:
    """The organisations a session may touch; ``everything`` only for named system work."""

    orgs: frozenset[int]
    why: str = ""
    everything: bool = False

    @property
    def single(self) -> int | None:
        """The one organisation, when there is exactly one (new rows go there by default)."""
        return next(iter(self.orgs)) if len(self.orgs) == 1 and not self.everything else None

    def allows(self, org_id: int | None) -> bool:
        return self.everything or org_id in self.orgs


NOBODY = Scope(frozenset(), "nobody")


def of(*org_ids: int, why: str = "") -> Scope:
    return Scope(frozenset(org_ids), why)


def use(session: Session, scope: Scope) -> Session:
    """Give ``session`` its scope (a request does this once, after the login is known)."""
    session.info["scope"] = scope
    return session


def scope_of(session: Session) -> Scope | None:
    return session.info.get("scope")


def org_id(session: Session) -> int:
    """The one organisation of the session's scope; raises when there is not exactly one."""
    scope = scope_of(session)
    if scope is None or scope.single is None:
        raise Unscoped("this needs a session scoped to exactly one organisation")
    return scope.single


@contextmanager
def only(session: Session, org: int) -> Iterator[Session]:
    """Narrow the scope to the one organisation ``org`` for the block (a partner serving
    several cooperatives acts in one of them at a time); ``org`` must be in the scope."""
    before = scope_of(session)
    if before is None or not before.allows(org):
        raise Unscoped(f"organisation {org} is outside this session's scope")
    session.info["scope"] = of(org, why=before.why)
    try:
        yield session
    finally:
        session.info["scope"] = before


@contextmanager
def system(session: Session, why: str) -> Iterator[Session]:
    """Every organisation, for the length of the block: work that spans cooperatives (the
    reaper, the purge, finding a login's organisation). ``why`` names it for a reader."""
    before = session.info.get("scope")
    session.info["scope"] = Scope(frozenset(), why, everything=True)
    try:
        yield session
    finally:
        if before is None:
            session.info.pop("scope", None)
        else:
            session.info["scope"] = before


def for_user(session: Session, user: User | None) -> Scope:
    """The scope of a request by ``user`` (None: anonymous, which may read no tenant rows)."""
    if user is None or user.role == "service_admin":
        return NOBODY
    if user.role == "partner":
        return for_partner(session, user.partner_id)
    if user.org_id is None:
        return NOBODY
    return of(user.org_id, why=user.role)


def for_partner(session: Session, partner_id: int | None) -> Scope:
    """The organisations a partner serves now (its active links to active organisations)."""
    if partner_id is None:
        return NOBODY
    with system(session, "a partner's cooperatives"):
        orgs = session.scalars(select(PartnerLink.org_id).join(
            Organisation, Organisation.id == PartnerLink.org_id).where(
            PartnerLink.partner_id == partner_id, PartnerLink.active.is_(True),
            Organisation.active.is_(True)))
        return Scope(frozenset(orgs), "partner")


def organisation(session: Session) -> Organisation | None:
    """The organisation of a single-organisation scope (its settings: area, time zone)."""
    scope = scope_of(session)
    return session.get(Organisation, scope.single) if scope and scope.single else None


def zone(session: Session) -> ZoneInfo:
    """The time zone of the session's cooperative (Europe/Amsterdam when it has none)."""
    org = organisation(session)
    return ZoneInfo(org.time_zone if org is not None else "Europe/Amsterdam")


# --- the session events -----------------------------------------------------------------------

def _scoped_classes(mappers) -> bool:
    return any(issubclass(m.class_, (Tenant, Partner, User, AccessLog)) for m in mappers)


def _criteria(state: ORMExecuteState) -> None:
    if state.is_column_load or not (state.is_select or state.is_update or state.is_delete):
        return
    scope = scope_of(state.session)
    if scope is None:
        if _scoped_classes(state.all_mappers):
            raise Unscoped("a query of organisation data in a session without a scope")
        return
    if scope.everything:
        return
    state.statement = state.statement.options(*_options(tuple(sorted(scope.orgs))))


@lru_cache(maxsize=1024)
def _options(orgs: tuple[int, ...]) -> tuple[Any, ...]:
    """The criteria that limit a statement to ``orgs``, made once per set of organisations:
    building them costs more than the rest of a small query (they are immutable, so every
    statement of the same organisations can share them)."""
    return (
        with_loader_criteria(Tenant, lambda cls: cls.org_id.in_(orgs), include_aliases=True),
        with_loader_criteria(AccessLog, lambda cls: cls.org_id.in_(orgs),
                             include_aliases=True),
        with_loader_criteria(Partner, lambda cls: cls.id.in_(
            select(PartnerLink.partner_id).where(PartnerLink.org_id.in_(orgs))),
            include_aliases=True),
        with_loader_criteria(User, lambda cls: cls.org_id.in_(orgs) | cls.partner_id.in_(
            select(PartnerLink.partner_id).where(PartnerLink.org_id.in_(orgs))),
            include_aliases=True))


def _check_flush(session: Session, _context, _instances) -> None:
    """New rows go to the scope's one organisation unless they name one; no row may be
    written for an organisation outside the scope."""
    scope = scope_of(session)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, Tenant):
            continue
        if scope is None:
            raise Unscoped(f"writing {type(obj).__name__} in a session without a scope")
        if obj.org_id is None and obj in session.new:
            parent = getattr(obj, "order", None)  # an order's history line goes with it
            if parent is not None and parent.org_id is not None:
                obj.org_id = parent.org_id
            elif scope.single is None:
                raise Unscoped(f"a new {type(obj).__name__} needs its organisation")
            else:
                obj.org_id = scope.single
        if not scope.allows(obj.org_id):
            raise Unscoped(f"{type(obj).__name__} of another organisation")


def install(factory) -> None:
    """Attach the scoping events to a sessionmaker (``web.db`` does this for the app)."""
    event.listen(factory, "do_orm_execute", _criteria)
    event.listen(factory, "before_flush", _check_flush)
