"""Organisations (cooperatives) on the service and the partners that serve them.

A new organisation gets its own partner row of kind "cooperative": the cooperative books its
own house calls and jobs as that partner, like any pharmacy books medicine. A partner serves an
organisation through a :class:`~web.store.PartnerLink`; the same partner (a pharmacy chain)
may be linked to several.
"""

from __future__ import annotations

import re
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import tenancy
from .i18n import english
from .store import Organisation, Partner, PartnerLink

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


def problems(session: Session, slug: str, name: str, time_zone: str,
             _: Callable[..., str] = english) -> dict[str, str]:
    """What is wrong with a new organisation's fields, per field, in ``_``'s language."""
    out = {}
    if not SLUG.match(slug):
        out["slug"] = _("3 to 40 lowercase letters, digits and dashes")
    else:
        with tenancy.system(session, "short names are unique across the service"):
            if session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
                out["slug"] = _("is already taken")
    if not name.strip() or len(name) > 120:
        out["name"] = _("1 to 120 characters")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        out["time_zone"] = _("not a time zone (e.g. Europe/Amsterdam)")
    return out


def create(session: Session, slug: str, name: str, area: str | None = None,
           time_zone: str = "Europe/Amsterdam") -> Organisation:
    """Add an organisation and its own cooperative partner; the caller commits. Raises
    ValueError naming the field for a bad slug, name or time zone."""
    wrong = problems(session, slug, name, time_zone)
    if wrong:
        raise ValueError("; ".join(f"{field}: {text}" for field, text in wrong.items()))
    org = Organisation(slug=slug, name=name.strip(), area=area, time_zone=time_zone)
    session.add(org)
    session.flush()
    link(session, org, Partner(name=name, kind="cooperative"))
    return org


def link(session: Session, org: Organisation, partner: Partner) -> PartnerLink:
    """Let ``partner`` serve ``org`` (again, if it was switched off)."""
    if partner.id is None:
        session.add(partner)
        session.flush()
    with tenancy.system(session, "linking a partner"):
        row = session.scalar(select(PartnerLink).where(PartnerLink.org_id == org.id,
                                                       PartnerLink.partner_id == partner.id))
        if row is None:
            row = PartnerLink(org_id=org.id, partner_id=partner.id)
            session.add(row)
        row.active = True
        session.flush()
    return row


def own_partner(session: Session) -> Partner | None:
    """The cooperative's own partner row in a one-organisation scope."""
    return session.scalar(select(Partner).where(Partner.kind == "cooperative")
                          .order_by(Partner.id))


def by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def served_by(session: Session, partner_id: int) -> list[Organisation]:
    """The active organisations ``partner_id`` serves, by name."""
    with tenancy.system(session, "which cooperatives a partner serves"):
        return list(session.scalars(
            select(Organisation).join(PartnerLink, PartnerLink.org_id == Organisation.id)
            .where(PartnerLink.partner_id == partner_id, PartnerLink.active.is_(True),
                   Organisation.active.is_(True)).order_by(Organisation.name)))


def serves_only(session: Session, partner_id: int, org_id: int) -> bool:
    """Whether ``partner_id`` serves no cooperative but ``org_id``: only then may that
    cooperative's coordinator manage its logins and tokens (a chain's are not theirs)."""
    with tenancy.system(session, "which cooperatives a partner serves"):
        return session.scalar(select(PartnerLink.id).where(
            PartnerLink.partner_id == partner_id, PartnerLink.org_id != org_id,
            PartnerLink.active.is_(True)).limit(1)) is None
